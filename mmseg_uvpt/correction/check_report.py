"""The correction check's inputs and its report.

Every ``interval`` iterations the hook checks the correction (``controller.check``).
Its inputs are the background writer's results since the last collection: per
sample the IoU records, the change of the class-probability histogram and the
number of label pixels changed. Every rank's writer holds its own share, so they
are gathered and fed to the controller in the order of iterations, then ranks:
the order an uninterrupted serial run would have, which keeps the IoU queue, and
so the trigger, independent of the number of processes and of where a run was
resumed.

The report is what a person reads of the check: the classes whose correction
ended or started, the training IoU line, the classes being corrected with their
tau and the pixels changed since the last check (in the log), and the per-class
IoU curves (a plot, on rank 0).
"""
import os.path as osp

import numpy as np
from mmcv.runner import get_dist_info

from ..utils.distributed import gather_objects
from .curve_plot import plot_iou_curves

IOU_CURVES = 'iou_curves.png'


class CheckReport:
    """Collects the writer's results into ``controller`` and reports its checks.

    Args:
        controller (CorrectionController): receives the IoU records and histogram
            changes; its state is what the report describes.
    """

    def __init__(self, controller):
        self.controller = controller
        self.changed_pixels = 0  # label pixels changed since the last check

    def collect(self, writer, synchronise=True):
        """The writer's results of every rank (this rank's only without
        ``synchronise``), into the controller in the order of iterations, then ranks
        (the order of an uninterrupted serial run)."""
        records, delta, changed = writer.take()
        gathered = gather_objects((records, delta, changed)) if synchronise else [
            (records, delta, changed)
        ]
        ordered = sorted((record[0], rank, record)
                         for rank, (rank_records, _, _) in enumerate(gathered)
                         for record in rank_records)
        for _, _, (_, inter, union) in ordered:
            self.controller.queue.push(inter, union)
        for _, rank_delta, rank_changed in gathered:
            self.controller.add_histogram(rank_delta)
            self.changed_pixels += rank_changed

    def log(self, logger, iteration, result, names):
        """Log the check ``result`` of ``controller.check(iteration)`` and start
        counting the changed pixels of the next check."""
        for c in result['ended']:
            logger.info(f'correction of class {names[c]} ended after one epoch')
        for c in result['started']:
            logger.info(f'correction of class {names[c]} starts at iter {iteration}')
        if result['iou'] is None:
            iou = (f'not recorded until the queue holds {self.controller.queue.size} '
                   'samples')
        else:
            iou = ', '.join(f'{names[c]}={v:.3f}' for c, v in enumerate(result['iou'])
                            if not np.isnan(v))
        logger.info(
            f'correction check at iter {iteration}: training IoU {iou}; '
            f'{self.describe_active(names)}; {self.changed_pixels} label pixels changed '
            'since the last check')
        self.changed_pixels = 0

    def plot(self, folder, names):
        """The IoU curves recorded so far, with the trigger points, to
        ``<folder>/iou_curves.png`` (rank 0 only; nothing before the first record)."""
        rank, _ = get_dist_info()
        c = self.controller
        if rank == 0 and c.log_iters:
            plot_iou_curves(osp.join(folder, IOU_CURVES), c.log_iters, c.log_ious,
                            c.starts, names)

    def describe_active(self, names):
        """``'corrected classes (tau): a (0.812), ...'``, or that none is."""
        active = sorted(self.controller.active)
        if not active:
            return 'no class is being corrected'
        thresholds = self.controller.threshold_bins / 255.0
        return 'corrected classes (tau): ' + ', '.join(f'{names[c]} ({thresholds[c]:.3f})'
                                                       for c in active)
