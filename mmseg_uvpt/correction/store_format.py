"""The file formats of the pseudo-label correction store.

Shared by the data-loader side (``LoadCorrectedAnnotations``, which corrects a
sample's label while loading it) and the training side (the correction hook and its
background writer). Layout under ``<work_dir>/correction``::

    labels/<img_info filename, suffix .png>   corrected label, uint8 train ids
    preds/<same stem>.pred                    last visit's crop prediction (below)
    worker_state.json                         active classes and thresholds
    snapshots/<name>/{labels,preds}/...       store as of a checkpoint

A stored prediction: one file per image holds the last visit's prediction *of the
crop only* (in the unflipped frame, padding dropped) and where that crop lies::

    header  magic b'UVPP', format 1, iteration, full H, full W, y1, y2, x1, x2
    body    zstd(pred bytes + row-delta prob bytes), uint8 [y2 - y1, x2 - x1] each

The probability map is stored as differences along each row (mod 256): smooth maps
then compress to about 60% of their plain zstd size at almost no cost. On smooth
512x512 maps (``tools/benchmark_correction.py --codecs``, see benchmarks/README.md)
zstd level 1 with the row delta encodes about ten times faster than two PNGs at
a similar size. ``iteration`` names the visit that wrote the file; the
correction hook uses it to tell a current prediction from a stale one.
"""
import collections
import json
import os
import os.path as osp
import struct
import threading

import numpy as np
import zstandard

from ..datasets.image_io import read_label_array

NO_PREDICTION = 255  # pred value for pixels without a prediction
LABELS_DIR, PREDS_DIR = 'labels', 'preds'
WORKER_STATE = 'worker_state.json'
INACTIVE = -1  # worker-state version while no class is being corrected

MAGIC = b'UVPP'
FORMAT = 1
_HEADER = struct.Struct('<4sBq6I')
_LEVEL = 1
_local = threading.local()  # zstd (de)compressors must not be shared across threads

Prediction = collections.namedtuple('Prediction',
                                    'iteration box full_shape pred prob')
Prediction.__doc__ = """A stored prediction: ``box = (y1, y2, x1, x2)`` in the full
(resized) image of shape ``full_shape``; ``pred`` and ``prob`` uint8 crops."""


def _codec():
    if not hasattr(_local, 'compressor'):
        _local.compressor = zstandard.ZstdCompressor(level=_LEVEL)
        _local.decompressor = zstandard.ZstdDecompressor()
    return _local.compressor, _local.decompressor


def row_delta(values):
    """uint8 differences along rows (first column kept), inverse :func:`row_sum`."""
    delta = values.copy()
    delta[:, 1:] -= values[:, :-1]
    return delta


def row_sum(delta):
    return np.cumsum(delta, axis=1, dtype=np.uint8)


def encode_prediction(prediction):
    """Bytes of a :class:`Prediction`."""
    y1, y2, x1, x2 = (int(v) for v in prediction.box)
    height, width = (int(v) for v in prediction.full_shape)
    pred = np.ascontiguousarray(prediction.pred, dtype=np.uint8)
    prob = np.ascontiguousarray(prediction.prob, dtype=np.uint8)
    if pred.shape != (y2 - y1, x2 - x1) or prob.shape != pred.shape:
        raise ValueError(f'prediction crops {pred.shape}/{prob.shape} do not match the '
                         f'box {(y1, y2, x1, x2)}')
    header = _HEADER.pack(MAGIC, FORMAT, int(prediction.iteration), height, width, y1,
                          y2, x1, x2)
    compressor, _ = _codec()
    return header + compressor.compress(pred.tobytes() + row_delta(prob).tobytes())


def decode_prediction(data, path='<bytes>'):
    """:class:`Prediction` of :func:`encode_prediction` bytes.

    Raises:
        OSError: naming ``path`` when the bytes are not a complete prediction file.
    """
    if len(data) < _HEADER.size:
        raise OSError(f'{path} is too short for a stored prediction')
    magic, fmt, iteration, height, width, y1, y2, x1, x2 = _HEADER.unpack_from(data)
    if magic != MAGIC or fmt != FORMAT:
        raise OSError(f'{path} is not a stored prediction of format {FORMAT}')
    shape = (y2 - y1, x2 - x1)
    _, decompressor = _codec()
    try:
        body = decompressor.decompress(data[_HEADER.size:])
    except zstandard.ZstdError as err:
        raise OSError(f'{path} holds a corrupt prediction: {err}') from None
    size = shape[0] * shape[1]
    if len(body) != 2 * size:
        raise OSError(f'{path} holds {len(body)} bytes of maps, expected {2 * size}')
    flat = np.frombuffer(body, dtype=np.uint8)
    return Prediction(int(iteration), (y1, y2, x1, x2), (height, width),
                      flat[:size].reshape(shape), row_sum(flat[size:].reshape(shape)))


def read_prediction_file(path):
    """The :class:`Prediction` in ``path``, or None when there is no such file."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return None
    return decode_prediction(data, path)


# --- layout ---------------------------------------------------------------------------
def store_key(filename):
    """Relative store path (without suffix) of an ``img_info['filename']``."""
    key = osp.normpath(osp.splitext(filename)[0])
    if osp.isabs(key) or key.startswith('..'):
        raise ValueError(f'image filename {filename!r} must be relative to the image '
                         'folder to name a file in the label store')
    return key


def label_file_in_store(labels_dir, filename):
    """Path of an image's corrected label in the store's label folder."""
    return osp.join(labels_dir, store_key(filename) + '.png')


def prediction_file_in_store(preds_dir, filename):
    """Path of an image's stored prediction in the store's prediction folder."""
    return osp.join(preds_dir, store_key(filename) + '.pred')


# --- worker state ---------------------------------------------------------------------
WorkerState = collections.namedtuple('WorkerState', 'version active threshold_bins')
WorkerState.__doc__ = """What a label loader needs to correct: ``active`` bool [C],
``threshold_bins`` float [C], ``version`` (``INACTIVE`` while nothing is active)."""


def encode_worker_state(state):
    return (json.dumps(dict(version=int(state.version),
                            active=[bool(v) for v in state.active],
                            threshold_bins=[float(v) for v in state.threshold_bins])) +
            '\n').encode()


class WorkerStateReader:
    """Reads ``worker_state.json`` again only when the file was replaced (a stat per
    call), so a persistent data-loader worker follows every check of the hook.

    Args:
        path (str): the state file.
    """

    def __init__(self, path):
        self.path = path
        self._stamp = None
        self._state = None

    def read(self):
        """The current :class:`WorkerState`, or None when there is no file."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            with open(self.path, 'rb') as f:
                raw = json.loads(f.read())
            self._state = WorkerState(int(raw['version']),
                                      np.asarray(raw['active'], dtype=bool),
                                      np.asarray(raw['threshold_bins'], dtype=np.float64))
            self._stamp = stamp
        return self._state


def read_stored_label(path):
    """uint8 [H, W] label of the store, or None when the image has none yet."""
    if not osp.isfile(path):
        return None
    label = read_label_array(path)
    if label.dtype != np.uint8:
        raise OSError(f'{path} is not a uint8 label PNG')
    return label
