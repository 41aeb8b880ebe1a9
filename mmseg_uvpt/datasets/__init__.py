"""Datasets of the project, registered in mmseg's DATASETS registry."""
from . import pipelines  # noqa: F401
from .cityscapes import UVPTCityscapesDataset, resolve_eval_subsets
from .conversion import STATS_FILENAME, load_problem_images
from .label_ids import (CITYSCAPES_CLASSES, SYNTHIA_13_CLASSES,
                        SYNTHIA_16_CLASSES, SYNTHIA_EVAL_SUBSETS,
                        SYNTHIA_ID_TO_TRAIN_ID, cityscapes_id_to_train_id)
from .pseudo_label import (MANIFEST_NAME, PSEUDO_LABEL_SUFFIX,
                           PseudoLabelCityscapesDataset, pseudo_label_path)
from .source import GTADataset, SynthiaDataset
from .validation import (check_dataset_files, check_label_values,
                         check_sample_files)

__all__ = [
    'GTADataset', 'SynthiaDataset', 'UVPTCityscapesDataset',
    'PseudoLabelCityscapesDataset', 'pseudo_label_path',
    'PSEUDO_LABEL_SUFFIX', 'MANIFEST_NAME',
    'check_dataset_files', 'check_sample_files', 'check_label_values',
    'resolve_eval_subsets', 'load_problem_images', 'STATS_FILENAME',
    'CITYSCAPES_CLASSES',
    'SYNTHIA_16_CLASSES', 'SYNTHIA_13_CLASSES', 'SYNTHIA_EVAL_SUBSETS',
    'SYNTHIA_ID_TO_TRAIN_ID', 'cityscapes_id_to_train_id'
]
