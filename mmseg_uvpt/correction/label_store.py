"""On-disk store of corrected labels and last predictions.

DESIGN §3.5, BRIEF contract 4.

Layout under ``<work_dir>/correction``::

    labels/<img_info filename, suffix .png>       corrected label, uint8 train ids
    preds/<same stem>_pred.png                     last prediction, 255 = none
    preds/<same stem>_prob.png                     its max-probability, uint8 bins
    snapshots/<name>/{labels,preds}/...            store as of a checkpoint

Every write goes to a temp file and is renamed over the target, so a killed run never
leaves a truncated PNG, and a file is never modified in place: snapshots hard-link
the live files and later writes replace the live names without touching the
snapshot's inodes.
"""
import os
import os.path as osp
import shutil
import tempfile

import numpy as np

from ..datasets.file_io import read_label_array, write_png_atomic
from ..datasets.pipelines.corrected_annotations import label_file_in_store, store_key

LIVE_DIRS = ('labels', 'preds')


def read_png(path):
    """uint8 [H, W] array of a stored single-channel PNG, or None when absent."""
    if not osp.isfile(path):
        return None
    array = read_label_array(path)
    if array.dtype != np.uint8:
        raise OSError(f'{path} is not a uint8 PNG')
    return array


def _link_tree(src, dst):
    """Mirror the files of ``src`` into ``dst`` (new folder), hard-linking when the
    file system allows it and copying otherwise."""
    for folder, _, files in os.walk(src):
        target = osp.join(dst, osp.relpath(folder, src))
        os.makedirs(target, exist_ok=True)
        for name in files:
            if name.startswith('.'):
                continue  # temp file of a write in flight when a run was killed
            try:
                os.link(osp.join(folder, name), osp.join(target, name))
            except OSError:
                shutil.copy2(osp.join(folder, name), osp.join(target, name))


class LabelStore:
    """Corrected labels and last predictions of the training images.

    Args:
        root (str): the store folder, ``<work_dir>/correction``.
    """

    def __init__(self, root):
        self.root = root
        self.labels_dir = osp.join(root, 'labels')
        self.preds_dir = osp.join(root, 'preds')
        self.snapshots_dir = osp.join(root, 'snapshots')

    # --- labels and predictions -------------------------------------------------
    def label_path(self, filename):
        return label_file_in_store(self.labels_dir, filename)

    def read_label(self, filename):
        return read_png(self.label_path(filename))

    def write_label(self, filename, label):
        write_png_atomic(self.label_path(filename), label)

    def _pred_paths(self, filename):
        stem = osp.join(self.preds_dir, store_key(filename))
        return stem + '_pred.png', stem + '_prob.png'

    def read_prediction(self, filename):
        """(pred, prob_bin) uint8 arrays of the image's last visit, or None."""
        pred_path, prob_path = self._pred_paths(filename)
        pred, prob = read_png(pred_path), read_png(prob_path)
        if pred is None or prob is None:
            return None
        if pred.shape != prob.shape:
            raise OSError(f'{pred_path} and {prob_path} differ in size')
        return pred, prob

    def write_prediction(self, filename, pred, prob_bin):
        # prob first: a prediction counts as present only once both exist, and
        # read_prediction checks both
        pred_path, prob_path = self._pred_paths(filename)
        write_png_atomic(prob_path, prob_bin)
        write_png_atomic(pred_path, pred)

    def clear(self):
        """Remove the live labels and predictions (snapshots stay)."""
        for name in LIVE_DIRS:
            shutil.rmtree(osp.join(self.root, name), ignore_errors=True)

    # --- snapshots --------------------------------------------------------------
    def snapshot_path(self, name):
        if not name or osp.basename(name) != name or name.startswith('.'):
            raise ValueError(f'invalid snapshot name {name!r}')
        return osp.join(self.snapshots_dir, name)

    def snapshot(self, name):
        """Freeze the live store as snapshot ``name`` (replacing one of that name)."""
        final = self.snapshot_path(name)
        os.makedirs(self.snapshots_dir, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.tmp-', dir=self.snapshots_dir)
        try:
            for sub in LIVE_DIRS:
                os.makedirs(osp.join(tmp, sub))
                live = osp.join(self.root, sub)
                if osp.isdir(live):
                    _link_tree(live, osp.join(tmp, sub))
            if osp.exists(final):
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def restore(self, name):
        """Make the live store exactly snapshot ``name`` (files added since are gone)."""
        source = self.snapshot_path(name)
        if not osp.isdir(source):
            raise FileNotFoundError(
                f'label-store snapshot {source} is missing; the checkpoint was saved '
                'with pseudo-label correction state that refers to it')
        os.makedirs(self.root, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.tmp-restore-', dir=self.root)
        try:
            _link_tree(source, tmp)
            for sub in LIVE_DIRS:
                live = osp.join(self.root, sub)
                old = osp.join(tmp, '.old-' + sub)
                if osp.exists(live):
                    os.replace(live, old)
                os.makedirs(osp.join(tmp, sub), exist_ok=True)
                os.replace(osp.join(tmp, sub), live)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def list_snapshots(self):
        if not osp.isdir(self.snapshots_dir):
            return []
        return sorted(n for n in os.listdir(self.snapshots_dir) if not n.startswith('.'))

    def remove_snapshot(self, name):
        shutil.rmtree(self.snapshot_path(name), ignore_errors=True)
