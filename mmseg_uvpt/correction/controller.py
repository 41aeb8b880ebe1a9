"""The correction schedule: which classes are corrected, with which thresholds.

Pure Python/numpy/torch state machine behind ``AdaptiveCorrectionHook`` (the hook
adds the runner, the label store and logging). Its state converts to tensors and
plain containers only, so it travels in checkpoints loaded with weights_only=True.
"""
import numpy as np
import torch

from .iou_queue import IoUQueue
from .prob_histogram import NUM_BINS, quantile_bins
from .trigger import MIN_POINTS, should_trigger

STATE_VERSION = 2


class CorrectionController:
    """Per-class IoU records, early-learning trigger and thresholds (docs/method.md §5).

    Follows the reference release's hook: an IoU record is taken at a check only once
    the queue holds ``queue_size`` samples; a class's fit window is every record
    since its last start (records taken while it is active stay in it); an active
    class ends one epoch after its start and may start again at that same check.

    Args:
        num_classes (int): number of classes C.
        queue_size (int): samples in the IoU queue.
        quantile (float): q of the per-class confidence threshold.
        trigger (float): lower bound of the slope change that starts correction.
        min_points (int): fewest records in a class's window before it is fitted.
    """

    def __init__(self,
                 num_classes,
                 queue_size=1000,
                 quantile=0.8,
                 trigger=0.95,
                 min_points=MIN_POINTS):
        self.num_classes = num_classes
        self.quantile = quantile
        self.trigger = trigger
        self.min_points = min_points
        self.queue = IoUQueue(num_classes, queue_size)
        # [C, 256] histogram of every image's latest stored prediction
        self.hist = np.zeros((num_classes, NUM_BINS), dtype=np.int64)
        self.threshold_bins = np.zeros(num_classes)
        self.active = {}  # class -> iteration its correction started
        self.log_iters = []  # iteration of every IoU record
        self.log_ious = []  # [C] IoU per record (NaN where no pixels)
        self.window_start = [0] * num_classes  # first record of each class's fit
        self.starts = []  # [iteration, class] of each trigger, for the plot
        self.epoch_iters = None

    def active_mask(self):
        mask = np.zeros(self.num_classes, dtype=bool)
        mask[list(self.active)] = True
        return mask

    def add_histogram(self, delta):
        self.hist += np.asarray(delta, dtype=np.int64)
        if (self.hist < 0).any():
            raise RuntimeError('correction histogram went negative: the prediction '
                               'store and the correction state are out of step')

    def check(self, iteration):
        """Record IoU_c (full queue only), end expired corrections, fit the trigger,
        recompute tau.

        Returns:
            dict: ``started`` and ``ended`` class lists and the ``iou`` array (None
            while the queue is not full).
        """
        if self.epoch_iters is None:
            raise RuntimeError('epoch_iters must be set before the first check')
        iou = None
        if self.queue.count >= self.queue.size:
            iou = self.queue.iou().numpy()
            self.log_iters.append(int(iteration))
            self.log_ious.append([float(v) for v in iou])
        started, ended = [], []
        if iteration >= self.epoch_iters:
            for c, start in sorted(self.active.items()):
                if iteration - start >= self.epoch_iters:
                    del self.active[c]
                    ended.append(c)
            for c in range(self.num_classes):
                if c in self.active:
                    continue
                window = [v[c] for v in self.log_ious[self.window_start[c]:]]
                if should_trigger(window, self.trigger, self.min_points):
                    self.active[c] = int(iteration)
                    self.window_start[c] = len(self.log_ious)
                    self.starts.append([int(iteration), c])
                    started.append(c)
        self.threshold_bins = quantile_bins(self.hist, self.quantile)
        return dict(started=started, ended=ended, iou=iou)

    # --- checkpointing ------------------------------------------------------------
    def state_dict(self):
        return dict(version=STATE_VERSION,
                    num_classes=self.num_classes,
                    queue=self.queue.state_dict(),
                    hist=torch.from_numpy(self.hist.copy()),
                    threshold_bins=torch.from_numpy(self.threshold_bins.copy()),
                    window_start=list(self.window_start),
                    active={
                        int(c): int(s)
                        for c, s in self.active.items()
                    },
                    log_iters=list(self.log_iters),
                    log_ious=[list(v) for v in self.log_ious],
                    starts=[list(s) for s in self.starts],
                    epoch_iters=self.epoch_iters)

    def load_state_dict(self, state):
        if state.get('version') != STATE_VERSION or state.get(
                'num_classes') != self.num_classes:
            raise ValueError(
                f'correction state (version {state.get("version")}, '
                f'{state.get("num_classes")} classes) does not fit this hook (version '
                f'{STATE_VERSION}, {self.num_classes} classes)')
        self.queue.load_state_dict(state['queue'])
        self.hist = state['hist'].numpy().astype(np.int64).copy()
        self.threshold_bins = state['threshold_bins'].numpy().astype(np.float64).copy()
        self.window_start = [int(v) for v in state['window_start']]
        self.active = {int(c): int(s) for c, s in state['active'].items()}
        self.log_iters = list(state['log_iters'])
        self.log_ious = [list(v) for v in state['log_ious']]
        self.starts = [list(s) for s in state['starts']]
        self.epoch_iters = state['epoch_iters']
