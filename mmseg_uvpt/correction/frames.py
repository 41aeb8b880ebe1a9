"""Mapping maps between a training sample's frame and the full image
(docs/method.md §5).

A training sample is a crop of the resized image, possibly flipped and padded. Its
box ``crop_bbox = (y1, y2, x1, x2)`` is in the resized, unflipped image (see
``RandomCropWithBox``) and the flip is applied to the crop, so a map in the sample's
frame goes back by: drop the padding, undo the flip, paste into the box.
"""
import mmcv
import numpy as np

from .store_format import NO_PREDICTION


def resize_label(label, shape):
    """Nearest-neighbour resize to (H, W), as mmseg's Resize does to labels."""
    if tuple(label.shape) == tuple(shape):
        return label
    return mmcv.imresize(label, tuple(shape)[::-1], interpolation='nearest')


def resized_shape(meta):
    """(H, W) of the resized image a sample was cropped from.

    Derived from mmseg's default meta keys: ``ori_shape`` and ``scale_factor``
    (``[w_scale, h_scale, ...]`` with ``scale = new / old`` as set by ``Resize``).
    """
    if 'ori_shape' not in meta:
        raise KeyError("img_metas lack 'ori_shape'; keep it in the train pipeline's "
                       'Collect meta_keys')
    height, width = meta['ori_shape'][:2]
    scale = meta.get('scale_factor')
    if scale is None:
        return int(height), int(width)
    return int(round(height * float(scale[1]))), int(round(width * float(scale[0])))


def unflip(values, flip, direction='horizontal'):
    """Undo mmcv's ``imflip`` on an [H, W] map (a flip is its own inverse)."""
    if not flip:
        return values
    if direction == 'horizontal':
        return values[:, ::-1]
    if direction == 'vertical':
        return values[::-1]
    if direction == 'diagonal':
        return values[::-1, ::-1]
    raise ValueError(f'unknown flip_direction {direction!r}')


def sample_to_crop(values, crop_bbox, flip=False, flip_direction='horizontal'):
    """A map in the sample's frame as the crop of the unflipped image: the padding
    (bottom/right, added by Pad) dropped, the flip undone."""
    y1, y2, x1, x2 = (int(v) for v in crop_bbox)
    values = np.asarray(values)
    if values.shape[0] < y2 - y1 or values.shape[1] < x2 - x1:
        raise ValueError(f'a map of shape {values.shape} cannot fill crop_bbox '
                         f'{tuple(crop_bbox)}')
    return np.ascontiguousarray(unflip(values[:y2 - y1, :x2 - x1], flip, flip_direction))


def full_to_sample(full, crop_bbox, sample_shape, flip=False,
                   flip_direction='horizontal', fill=255):
    """The inverse of :func:`crop_to_full`: crop ``full`` to the box, flip it as the
    sample was flipped and pad it (bottom/right) to ``sample_shape``."""
    y1, y2, x1, x2 = (int(v) for v in crop_bbox)
    out = np.full(tuple(sample_shape), fill, dtype=np.asarray(full).dtype)
    out[:y2 - y1, :x2 - x1] = unflip(full[y1:y2, x1:x2], flip, flip_direction)
    return out


def crop_to_full(values,
                 crop_bbox,
                 full_shape,
                 flip=False,
                 flip_direction='horizontal',
                 fill=NO_PREDICTION):
    """Paste a map from the sample's frame into a full-image canvas.

    Args:
        values (ndarray): [h', w'] map in the augmented frame, h' >= y2 - y1 and
            w' >= x2 - x1 (anything beyond is padding, added bottom/right by Pad).
        crop_bbox (Sequence[int]): (y1, y2, x1, x2) in the full image.
        full_shape (tuple): (H, W) of the full image.
        flip (bool): whether the sample was flipped.
        flip_direction (str): mmcv flip direction.
        fill: value of the canvas outside the box.

    Returns:
        ndarray: [H, W] of ``values.dtype``.
    """
    y1, y2, x1, x2 = (int(v) for v in crop_bbox)
    height, width = full_shape
    if not (0 <= y1 < y2 <= height and 0 <= x1 < x2 <= width):
        raise ValueError(
            f'crop_bbox {tuple(crop_bbox)} does not fit the image {full_shape}')
    crop = sample_to_crop(values, crop_bbox, flip, flip_direction)
    canvas = np.full((height, width), fill, dtype=crop.dtype)
    canvas[y1:y2, x1:x2] = crop
    return canvas
