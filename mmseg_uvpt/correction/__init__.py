"""Adaptive pseudo-label correction (docs/method.md §5): pure functions, label store,
hook."""
from ..datasets.label_correction import correct_label, correct_with_prediction
from .configure import configure_correction
from .controller import CorrectionController
from .hook import AdaptiveCorrectionHook
from .iou_queue import IoUQueue, intersection_union
from .label_store import LabelStore
from .pixel_update import crop_to_full, full_to_sample, resized_shape, sample_to_crop
from .store_writer import StoreWriteError, StoreWriter
from .threshold import class_prob_histogram, quantile_bins, quantise_prob
from .trigger import should_trigger, slope_change

__all__ = [
    'AdaptiveCorrectionHook', 'CorrectionController', 'IoUQueue', 'LabelStore',
    'StoreWriteError', 'StoreWriter', 'class_prob_histogram', 'configure_correction',
    'correct_label', 'correct_with_prediction', 'crop_to_full', 'full_to_sample',
    'intersection_union', 'quantile_bins', 'quantise_prob', 'resized_shape',
    'sample_to_crop', 'should_trigger', 'slope_change'
]
