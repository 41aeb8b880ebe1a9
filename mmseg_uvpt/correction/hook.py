"""``AdaptiveCorrectionHook``: the runner side of the pseudo-label correction.

As in the reference release, a sample is trained in the same visit on its label
corrected with the image's previous prediction (active classes, prob >= tau). The
correction itself happens where the label is loaded, in the data-loader worker
(``LoadCorrectedAnnotations``), from the state this hook publishes at each check
(``worker_state.json``, replaced atomically; persistent workers re-read it when it
changes). A worker may read ahead of training, so before each step the hook checks
what each sample's worker used: the state version and the iteration of the
prediction it read must be the current ones. When one is not (a check happened
while the sample was prefetched, or the image's last visit was still being
written), the hook redoes that sample's correction on the training thread from the
store and rewrites its label in the batch. The crop never depends on the correction
(``cat_max_ratio`` judges the dataset's label), so the redone label is exactly the
one an in-time worker would have produced: results do not depend on worker timing.

After each step it hands ``runner.outputs['correction']`` (docs/architecture.md,
"One adaptation iteration") to a
background :class:`StoreWriter`, which computes the IoU and the histogram change and
writes the new label and prediction. Every ``interval`` iterations it collects the
writer's results, records IoU_c (once the queue is full), fits the trigger,
recomputes the thresholds, publishes them, logs and plots. Before each checkpoint it
waits for the writer, snapshots the label store and puts its state into
``runner.meta['hook_msgs']['correction']``.
"""
import os.path as osp
import time

import numpy as np
import torch
import torch.distributed as dist
from mmcv.runner import HOOKS, CheckpointHook, Hook, get_dist_info
from mmseg.datasets.pipelines import LoadAnnotations

