"""Datasets of the project, registered in mmseg's DATASETS registry."""
from . import pipelines  # noqa: F401
from .acdc import (ACDC_CONDITIONS, ACDC_SUBSETS, ACDCDataset,
                   PseudoLabelACDCDataset)
from .cityscapes import UVPTCityscapesDataset, resolve_eval_subsets
from .conversion import STATS_FILENAME, load_problem_images
from .dark_zurich import (DARK_ZURICH_CONDITIONS, DARK_ZURICH_SUBSETS,
                          PseudoLabelDarkZurichDataset, UVPTDarkZurichDataset)
from .image_folder import (IMAGE_EXTENSIONS, ImageFolderDataset,
                           PseudoLabelImageFolderDataset, list_image_files)
from .label_ids import (CITYSCAPES_CLASSES, SYNTHIA_13_CLASSES,
                        SYNTHIA_16_CLASSES, SYNTHIA_EVAL_SUBSETS,
                        SYNTHIA_ID_TO_TRAIN_ID, cityscapes_id_to_train_id)
from .pseudo_label import (MANIFEST_NAME, PSEUDO_LABEL_SUFFIX,
                           PseudoLabelCityscapesDataset, PseudoLabelMixin,
                           pseudo_label_path)
from .source import GTADataset, SynthiaDataset
from .submission import SERVER_FOLDERS, pack_submission, submission_filename
from .validation import (check_dataset_files, check_dataset_inputs,
                         check_label_values, check_sample_files)

__all__ = [
    'GTADataset', 'SynthiaDataset', 'UVPTCityscapesDataset',
    'PseudoLabelCityscapesDataset', 'PseudoLabelMixin', 'pseudo_label_path',
    'PSEUDO_LABEL_SUFFIX', 'MANIFEST_NAME',
    'ACDCDataset', 'PseudoLabelACDCDataset', 'ACDC_CONDITIONS', 'ACDC_SUBSETS',
    'UVPTDarkZurichDataset', 'PseudoLabelDarkZurichDataset',
    'DARK_ZURICH_CONDITIONS', 'DARK_ZURICH_SUBSETS',
    'ImageFolderDataset', 'PseudoLabelImageFolderDataset', 'IMAGE_EXTENSIONS',
    'list_image_files', 'SERVER_FOLDERS', 'pack_submission', 'submission_filename',
    'check_dataset_files', 'check_dataset_inputs', 'check_sample_files',
    'check_label_values', 'resolve_eval_subsets', 'load_problem_images',
    'STATS_FILENAME', 'CITYSCAPES_CLASSES',
    'SYNTHIA_16_CLASSES', 'SYNTHIA_13_CLASSES', 'SYNTHIA_EVAL_SUBSETS',
    'SYNTHIA_ID_TO_TRAIN_ID', 'cityscapes_id_to_train_id'
]
