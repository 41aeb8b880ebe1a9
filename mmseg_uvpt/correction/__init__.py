"""Adaptive pseudo-label correction (DESIGN §3.5): pure functions, label store, hook."""
from .configure import configure_correction
from .controller import CorrectionController
from .hook import AdaptiveCorrectionHook
from .iou_queue import IoUQueue, intersection_union
from .label_store import LabelStore
from .pixel_update import correct_label, crop_to_full, resized_shape
from .threshold import class_prob_histogram, quantile_bins, quantise_prob
from .trigger import should_trigger, slope_drop

__all__ = [
    'AdaptiveCorrectionHook', 'CorrectionController', 'IoUQueue', 'LabelStore',
    'class_prob_histogram', 'configure_correction', 'correct_label', 'crop_to_full',
    'intersection_union', 'quantile_bins', 'quantise_prob', 'resized_shape',
    'should_trigger', 'slope_drop'
]
