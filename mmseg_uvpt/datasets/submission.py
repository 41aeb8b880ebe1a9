"""Test-server submissions: prediction PNGs named and laid out as a benchmark's server
expects, and the zip to upload.

``test.py CONFIG CHECKPOINT --format-only`` on a dataset with :class:`SubmissionMixin`
(ACDC, Dark Zurich) writes, under ``imgfile_prefix`` (``--eval-options
imgfile_prefix=DIR``, default ``<work_dir>/format_results``), one uint8 PNG of train
ids (0..18, greyscale, the image's full size) per test image, named as the image
(``GOPR0475_frame_000041_rgb_anon.png``), in each folder the server reads, then packs
those folders into ``<imgfile_prefix>.zip``:

* ACDC (``acdc.vision.ee.ethz.ch/submit``): ``labelTrainIds/`` with the predictions
  of all 2000 test images (500 per condition), flat;
* Dark Zurich (its CodaLab competition): ``labelTrainIds/``,
  ``labelTrainIds_invalid/`` and ``confidence/``, flat, 151 test images each. The
  server computes IoU from ``labelTrainIds``; the other two feed its uncertainty-aware
  UIoU: ``labelTrainIds_invalid`` gets the same predictions (no pixel declared
  invalid, with which UIoU equals IoU) and ``confidence`` full confidence (uint16
  65535), as the project predicts hard labels only.

The folder names of each server are :data:`SERVER_FOLDERS`; the PNGs are named by
:func:`submission_filename`.
"""
import os
import os.path as osp
import zipfile
from collections import OrderedDict

import numpy as np

from ..utils.atomic_write import write_png_atomic
from ..utils.data_errors import DataFileError, MissingDataFileError

#: what each server reads: folder -> what the PNG holds
SERVER_FOLDERS = dict(
    acdc=OrderedDict(labelTrainIds='prediction'),
    dark_zurich=OrderedDict(labelTrainIds='prediction',
                            labelTrainIds_invalid='prediction',
                            confidence='confidence'),
)
#: full confidence in a Dark Zurich ``confidence`` PNG (uint16, 0..65535 = 0..1)
FULL_CONFIDENCE = 65535


def submission_filename(img_filename):
    """The name of an image's prediction in a submission: the image's own file name
    without its folders, as a PNG (``fog/test/GOPR0475/x_rgb_anon.png`` ->
    ``x_rgb_anon.png``)."""
    return osp.splitext(osp.basename(img_filename))[0] + '.png'


def submission_names(img_filenames):
    """``submission_filename`` of each image, refusing two images with one name (the
    server's folders are flat)."""
    seen = {}
    for filename in img_filenames:
        name = submission_filename(filename)
        if name in seen:
            raise DataFileError(f'images {seen[name]} and {filename} would both be '
                                f'submitted as {name}')
        seen[name] = filename
    return list(seen)


def write_submission_prediction(imgfile_prefix, server, name, pred):
    """Write one image's prediction ``pred`` (H x W train ids) as ``name`` into every
    folder of ``server``; returns the paths."""
    pred = np.asarray(pred)
    if pred.ndim != 2 or pred.min(initial=0) < 0 or pred.max(initial=0) > 255:
        raise ValueError(f'prediction for {name}: expected an H x W map of train ids, '
                         f'got shape {pred.shape}')
    paths = []
    for folder, content in SERVER_FOLDERS[server].items():
        path = osp.join(imgfile_prefix, folder, name)
        if content == 'confidence':
            write_png_atomic(path, np.full(pred.shape, FULL_CONFIDENCE, np.uint16))
        else:
            write_png_atomic(path, pred.astype(np.uint8))
        paths.append(path)
    return paths


def pack_submission(imgfile_prefix, server, names, zip_path=None):
    """Zip the PNGs ``names`` of each of the server's folders under
    ``imgfile_prefix`` (other files there, e.g. of an earlier run, are left out).

    Args:
        imgfile_prefix (str): the folder ``format_results`` wrote into.
        server (str): a key of :data:`SERVER_FOLDERS`.
        names (Sequence[str]): the expected PNG names (:func:`submission_names`).
        zip_path (str | None): default ``<imgfile_prefix>.zip``.

    Returns:
        str: the zip, written atomically (members ``<folder>/<name>``, sorted).

    Raises:
        MissingDataFileError: a prediction is missing, naming it.
    """
    zip_path = zip_path or imgfile_prefix.rstrip('/\\') + '.zip'
    expected = set(names)
    members = []
    for folder in SERVER_FOLDERS[server]:
        root = osp.join(imgfile_prefix, folder)
        present = set(os.listdir(root)) if osp.isdir(root) else set()
        missing = sorted(expected - present)
        if missing:
            raise MissingDataFileError(
                f'{len(missing)} of {len(expected)} predictions missing in {root}; '
                f'first: {osp.join(root, missing[0])}')
        members += [(osp.join(root, n), f'{folder}/{n}') for n in sorted(expected)]
    tmp = zip_path + '.tmp'
    os.makedirs(osp.dirname(osp.abspath(zip_path)), exist_ok=True)
    with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in members:
            archive.write(path, arcname)
    os.replace(tmp, zip_path)
    return zip_path


class SubmissionMixin:
    """``format_results`` writes a server's layout; ``pack_format_results`` zips it.

    Put it before the dataset class; the dataset names its server in
    ``SUBMISSION_SERVER`` (a key of :data:`SERVER_FOLDERS`). ``test.py
    --format-only`` calls both.
    """

    SUBMISSION_SERVER = None

    def format_results(self, results, imgfile_prefix, indices=None,
                       to_label_id=False, **kwargs):
        """Write each prediction of ``results`` (train-id maps of the images
        ``indices``, default all) as the server expects; returns the paths.

        Args:
            to_label_id (bool): must be False: the servers take train ids (accepted
                because mmseg's commands for these benchmarks pass it).
        """
        if to_label_id:
            raise ValueError(f'{type(self).__name__}: the {self.SUBMISSION_SERVER} '
                             'server takes train ids; drop to_label_id=True')
        if indices is None:
            indices = list(range(len(self)))
        names = self.submission_names()
        paths = []
        for pred, index in zip(results, indices):
            if isinstance(pred, str):
                pred = np.load(pred)
            paths += write_submission_prediction(imgfile_prefix,
                                                 self.SUBMISSION_SERVER,
                                                 names[index], pred)
        return paths

    def submission_names(self):
        """The PNG name of each image, in the dataset's order."""
        if getattr(self, '_submission_names', None) is None:
            self._submission_names = submission_names(
                [info['filename'] for info in self.img_infos])
        return self._submission_names

    def submission_warnings(self):
        """What makes this dataset an incomplete submission (e.g. one condition of
        ACDC's four); empty when it is complete."""
        return []

    def pack_format_results(self, imgfile_prefix, zip_path=None):
        """Zip what ``format_results`` wrote (:func:`pack_submission`)."""
        return pack_submission(imgfile_prefix, self.SUBMISSION_SERVER,
                               self.submission_names(), zip_path)
