"""Atomic writes and cheap reads for label/image files.

Every PNG or JSON the data tools write goes through a temporary file in the same
folder followed by ``os.replace``, so an interrupted run never leaves a truncated
file behind that a re-run would mistake for finished work. The reads raise a
``DataFileError`` (``MissingDataFileError`` for a missing file) naming the file.
"""
import json
import os
import os.path as osp
import uuid

import cv2
import mmcv
import numpy as np
from PIL import Image

from ..utils.data_errors import DataFileError, MissingDataFileError


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


#: the last 12 bytes of every whole PNG: the IEND chunk (length 0, type, CRC)
PNG_END = b'\x00\x00\x00\x00IEND\xaeB`\x82'


def _png_ends_whole(path):
    """True when the file ends with the IEND chunk that closes every PNG.

    A truncated PNG (a copy cut short, a full disk) still has a readable header, so
    PIL's ``Image.open`` accepts it and only the decode in the data loader fails.
    PIL has no cheap test for this; reading the last 12 bytes is one seek.
    """
    with open(path, 'rb') as f:
        f.seek(0, 2)
        if f.tell() < len(PNG_END):
            return False
        f.seek(-len(PNG_END), 2)
        return f.read() == PNG_END


def read_image_size(path, what='image'):
    """(width, height) of an image or label file, from its header only; for a PNG,
    also checks that the file is whole.

    A PNG without IEND at its very end (data after IEND is legal, if rare) is decoded
    in full before it is refused, so only a truncated or corrupt file fails.

    Args:
        path (str): the file.
        what (str): what the file is, for the message ('image', 'label file').

    Raises:
        MissingDataFileError: the file does not exist (a ``FileNotFoundError``).
        DataFileError: the file is not a readable image (a ``ValueError``).
    """
    if not osp.isfile(path):
        raise MissingDataFileError(f'{what} not found: {path}')
    try:
        with Image.open(path) as img:
            if img.format == 'PNG' and not _png_ends_whole(path):
                img.load()  # raises for a truncated file
            return img.size
    except Exception as err:  # PIL raises several types for corrupt files
        raise DataFileError(f'cannot read {what} {path}: {err}') from err


def read_image(path):
    """Decode an image as mmseg's ``LoadImageFromFile`` does (mmcv, BGR).

    Raises:
        MissingDataFileError: the file does not exist.
        DataFileError: the file cannot be decoded.
    """
    read_image_size(path)  # names a missing or truncated file
    try:
        img = mmcv.imread(path)
    except Exception as err:  # mmcv/cv2 raise several types
        raise DataFileError(f'cannot read image {path}: {err}') from err
    if img is None:
        raise DataFileError(f'cannot read image {path}')
    return img


def read_label_array(path):
    """Decode a single-channel label PNG fully (palette indices for 'P' mode).

    Raises:
        MissingDataFileError: the file does not exist (a ``FileNotFoundError``).
        DataFileError: unreadable, truncated, or not a single-channel label map (a
            ``ValueError``).
    """
    if not osp.isfile(path):
        raise MissingDataFileError(f'label file not found: {path}')
    try:
        with Image.open(path) as img:
            array = np.asarray(img)
    except Exception as err:
        raise DataFileError(f'cannot read label file {path}: {err}') from err
    if array.ndim != 2:
        raise DataFileError(
            f'label file {path} has shape {array.shape}; expected a '
            'single-channel id map (is it a colour visualisation?)')
    return array
