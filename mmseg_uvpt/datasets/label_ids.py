"""Label-id tables shared by the converters, the dataset classes and the toy data.

All datasets of the project are trained and evaluated on Cityscapes' 19 train ids.
GTA5 stores Cityscapes label ids; SYNTHIA-RAND-CITYSCAPES has its own id table.
"""
from cityscapesscripts.helpers import labels as cs_labels

IGNORE_INDEX = 255

# Cityscapes' 19 evaluated classes in train-id order (the same tuple as mmseg's
# CityscapesDataset.CLASSES, which the dataset classes use directly).
CITYSCAPES_CLASSES = tuple(
    label.name for label in sorted(
        (lb for lb in cs_labels.labels if 0 <= lb.trainId < IGNORE_INDEX),
        key=lambda lb: lb.trainId))

# The 16 classes SYNTHIA shares with Cityscapes (no terrain, truck, train), and
# the 13 of them that SYNTHIA->Cityscapes papers also report (no wall, fence, pole).
SYNTHIA_16_CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
                      'traffic light', 'traffic sign', 'vegetation', 'sky',
                      'person', 'rider', 'car', 'bus', 'motorcycle', 'bicycle')
SYNTHIA_13_CLASSES = tuple(
    c for c in SYNTHIA_16_CLASSES if c not in ('wall', 'fence', 'pole'))

# `eval_subsets='synthia'` in a dataset config expands to this.
SYNTHIA_EVAL_SUBSETS = dict(mIoU16=SYNTHIA_16_CLASSES, mIoU13=SYNTHIA_13_CLASSES)

# SYNTHIA-RAND-CITYSCAPES class id (first channel of GT/LABELS/*.png) -> Cityscapes
# train id; the table used by DAFormer and the mmseg-based UDA works. Every other
# id becomes 255: void, parking-slot, road-work, lanemarking, and terrain (16),
# truck (18) and train (20), which the 16-class protocol leaves out.
SYNTHIA_ID_TO_TRAIN_ID = {
    3: 0,    # road
    4: 1,    # sidewalk
    2: 2,    # building
    21: 3,   # wall
    5: 4,    # fence
    7: 5,    # pole
    15: 6,   # traffic light
    9: 7,    # traffic sign
    6: 8,    # vegetation
    1: 10,   # sky
    10: 11,  # person
    17: 12,  # rider
    8: 13,   # car
    19: 15,  # bus
    12: 17,  # motorcycle
    11: 18,  # bicycle
}


def cityscapes_id_to_train_id():
    """Cityscapes label id -> train id for every non-negative id, from
    cityscapesscripts (ignored classes map to 255)."""
    return {
        label.id: (label.trainId if 0 <= label.trainId < IGNORE_INDEX else
                   IGNORE_INDEX)
        for label in cs_labels.labels if label.id >= 0
    }


def cityscapes_name_to_id():
    """Cityscapes class name -> raw label id (e.g. 'car' -> 26)."""
    return {label.name: label.id for label in cs_labels.labels if label.id >= 0}
