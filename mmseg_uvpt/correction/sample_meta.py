"""The keys the correction hook reads from a training sample's ``img_metas``.

They come from the train pipeline, not from the dataset, so a config that lacks
the step adding one fails here; each reader raises a ``KeyError`` that names the
pipeline step or ``Collect`` meta key to add, instead of a bare key name deep
inside the hook's parts.
"""


def correction_info(meta):
    """What the sample's data-loader worker used for its correction (state version,
    prediction iteration, the label to store, pixels changed)."""
    if 'correction' not in meta:
        raise KeyError("img_metas lack 'correction': use LoadCorrectedAnnotations "
                       "with a store_dir and add 'correction' to the train "
                       'Collect meta_keys (configure_correction does both)')
    return meta['correction']


def crop_box(meta):
    """The sample's crop ``(y1, y2, x1, x2)`` in the resized image."""
    if 'crop_bbox' not in meta:
        raise KeyError("img_metas lack 'crop_bbox': use RandomCropWithBox and add "
                       "'crop_bbox' and 'label_path' to the train Collect meta_keys")
    return meta['crop_bbox']


def label_path(meta):
    """The dataset's label file of the sample's image."""
    if 'label_path' not in meta:
        raise KeyError("img_metas lack 'label_path': use LoadCorrectedAnnotations "
                       "and add 'label_path' to the train Collect meta_keys")
    return meta['label_path']


def flip_of(meta):
    """``(flipped, direction)`` of the sample, as ``RandomFlip`` recorded them."""
    return bool(meta.get('flip', False)), meta.get('flip_direction', 'horizontal')
