"""``AdaptiveCorrectionHook``: the runner side of the pseudo-label correction.

Each training iteration it reads ``runner.outputs['correction']`` (BRIEF contract 3),
feeds the IoU queue, and for every sample updates the image's stored label with the
image's *previous* stored prediction (active classes, prob >= tau), then stores the
current one. Every ``interval`` iterations it records IoU_c, fits the trigger,
recomputes the thresholds, logs and plots. Before each checkpoint it snapshots the
label store and puts its state into ``runner.meta['hook_msgs']['correction']``.
"""
import os.path as osp

import mmcv
import numpy as np
import torch
import torch.distributed as dist
from mmcv.runner import HOOKS, CheckpointHook, Hook, get_dist_info
from mmseg.datasets.pipelines import LoadAnnotations

from .controller import CorrectionController
from .curve_plot import plot_iou_curves
from .iou_queue import intersection_union
from .label_store import LabelStore
from .pixel_update import correct_label, crop_to_full, resized_shape
from .threshold import NO_PREDICTION, class_prob_histogram, quantise_prob
from .trigger import MIN_POINTS

STATE_KEY = 'correction'


def _distributed():
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _gather(obj):
    """[obj of rank 0, obj of rank 1, ...]; [obj] without distributed training."""
    if not _distributed():
        return [obj]
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def _barrier():
    if _distributed():
        dist.barrier()


