"""Handing a step's outputs to the background store writer.

After each step the model's outputs (``runner.outputs['correction']``) and the
label each sample's correction produced go to this process's
:class:`StoreWriter`, one record per sample: where the crop lies in the resized
image, its flip, and whether this rank stores it. ``DistributedSampler`` pads an
epoch by repeating images, so one image may be trained twice in one iteration
on different ranks; it is stored once, by the first rank holding it, so the
class-probability histogram counts each image once. Every rank records the
iteration of every stored image (``visits``): the prediction iteration a sample's
loader must have read on the image's next visit.
"""
from mmcv.runner import get_dist_info

from ..utils.distributed import gather_objects, is_distributed
from .frames import resized_shape
from .sample_meta import crop_box, flip_of


def hand_off(writer, iteration, outputs, plan, visits):
    """Submit the samples of step ``iteration`` to ``writer``.

    Args:
        writer (StoreWriter): this process's writer.
        iteration (int): the step's iteration (1-based).
        outputs (dict): ``runner.outputs['correction']``: pred, prob, label,
            img_metas.
        plan (list[dict]): per sample the corrected ``label`` to store (or None)
            and the pixels ``changed``.
        visits (dict): image -> iteration of its last stored prediction; updated.
    """
    metas = outputs['img_metas']
    boxes = [crop_box(meta) for meta in metas]
    if is_distributed():
        # every process's writes of earlier steps land before any of this step
        # (they are ordered by the gather below), so two processes never race
        # on the files of one image
        writer.wait_until(iteration - 1)
    owned = owned_samples(metas, iteration, visits)
    samples = [
        sample_record(meta, box, mine, step)
        for meta, box, mine, step in zip(metas, boxes, owned, plan)
    ]
    writer.submit(iteration, outputs['pred'], outputs['prob'], outputs['label'], samples)


def owned_samples(img_metas, iteration, visits):
    """Which samples this rank stores: an image seen twice in one iteration
    (DistributedSampler pads an epoch by repeating images) is stored once, by
    the first rank holding it, so the histogram stays exact. Records the
    iteration of every stored image (of all ranks) in ``visits``."""
    names = [meta['ori_filename'] for meta in img_metas]
    rank, _ = get_dist_info()
    seen = set()
    owned = None
    for other, other_names in enumerate(gather_objects(names)):
        mine = [name not in seen for name in other_names]
        seen.update(other_names)
        if other == rank:
            owned = mine
    for name in seen:
        visits[name] = int(iteration)
    return owned


def sample_record(meta, box, owned, step):
    """The writer's record of one sample (see :meth:`StoreWriter.submit`)."""
    flip, direction = flip_of(meta)
    return dict(filename=meta['ori_filename'],
                owned=owned,
                box=box,
                flip=flip,
                direction=direction,
                full_shape=resized_shape(meta),
                label=step['label'],
                changed=step['changed'])
