"""Atomic file writes: a temporary file in the same folder, then ``os.replace``.

Every PNG, JSON or binary file the project writes outside checkpoints (converted
labels, pseudo-labels, the correction store, the toy benchmark) goes through here,
so an interrupted run never leaves a truncated file behind that a re-run would
mistake for finished work.
"""
import json
import os
import os.path as osp
import uuid

import cv2
import numpy as np


def write_bytes_atomic(path, data):
    """Write ``data`` (bytes) to ``path`` via a temporary file + rename.

    The temporary file is a hidden ``.tmp`` file in the same folder, created
    with the default permissions (umask), unlike ``tempfile.mkstemp``'s 0600.
    """
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp')
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def encode_png(array):
    """Encode a uint8/uint16 array (H×W, or H×W×3 in RGB order) as PNG bytes.

    Settings are fixed so that the same array always gives the same bytes (the
    toy generator's determinism test relies on it). 3-channel arrays are photos,
    whose noise LZ77 cannot exploit: Huffman-only coding is ~2x faster there at
    a similar size. Label maps are long runs and use the default deflate.
    """
    array = np.ascontiguousarray(array)
    params = [cv2.IMWRITE_PNG_COMPRESSION, 3]
    if array.ndim == 3:
        array = array[..., ::-1]  # cv2 encodes BGR
        params += [cv2.IMWRITE_PNG_STRATEGY,
                   cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY]
    ok, buf = cv2.imencode('.png', array, params)
    if not ok:
        raise ValueError(f'could not encode an array of shape {array.shape} '
                         f'and dtype {array.dtype} as PNG')
    return buf.tobytes()


def write_png_atomic(path, array):
    """Write an H×W label map or H×W×3 RGB image to ``path`` atomically."""
    write_bytes_atomic(path, encode_png(array))


def write_json_atomic(path, obj):
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_bytes_atomic(path, (json.dumps(obj, indent=1) + '\n').encode())