from .controller import CorrectionController
from .curve_plot import plot_iou_curves
from .label_store import LabelStore
from .frames import full_to_sample, resize_label, resized_shape
from .label_update import correct_with_prediction
from .store_format import INACTIVE, WorkerState
from .store_writer import StoreWriter
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
    """Adaptive pseudo-label correction (docs/method.md §5).

    Register it with ``priority='ABOVE_NORMAL'`` (``configure_correction`` sets that)
    so it runs before the ``CheckpointHook`` of the same iteration.

    Args:
        num_classes (int): number of classes.
        work_dir (str, optional): run folder holding ``correction/``; default
            ``runner.work_dir``.
        interval (int): iterations between IoU records / trigger checks.
        queue_size (int): samples in the per-class IoU queue.
        quantile (float): q of the per-class confidence threshold tau_c.
        trigger (float): a class starts when the relative slope change of its IoU
            fit lies strictly between ``trigger`` and 1 (see ``trigger.py``).
        min_points (int): fewest IoU records in a class's window before it is
            fitted (1: any, as the release).
        epoch_iters (int, optional): epoch length in iterations; default
            ``len(runner.data_loader)`` (= dataset size / total batch size).
        reduce_zero_label (bool): as the train pipeline's LoadCorrectedAnnotations,
            for reading an original label the first time an image is corrected.
        ignore_index (int): label value ignored by the IoU.
        class_names (list[str], optional): names for logs and the plot.
        keep_snapshots (int, optional): label-store snapshots to keep; default the
            CheckpointHook's ``max_keep_ckpts`` (all when that is <= 0).
        plot (bool): write ``<work_dir>/correction/iou_curves.png`` at each check.
        max_pending (int): iterations the background writer may lag behind.
        wait_timeout (float): seconds a redone correction waits for another
            process's write of the image's last prediction before giving up.
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
                 plot=True,
                 max_pending=8,
                 wait_timeout=600.0):
        if interval < 1:
            raise ValueError(
                f'AdaptiveCorrectionHook: interval must be >= 1, got {interval}')
        if num_classes >= 255:
            raise ValueError('AdaptiveCorrectionHook: num_classes must be < 255')
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
        self.max_pending = max_pending
        self.wait_timeout = wait_timeout
        self.store = None
        self._writer = None
        self._checkpoint_hook = None
        self._changed_pixels = 0
        self._saved_iteration = None  # iteration of the state in runner.meta
        # image -> iteration of its last stored prediction (all processes' visits)
        self.visits = {}
        # version of the published worker state: INACTIVE, or the iteration of the
        # check that last changed the active classes or their thresholds
        self._version = INACTIVE
        self._published = None  # (active classes, their thresholds) of _version
        self._plan = None  # per sample of this step: label to store, pixels changed

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
            self.visits = {str(k): int(v) for k, v in state['visits'].items()}
            self._version = int(state['worker_version'])
            if rank == 0:
                self.store.restore(state['snapshot'])
            runner.logger.info(
                f'pseudo-label correction resumed from label-store snapshot '
                f'{state["snapshot"]}: {self._describe_active()}')
        elif rank == 0:
            # a fresh run must not see labels or predictions of an earlier run
            self.store.clear()
        self._published = self._effective_state()
        if rank == 0:
            self.store.write_worker_state(self._worker_state())
        if self._writer is not None:
            self._writer.close()
        self._writer = StoreWriter(self.store, self.num_classes, self.ignore_index,
                                   self.max_pending)
        _barrier()

    def after_run(self, runner):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

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

    # --- worker state -------------------------------------------------------------
    def _effective_state(self):
        """What the loaders' correction depends on: active classes, their thresholds."""
        active = sorted(self.controller.active)
        return tuple(active), tuple(float(self.controller.threshold_bins[c])
                                    for c in active)

    def _worker_state(self):
        return WorkerState(self._version, self.controller.active_mask(),
                           self.controller.threshold_bins.copy())

    def _publish(self, iteration):
        """New version when the check changed what the loaders use; rank 0 writes it."""
        effective = self._effective_state()
        if effective == self._published:
            return
        self._published = effective
        self._version = INACTIVE if not effective[0] else int(iteration)
        if get_dist_info()[0] == 0:
            self.store.write_worker_state(self._worker_state())

    # --- before each step: the labels the batch trains on ---------------------------
    def before_train_iter(self, runner):
        batch = getattr(runner, 'data_batch', None)
        if batch is None or 'img_metas' not in batch:
            raise KeyError('AdaptiveCorrectionHook needs runner.data_batch with '
                           'img_metas before each step')
        metas = batch['img_metas'].data[0]
        self._plan = []
        for index, meta in enumerate(metas):
            if 'correction' not in meta:
                raise KeyError("img_metas lack 'correction': use LoadCorrectedAnnotations "
                               "with a store_dir and add 'correction' to the train "
                               'Collect meta_keys (configure_correction does both)')
            info = meta['correction']
            expected = self.visits.get(meta['ori_filename'])
            if info['state'] == self._version and info['pred_iter'] == expected:
                self._plan.append(dict(label=info['label'], changed=info['changed']))
                continue
            target, new_label, changed = self._redo(meta, expected)
            # as the pipeline's Resize does to the worker's label: to this visit's
            # resized image, whose frame the crop box is in
            target = resize_label(target, resized_shape(meta))
            gt = batch['gt_semantic_seg'].data[0]
            frame = full_to_sample(target, self._crop_box(meta), gt.shape[-2:],
                                   bool(meta.get('flip', False)),
                                   meta.get('flip_direction', 'horizontal'))
            gt[index, 0] = torch.from_numpy(frame.astype(np.int64))
            self._plan.append(dict(label=new_label, changed=changed))

    def _redo(self, meta, expected):
        """The sample's label as an in-time loader would have made it.

        Returns:
            tuple: the full training label, the corrected label to store (or None)
            and the number of changed pixels.
        """
        filename = meta['ori_filename']
        self._writer.flush()
        prediction = self._prediction_of(filename, expected)
        label = self.store.read_label(filename)
        if label is None:
            shape = prediction.full_shape if prediction else resized_shape(meta)
            label = self._read_original_label(meta, shape)
        if prediction is None or self._version == INACTIVE:
            return label, None, 0
        label = resize_label(label, prediction.full_shape)
        new, changed = correct_with_prediction(label, prediction,
                                               self.controller.active_mask(),
                                               self.controller.threshold_bins)
        return new, (new if changed else None), changed

    def _prediction_of(self, filename, expected):
        """The stored prediction of ``filename``, once it is the one of iteration
        ``expected`` (another process's writer may still be writing it)."""
        deadline = time.monotonic() + self.wait_timeout
        while True:
            prediction = self.store.read_prediction(filename)
            found = None if prediction is None else prediction.iteration
            if found == expected:
                return prediction
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f'{self.store.prediction_path(filename)} holds the prediction of '
                    f'iteration {found}, expected {expected}: the label store and the '
                    'correction state are out of step')
            time.sleep(0.01)

    # --- after each step --------------------------------------------------------------
    def after_train_iter(self, runner):
        outputs = getattr(runner, 'outputs', None) or {}
        if 'correction' not in outputs:
            raise KeyError("AdaptiveCorrectionHook needs runner.outputs['correction'] "
                           '(pred, prob, label, img_metas) from the segmentor train_step')
        out = outputs['correction']
        if self.controller.epoch_iters is None:
            self.controller.epoch_iters = int(self.epoch_iters or len(runner.data_loader))
        plan, self._plan = self._plan, None
        metas = out['img_metas']
        if plan is None or len(plan) != len(metas):
            raise RuntimeError('AdaptiveCorrectionHook.before_train_iter did not run '
                               'for this step')
        iteration = runner.iter + 1
        boxes = [self._crop_box(meta) for meta in metas]
        if _distributed():
            # every process's writes of earlier steps land before any of this step
            # (they are ordered by the gather below), so two processes never race
            # on the files of one image
            self._writer.wait_until(iteration - 1)
        owned = self._owned(metas, iteration)
        samples = [
            dict(filename=meta['ori_filename'],
                 owned=mine,
                 box=box,
                 flip=bool(meta.get('flip', False)),
                 direction=meta.get('flip_direction', 'horizontal'),
                 full_shape=resized_shape(meta),
                 label=step['label'],
                 changed=step['changed'])
            for meta, box, mine, step in zip(metas, boxes, owned, plan)
        ]
        self._writer.submit(iteration, out['pred'], out['prob'], out['label'], samples)
        if iteration % self.interval == 0:
            self._collect()
            self._check(runner, iteration)
        if self._checkpoint_due(runner):
            self._save_state(runner, iteration)

    def _owned(self, img_metas, iteration):
        """Which samples this rank stores: an image seen twice in one iteration
        (DistributedSampler pads an epoch by repeating images) is stored once, by
        the first rank holding it, so the histogram stays exact. Records the
        iteration of every stored image (of all ranks) in ``visits``."""
        names = [meta['ori_filename'] for meta in img_metas]
        rank, _ = get_dist_info()
        seen = set()
        owned = None
        for other, other_names in enumerate(_gather(names)):
            mine = [name not in seen for name in other_names]
            seen.update(other_names)
            if other == rank:
                owned = mine
        for name in seen:
            self.visits[name] = int(iteration)
        return owned

    def _collect(self, synchronise=True):
        """The writer's results of every rank (this rank's only without
        ``synchronise``), into the controller in the order of iterations, then ranks
        (the order of an uninterrupted serial run)."""
        records, delta, changed = self._writer.take()
        gathered = _gather((records, delta, changed)) if synchronise else [
            (records, delta, changed)
        ]
        ordered = sorted((record[0], rank, record)
                         for rank, (rank_records, _, _) in enumerate(gathered)
                         for record in rank_records)
        for _, _, (_, inter, union) in ordered:
            self.controller.queue.push(inter, union)
        for _, rank_delta, rank_changed in gathered:
            self.controller.add_histogram(rank_delta)
            self._changed_pixels += rank_changed

    @staticmethod
    def _crop_box(meta):
        if 'crop_bbox' not in meta:
            raise KeyError("img_metas lack 'crop_bbox': use RandomCropWithBox and add "
                           "'crop_bbox' and 'label_path' to the train Collect meta_keys")
        return meta['crop_bbox']

    def _read_original_label(self, meta, shape):
        """The dataset's label, decoded exactly as mmseg's LoadAnnotations does and
        resized (nearest) to the training resolution as mmseg's Resize does."""
        if 'label_path' not in meta:
            raise KeyError("img_metas lack 'label_path': use LoadCorrectedAnnotations "
                           "and add 'label_path' to the train Collect meta_keys")
        results = self._load_original(
            dict(ann_info=dict(seg_map=meta['label_path']), seg_fields=[]))
        return resize_label(results['gt_semantic_seg'], shape)

    # --- checks, logging, plot ------------------------------------------------------
    def _check(self, runner, iteration):
        result = self.controller.check(iteration)
        self._publish(iteration)
        names = self._names()
        for c in result['ended']:
            runner.logger.info(f'correction of class {names[c]} ended after one epoch')
        for c in result['started']:
            runner.logger.info(
                f'correction of class {names[c]} starts at iter {iteration}')
        if result['iou'] is None:
            iou = (f'not recorded until the queue holds {self.controller.queue.size} '
                   'samples')
        else:
            iou = ', '.join(f'{names[c]}={v:.3f}' for c, v in enumerate(result['iou'])
                            if not np.isnan(v))
        runner.logger.info(
            f'correction check at iter {iteration}: training IoU {iou}; '
            f'{self._describe_active()}; {self._changed_pixels} label pixels changed '
            'since the last check')
        self._changed_pixels = 0
        rank, _ = get_dist_info()
        if self.plot and rank == 0 and self.controller.log_iters:
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
        # waits for this rank's writer; a save on rank 0 alone (not synchronised)
        # collects its own results only
        self._collect(synchronise)
        if synchronise:
            _barrier()  # every rank has written this iteration's files
        if rank == 0:
            self.store.snapshot(name)
            self._prune_snapshots()
        if synchronise:
            _barrier()  # nobody writes the next iteration's files into the snapshot
        state = self.controller.state_dict()
        state.update(snapshot=name, visits=dict(self.visits),
                     worker_version=self._version)
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
