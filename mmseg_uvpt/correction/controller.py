"""The correction schedule: which classes are corrected, with which thresholds.

Pure Python/numpy/torch state machine behind ``AdaptiveCorrectionHook`` (the hook
adds the runner, the label store and logging). Its state converts to tensors and
plain containers only, so it travels in checkpoints loaded with weights_only=True.
"""
import numpy as np
import torch

from .iou_queue import IoUQueue
from .threshold import NUM_BINS, quantile_bins
from .trigger import MIN_POINTS, should_trigger

STATE_VERSION = 1


class CorrectionController:
    """Per-class IoU history, early-learning trigger and thresholds (DESIGN §3.5).

    Args:
        num_classes (int): number of classes C.
        queue_size (int): samples in the IoU queue.
        quantile (float): q of the per-class confidence threshold.
        trigger (float): slope drop 1 - |f'(now)|/|f'(start)| that starts correction.
        min_points (int): fewest IoU records a class needs before it is fitted.
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
        self.threshold_bins = np.full(num_classes, np.inf)
        # (iteration, IoU) per class since its last correction ended; not appended
        # while the class is active, so the next fit sees fresh points only
        self.history = [[] for _ in range(num_classes)]
        self.active = {}  # class -> iteration its correction started
        self.log_iters = []  # every check, for the plot
        self.log_ious = []  # [C] IoU per check (NaN where no pixels)
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
        """Record IoU_c, end expired corrections, fit the trigger, recompute tau.

        Returns:
            dict: ``started`` and ``ended`` class lists and the ``iou`` array.
        """
        if self.epoch_iters is None:
            raise RuntimeError('epoch_iters must be set before the first check')
        iou = self.queue.iou().numpy()
        self.log_iters.append(int(iteration))
        self.log_ious.append([float(v) for v in iou])
        for c in range(self.num_classes):
            if c not in self.active and not np.isnan(iou[c]):
                self.history[c].append([int(iteration), float(iou[c])])
        started, ended = [], []
        if iteration >= self.epoch_iters:
            for c, start in sorted(self.active.items()):
                if iteration - start >= self.epoch_iters:
                    del self.active[c]
                    ended.append(c)
            for c in range(self.num_classes):
                if c in self.active or c in ended:
                    continue
                points = self.history[c]
                if should_trigger([p[0] for p in points], [p[1] for p in points],
                                  self.trigger, self.min_points):
                    self.active[c] = int(iteration)
                    self.history[c] = []
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
                    history=[[list(p) for p in h] for h in self.history],
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
        self.history = [[list(p) for p in h] for h in state['history']]
        self.active = {int(c): int(s) for c, s in state['active'].items()}
        self.log_iters = list(state['log_iters'])
        self.log_ious = [list(v) for v in state['log_ious']]
        self.starts = [list(s) for s in state['starts']]
        self.epoch_iters = state['epoch_iters']
