"""On-disk store of corrected labels and last predictions.

docs/method.md §5, docs/architecture.md. The layout and the file formats are described
in
``store_format.py`` (the data loader reads the same files).

Every write goes to a temp file and is renamed over the target, so a killed run never
leaves a truncated file, and a file is never modified in place: snapshots hard-link
the live files and later writes replace the live names without touching the
snapshot's inodes.
"""
import os
import os.path as osp
import shutil
import tempfile

from ..utils.atomic_write import write_bytes_atomic, write_png_atomic
from .store_format import (LABELS_DIR, PREDS_DIR, WORKER_STATE, encode_prediction,
                           encode_worker_state, label_file_in_store,
                           prediction_file_in_store, read_prediction_file,
                           read_stored_label)

LIVE_DIRS = (LABELS_DIR, PREDS_DIR)


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
        self.labels_dir = osp.join(root, LABELS_DIR)
        self.preds_dir = osp.join(root, PREDS_DIR)
        self.worker_state_path = osp.join(root, WORKER_STATE)
        self.snapshots_dir = osp.join(root, 'snapshots')

    # --- labels and predictions -------------------------------------------------
    def label_path(self, filename):
        return label_file_in_store(self.labels_dir, filename)

    def read_label(self, filename):
        return read_stored_label(self.label_path(filename))

    def write_label(self, filename, label):
        write_png_atomic(self.label_path(filename), label)

    def prediction_path(self, filename):
        return prediction_file_in_store(self.preds_dir, filename)

    def read_prediction(self, filename):
        """The image's last stored ``Prediction``, or None."""
        return read_prediction_file(self.prediction_path(filename))

    def write_prediction(self, filename, prediction):
        write_bytes_atomic(self.prediction_path(filename), encode_prediction(prediction))

    def write_worker_state(self, state):
        """Publish a ``WorkerState`` to the label loaders (atomic replace)."""
        write_bytes_atomic(self.worker_state_path, encode_worker_state(state))

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
