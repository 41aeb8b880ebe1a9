"""The paper's eight adaptation runs: their published mIoU and the reference release's
checkpoint files.

Run names are ``<backbone>_<source model>_<source set>`` for source models and the
same plus ``2cityscapes`` for adapted ones (see :mod:`mmseg_uvpt.launch.launcher`). The
release names its files ``<SSS|GtA>_<Swin-B|MiT-B5>_<GTAV|Synthia>_Cityscapes_...``
(``SSS``: standard source-only training), the adapted ones with ``Uni-UVPT_LP`` and
each with the mIoU it reaches in its name.
"""
import os.path as osp
import re

#: appended to a source model's run name to name its adaptation run
TARGET_SUFFIX = '2cityscapes'

#: Cityscapes val mIoU (%) of the paper's table: GTA5 runs over 19 classes, SYNTHIA
#: runs over 16 and 13 (the keys are ``test.py``'s ``means``).
PAPER_MIOU = {
    'swin-b_standard_gta52cityscapes': dict(mIoU19=56.2),
    'swin-b_standard_synthia2cityscapes': dict(mIoU16=52.6, mIoU13=59.4),
    'swin-b_source-gta_gta52cityscapes': dict(mIoU19=56.9),
    'swin-b_source-gta_synthia2cityscapes': dict(mIoU16=53.8, mIoU13=60.4),
    'mit-b5_standard_gta52cityscapes': dict(mIoU19=54.2),
    'mit-b5_standard_synthia2cityscapes': dict(mIoU16=52.6, mIoU13=59.3),
    'mit-b5_source-gta_gta52cityscapes': dict(mIoU19=56.1),
    'mit-b5_source-gta_synthia2cityscapes': dict(mIoU16=53.8, mIoU13=60.1),
}

_RELEASE_PARTS = (
    {'SSS': 'standard', 'GtA': 'source-gta'},
    {'Swin-B': 'swin-b', 'MiT-B5': 'mit-b5'},
    {'GTAV': 'gta5', 'Synthia': 'synthia'},
)
_RELEASE_NAME = re.compile(r'(SSS|GtA)_(Swin-B|MiT-B5)_(GTAV|Synthia)_Cityscapes_'
                           r'(Uni-UVPT_LP_)?[\d._]*\.pth$')

#: where ``launcher_test.py --release`` finds the converted adapted checkpoints
RELEASE_CHECKPOINT_DIR = 'model/release'
#: the configs that compute as the release's adapted models
RELEASE_CONFIG_DIR = 'configs/uvpt/release'


def run_of_release_file(path):
    """``(run name, adapted)`` of a release checkpoint file name, or None.

    ``SSS_MiT-B5_Synthia_Cityscapes_Uni-UVPT_LP_52.6_59.3.pth`` ->
    ``('mit-b5_standard_synthia2cityscapes', True)``;
    ``GtA_Swin-B_GTAV_Cityscapes_52.8.pth`` -> ``('swin-b_source-gta_gta5', False)``.
    """
    match = _RELEASE_NAME.match(osp.basename(path))
    if match is None:
        return None
    model, backbone, dataset = (parts[g] for parts, g in zip(_RELEASE_PARTS,
                                                             match.groups()))
    adapted = match.group(4) is not None
    name = f'{backbone}_{model}_{dataset}' + (TARGET_SUFFIX if adapted else '')
    return name, adapted


def release_config(run):
    """The release-compatible config of an adapted run."""
    return osp.join(RELEASE_CONFIG_DIR, run + '.py')


def release_checkpoint(run):
    """Where the converted release checkpoint of an adapted run is expected."""
    return osp.join(RELEASE_CHECKPOINT_DIR, run + '.pth')
