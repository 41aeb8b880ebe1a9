"""Adaptive pseudo-label correction (docs/method.md §5): the data-loader side
(``LoadCorrectedAnnotations``), the store and its file formats, the hook and its
parts, the pure functions."""
from .configure import configure_correction
from .controller import CorrectionController
from .hook import AdaptiveCorrectionHook
from .iou_queue import IoUQueue, intersection_union
from .label_loading import LoadCorrectedAnnotations
from .label_store import LabelStore
from .label_update import correct_label, correct_with_prediction
from .frames import crop_to_full, full_to_sample, resized_shape, sample_to_crop
from .store_writer import StoreWriteError, StoreWriter
from .prob_histogram import class_prob_histogram, quantile_bins, quantise_prob
from .trigger import should_trigger, slope_change

__all__ = [
    'AdaptiveCorrectionHook', 'CorrectionController', 'IoUQueue', 'LabelStore',
    'LoadCorrectedAnnotations',
    'StoreWriteError', 'StoreWriter', 'class_prob_histogram', 'configure_correction',
    'correct_label', 'correct_with_prediction', 'crop_to_full', 'full_to_sample',
    'intersection_union', 'quantile_bins', 'quantise_prob', 'resized_shape',
    'sample_to_crop', 'should_trigger', 'slope_change'
]