@HOOKS.register_module()
class AdaptiveCorrectionHook(Hook):
    """Adaptive pseudo-label correction (DESIGN §3.5).

    Register it with ``priority='ABOVE_NORMAL'`` (``configure_correction`` sets that)
    so it runs before the ``CheckpointHook`` of the same iteration.

    Args:
        num_classes (int): number of classes.
        work_dir (str, optional): run folder holding ``correction/``; default
            ``runner.work_dir``.
        interval (int): iterations between IoU records / trigger checks.
        queue_size (int): samples in the per-class IoU queue.
        quantile (float): q of the per-class confidence threshold tau_c.
        trigger (float): slope drop 1 - |f'(now)|/|f'(start)| that starts correction.
        min_points (int): fewest IoU records before a class is fitted.
        epoch_iters (int, optional): epoch length in iterations; default
            ``len(runner.data_loader)`` (= dataset size / total batch size).
        reduce_zero_label (bool): as the train pipeline's LoadCorrectedAnnotations,
            for reading an original label the first time an image is corrected.
        ignore_index (int): label value ignored by the IoU.
        class_names (list[str], optional): names for logs and the plot.
        keep_snapshots (int, optional): label-store snapshots to keep; default the
            CheckpointHook's ``max_keep_ckpts`` (all when that is <= 0).
        plot (bool): write ``<work_dir>/correction/iou_curves.png`` at each check.
    """

    def __init__(self,
                 num_classes,
                 work_dir=None,
                 interval=200,
                 queue_size=1000,
                 quantile=0.8,
                 trigger=0.95,
                 min_points=MIN_POINTS,
                 epoch_iters=None,
                 reduce_zero_label=False,
                 ignore_index=255,
                 class_names=None,
                 keep_snapshots=None,
                 plot=True):
        if interval < 1:
            raise ValueError(
                f'AdaptiveCorrectionHook: interval must be >= 1, got {interval}')
        if num_classes >= NO_PREDICTION:
            raise ValueError(
                f'AdaptiveCorrectionHook: num_classes must be < {NO_PREDICTION}')
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(f'AdaptiveCorrectionHook: {len(class_names)} class_names '
                             f'for {num_classes} classes')
        self.num_classes = num_classes
        self.work_dir = work_dir
        self.interval = interval
        self.epoch_iters = epoch_iters
        self.ignore_index = ignore_index
        self.class_names = list(class_names) if class_names else None
        self.keep_snapshots = keep_snapshots
        self.plot = plot
        self.controller = CorrectionController(num_classes, queue_size, quantile, trigger,
                                               min_points)
        self._load_original = LoadAnnotations(reduce_zero_label=reduce_zero_label)
        self.store = None
        self._checkpoint_hook = None
        self._changed_pixels = 0
        self._saved_iteration = None  # iteration of the state in runner.meta

    # --- run start / resume ---------------------------------------------------------
    def before_run(self, runner):
        work_dir = self.work_dir or runner.work_dir
        self.store = LabelStore(osp.join(work_dir, 'correction'))
        self._checkpoint_hook = self._find_checkpoint_hook(runner)
        if self.class_names is None:
            # mmseg's train script sets model.CLASSES from the dataset
            model = getattr(runner, 'model', None)
            names = getattr(getattr(model, 'module', model), 'CLASSES', None)
            if names is not None and len(names) == self.num_classes:
                self.class_names = list(names)
        if runner.meta is None:
            runner.meta = dict()
        state = runner.meta.get('hook_msgs', {}).get(STATE_KEY)
        rank, _ = get_dist_info()
        if state is not None:
            self.controller.load_state_dict(state)
            if rank == 0:
                self.store.restore(state['snapshot'])
            runner.logger.info(
                f'pseudo-label correction resumed from label-store snapshot '
                f'{state["snapshot"]}: {self._describe_active()}')
        elif rank == 0:
            # a fresh run must not see labels or predictions of an earlier run
            self.store.clear()
        _barrier()

    def _find_checkpoint_hook(self, runner):
        hooks = list(runner.hooks)
        for index, hook in enumerate(hooks):
            if isinstance(hook, CheckpointHook):
                if self in hooks and hooks.index(self) > index:
                    raise RuntimeError(
                        'AdaptiveCorrectionHook must run before the CheckpointHook so '
                        'that checkpoints hold its state: give it '
                        "priority='ABOVE_NORMAL' in custom_hooks "
                        '(configure_correction does this)')
                return hook
        return None

    # --- every iteration ------------------------------------------------------------
    def after_train_iter(self, runner):
        outputs = getattr(runner, 'outputs', None) or {}
        if 'correction' not in outputs:
            raise KeyError("AdaptiveCorrectionHook needs runner.outputs['correction'] "
                           '(pred, prob, label, img_metas) from the segmentor train_step')
        out = outputs['correction']
        if self.controller.epoch_iters is None:
            self.controller.epoch_iters = int(self.epoch_iters or len(runner.data_loader))
        inter, union = intersection_union(out['pred'], out['label'], self.num_classes,
                                          self.ignore_index)
        hist_delta, changed = self._update_store(out, self._owned(out['img_metas']))
        for rank_inter, rank_union, rank_delta, rank_changed in _gather(
            (inter, union, hist_delta, changed)):
            self.controller.queue.push(rank_inter, rank_union)
            self.controller.add_histogram(rank_delta)
            self._changed_pixels += rank_changed

        iteration = runner.iter + 1
        if iteration % self.interval == 0:
            self._check(runner, iteration)
        if self._checkpoint_due(runner):
            self._save_state(runner, iteration)

    @staticmethod
    def _owned(img_metas):
        """Which samples this rank updates the store for: an image seen twice in one
        iteration (DistributedSampler pads an epoch by repeating images) is handled
        once, by the first rank holding it, so the histogram stays exact."""
        names = [meta['ori_filename'] for meta in img_metas]
        rank, _ = get_dist_info()
        seen = {name for other in _gather(names)[:rank] for name in other}
        owned = []
        for name in names:
            owned.append(name not in seen)
            seen.add(name)
        return owned

    def _update_store(self, out, owned):
        """Correct each owned sample's stored label, then store its current prediction.

        Returns:
            tuple[ndarray, int]: change of the [C, 256] histogram, pixels relabelled.
        """
        active = self.controller.active_mask()
        thresholds = self.controller.threshold_bins
        delta = np.zeros_like(self.controller.hist)
        changed = 0
        preds = np.asarray(torch.as_tensor(out['pred']).cpu(), dtype=np.uint8)
        probs = quantise_prob(torch.as_tensor(out['prob']).float().cpu().numpy())
        for pred, prob, meta, mine in zip(preds, probs, out['img_metas'], owned):
            if not mine:
                continue
            filename = meta['ori_filename']
            previous = self.store.read_prediction(filename)
            if previous is not None:
                delta -= class_prob_histogram(*previous, self.num_classes)
                if active.any():
                    changed += self._correct(filename, meta, *previous, active,
                                             thresholds)
            full_shape = resized_shape(meta)
            box = self._crop_box(meta)
            flip = bool(meta.get('flip', False))
            direction = meta.get('flip_direction', 'horizontal')
            full_pred = crop_to_full(pred,
                                     box,
                                     full_shape,
                                     flip,
                                     direction,
                                     fill=NO_PREDICTION)
            full_prob = crop_to_full(prob, box, full_shape, flip, direction, fill=0)
            self.store.write_prediction(filename, full_pred, full_prob)
            delta += class_prob_histogram(full_pred, full_prob, self.num_classes)
        return delta, changed

    @staticmethod
    def _crop_box(meta):
        if 'crop_bbox' not in meta:
            raise KeyError("img_metas lack 'crop_bbox': use RandomCropWithBox and add "
                           "'crop_bbox' and 'label_path' to the train Collect meta_keys")
        return meta['crop_bbox']

    def _correct(self, filename, meta, pred, prob, active, thresholds):
        label = self.store.read_label(filename)
        if label is None:
            label = self._read_original_label(meta, pred.shape)
        if label.shape != pred.shape:
            # the previous visit resized the image to another scale (multi-scale
            # Resize); bring its prediction to the stored label's resolution
            size = label.shape[::-1]
            pred = mmcv.imresize(pred, size, interpolation='nearest')
            prob = mmcv.imresize(prob, size, interpolation='nearest')
        new, changed = correct_label(label, pred, prob, active, thresholds)
        if changed:
            self.store.write_label(filename, new)
        return changed

    def _read_original_label(self, meta, shape):
        """The dataset's label, decoded exactly as mmseg's LoadAnnotations does and
        resized (nearest) to the training resolution as mmseg's Resize does."""
        if 'label_path' not in meta:
            raise KeyError("img_metas lack 'label_path': use LoadCorrectedAnnotations "
                           "and add 'label_path' to the train Collect meta_keys")
        results = self._load_original(
            dict(ann_info=dict(seg_map=meta['label_path']), seg_fields=[]))
        label = results['gt_semantic_seg']
        if label.shape != tuple(shape):
            label = mmcv.imresize(label, tuple(shape)[::-1], interpolation='nearest')
        return label

    # --- checks, logging, plot ------------------------------------------------------
    def _check(self, runner, iteration):
        result = self.controller.check(iteration)
        names = self._names()
        for c in result['ended']:
            runner.logger.info(f'correction of class {names[c]} ended after one epoch')
        for c in result['started']:
            runner.logger.info(
                f'correction of class {names[c]} starts at iter {iteration}')
        iou = ', '.join(f'{names[c]}={v:.3f}' for c, v in enumerate(result['iou'])
                        if not np.isnan(v))
        runner.logger.info(
            f'correction check at iter {iteration}: training IoU {iou}; '
            f'{self._describe_active()}; {self._changed_pixels} label pixels changed '
            'since the last check')
        self._changed_pixels = 0
        rank, _ = get_dist_info()
        if self.plot and rank == 0:
            c = self.controller
            plot_iou_curves(osp.join(self.store.root, 'iou_curves.png'), c.log_iters,
                            c.log_ious, c.starts, names)

    def _names(self):
        return self.class_names or [str(c) for c in range(self.num_classes)]

    def _describe_active(self):
        names = self._names()
        active = sorted(self.controller.active)
        if not active:
            return 'no class is being corrected'
        thresholds = self.controller.threshold_bins / 255.0
        return 'corrected classes (tau): ' + ', '.join(f'{names[c]} ({thresholds[c]:.3f})'
                                                       for c in active)

    # --- checkpoints ----------------------------------------------------------------
    def _checkpoint_due(self, runner):
        """Whether the CheckpointHook saves at this iteration (its own rule)."""
        hook = self._checkpoint_hook
        if hook is None or hook.by_epoch:
            return False
        return hook.every_n_iters(
            runner, hook.interval) or (hook.save_last and hook.is_last_iter(runner))

    def _save_state(self, runner, iteration, synchronise=True):
        name = f'iter_{iteration}'
        rank, _ = get_dist_info()
        if synchronise:
            _barrier()  # every rank has written this iteration's files
        if rank == 0:
            self.store.snapshot(name)
            self._prune_snapshots()
        if synchronise:
            _barrier()  # nobody writes the next iteration's files into the snapshot
        state = self.controller.state_dict()
        state['snapshot'] = name
        runner.meta.setdefault('hook_msgs', dict())[STATE_KEY] = state
        self._saved_iteration = iteration

    def before_save_checkpoint(self, runner, checkpoint):
        """Called by ``UVPTIterBasedRunner`` (on rank 0) before it writes any
        checkpoint: a save the CheckpointHook rule did not announce still gets the
        state of the iteration it saves (snapshot taken without a barrier, as the
        other ranks do not call this)."""
        if self.store is None:
            return
        iteration = getattr(runner, 'completed_iters', runner.iter)
        if self._saved_iteration != iteration:
            self._save_state(runner, iteration, synchronise=False)
        checkpoint['meta'].setdefault('hook_msgs', {})[STATE_KEY] = \
            runner.meta['hook_msgs'][STATE_KEY]

    def _prune_snapshots(self):
        keep = self.keep_snapshots
        if keep is None and self._checkpoint_hook is not None:
            keep = self._checkpoint_hook.max_keep_ckpts
        if keep is None or keep <= 0:
            return
        names = [n for n in self.store.list_snapshots() if n.startswith('iter_')]
        names.sort(key=lambda n: int(n[len('iter_'):]))
        for name in names[:-keep]:
            self.store.remove_snapshot(name)
