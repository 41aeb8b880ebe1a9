"""Cheap, checked reads of the datasets' images and label maps.

A read raises a ``DataFileError`` (``MissingDataFileError`` for a missing file)
naming the file, so a broken file in a dataset of thousands is found by name.
"""
import os.path as osp

import mmcv
import numpy as np
from PIL import Image

from ..utils.data_errors import DataFileError, MissingDataFileError


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


def read_label_array(path, what='label file'):
    """Decode a single-channel label PNG fully (palette indices for 'P' mode).

    Args:
        path (str): the file.
        what (str): what the file is, for the message ('label file', 'invalid
            mask').

    Raises:
        MissingDataFileError: the file does not exist (a ``FileNotFoundError``).
        DataFileError: unreadable, truncated, or not a single-channel label map (a
            ``ValueError``).
    """
    if not osp.isfile(path):
        raise MissingDataFileError(f'{what} not found: {path}')
    try:
        with Image.open(path) as img:
            array = np.asarray(img)
    except Exception as err:
        raise DataFileError(f'cannot read {what} {path}: {err}') from err
    if array.ndim != 2:
        raise DataFileError(
            f'{what} {path} has shape {array.shape}; expected a '
            'single-channel id map (is it a colour visualisation?)')
    return array
