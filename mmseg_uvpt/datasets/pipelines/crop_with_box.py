"""Random crop that records its box, so label correction can map predictions back."""
from mmseg.datasets.builder import PIPELINES
from mmseg.datasets.pipelines import RandomCrop

#: seg field that, when present, is what ``cat_max_ratio`` judges instead of
#: ``gt_semantic_seg`` (set by LoadCorrectedAnnotations: the label as loaded from
#: disk, while ``gt_semantic_seg`` holds the corrected one)
CROP_REFERENCE = 'gt_crop_reference'
_TARGET = 'gt_training_target'


@PIPELINES.register_module()
class RandomCropWithBox(RandomCrop):
    """mmseg's ``RandomCrop`` (incl. ``cat_max_ratio``) that also stores
    ``results['crop_bbox'] = (y1, y2, x1, x2)``.

    The box is in the coordinates of the image as it was before the crop (the
    resized image), clipped to it, and always in the *unflipped* frame: if a
    ``RandomFlip`` already ran, the box is mirrored so that the sample equals
    flip(crop(unflipped image, box)) whichever order the two steps run in.

    When the sample holds a ``gt_crop_reference`` seg field, ``cat_max_ratio`` judges
    that map and it is dropped after the crop; ``gt_semantic_seg`` is cropped with
    the same box.

    Args:
        crop_size (tuple[int]): (h, w) of the crop.
        cat_max_ratio (float): the largest share one class may take in the crop.
        ignore_index (int): label ignored by ``cat_max_ratio``.
    """

    def crop(self, img, crop_bbox):
        # mmseg applies the final box last (to the image, then to every seg field),
        # so the box seen last is the one used
        self._last_bbox = crop_bbox
        return super().crop(img, crop_bbox)

    def __call__(self, results):
        height, width = results['img'].shape[:2]
        reference = results.pop(CROP_REFERENCE, None)
        if reference is not None:
            # mmseg's RandomCrop judges gt_semantic_seg and crops every seg field
            fields = results['seg_fields']
            fields[fields.index(CROP_REFERENCE)] = _TARGET
            results[_TARGET], results['gt_semantic_seg'] = (results['gt_semantic_seg'],
                                                            reference)
        results = super().__call__(results)
        if reference is not None:
            results['gt_semantic_seg'] = results.pop(_TARGET)
            results['seg_fields'].remove(_TARGET)
        y1, y2, x1, x2 = (int(v) for v in self._last_bbox)
        y2, x2 = min(y2, height), min(x2, width)
        if results.get('flip', False):
            direction = results.get('flip_direction', 'horizontal')
            if direction in ('horizontal', 'diagonal'):
                x1, x2 = width - x2, width - x1
            if direction in ('vertical', 'diagonal'):
                y1, y2 = height - y2, height - y1
        results['crop_bbox'] = (y1, y2, x1, x2)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'cat_max_ratio={self.cat_max_ratio})')
