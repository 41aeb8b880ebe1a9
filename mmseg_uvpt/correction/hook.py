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

The hook only orders these steps; each job is a module of its own:
``worker_state_publisher`` (the state the loaders use and its version),
``stale_sample_redo`` (redoing a read-ahead sample's correction),
``writer_handoff`` (which samples this rank stores, the writer's records),
``check_report`` (collecting the writer's results, the check's log and plot),
``resume_snapshots`` (when the CheckpointHook saves, label-store snapshots) and
``sample_meta`` (the ``img_metas`` keys they read).
"""
import os.path as osp

from mmcv.runner import HOOKS, Hook, get_dist_info

from ..utils.distributed import barrier
from .check_report import CheckReport
from .controller import CorrectionController
from .label_store import LabelStore
from .resume_snapshots import (checkpoint_due, find_checkpoint_hook, snapshot_name,
                               take_snapshot)
from .sample_meta import correction_info
from .stale_sample_redo import StaleSampleRedo, in_time
from .store_writer import StoreWriter
from .trigger import MIN_POINTS
from .worker_state_publisher import WorkerStatePublisher
from .writer_handoff import hand_off

STATE_KEY = 'correction'


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
        self.max_pending = max_pending
        self.wait_timeout = wait_timeout
        self.store = None
        self._writer = None
        self._checkpoint_hook = None
        self._saved_iteration = None  # iteration of the state in runner.meta
        # image -> iteration of its last stored prediction (all processes' visits)
        self.visits = {}
        self._plan = None  # per sample of this step: label to store, pixels changed
        # the parts (module docstrings): what the loaders use, redoing a stale
        # sample's correction, the check's inputs and report
        self._worker_state = WorkerStatePublisher(self.controller)
        self._redo = StaleSampleRedo(self.controller, reduce_zero_label)
        self._report = CheckReport(self.controller)

    @property
    def _version(self):
        """Version of the published worker state (``WorkerStatePublisher``)."""
        return self._worker_state.version

    # --- run start / resume ---------------------------------------------------------
    def before_run(self, runner):
        work_dir = self.work_dir or runner.work_dir
        self.store = LabelStore(osp.join(work_dir, 'correction'))
        self._checkpoint_hook = find_checkpoint_hook(runner, self)
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
            self._worker_state.restore(state['worker_version'])
            if rank == 0:
                self.store.restore(state['snapshot'])
            runner.logger.info(
                f'pseudo-label correction resumed from label-store snapshot '
                f'{state["snapshot"]}: {self._report.describe_active(self._names())}')
        elif rank == 0:
            # a fresh run must not see labels or predictions of an earlier run
            self.store.clear()
        self._worker_state.start(self.store)
        if self._writer is not None:
            self._writer.close()
        self._writer = StoreWriter(self.store, self.num_classes, self.ignore_index,
                                   self.max_pending)
        barrier()

    def after_run(self, runner):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # --- before each step: the labels the batch trains on ---------------------------
    def before_train_iter(self, runner):
        batch = getattr(runner, 'data_batch', None)
        if batch is None or 'img_metas' not in batch:
            raise KeyError('AdaptiveCorrectionHook needs runner.data_batch with '
                           'img_metas before each step')
        metas = batch['img_metas'].data[0]
        self._plan = []
        for index, meta in enumerate(metas):
            info = correction_info(meta)
            expected = self.visits.get(meta['ori_filename'])
            if in_time(info, self._version, expected):
                self._plan.append(dict(label=info['label'], changed=info['changed']))
                continue
            new_label, changed = self._redo.redo(batch, index, meta, expected,
                                                 self._version, self.store, self._writer,
                                                 self.wait_timeout)
            self._plan.append(dict(label=new_label, changed=changed))

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
        if plan is None or len(plan) != len(out['img_metas']):
            raise RuntimeError('AdaptiveCorrectionHook.before_train_iter did not run '
                               'for this step')
        iteration = runner.iter + 1
        hand_off(self._writer, iteration, out, plan, self.visits)
        if iteration % self.interval == 0:
            self._collect()
            self._check(runner, iteration)
        if checkpoint_due(runner, self._checkpoint_hook):
            self._save_state(runner, iteration)

    def _collect(self, synchronise=True):
        """The writer's results into the controller (``CheckReport.collect``)."""
        self._report.collect(self._writer, synchronise)

    # --- checks, logging, plot ------------------------------------------------------
    def _check(self, runner, iteration):
        result = self.controller.check(iteration)
        self._worker_state.publish(iteration, self.store)
        names = self._names()
        self._report.log(runner.logger, iteration, result, names)
        if self.plot:
            self._report.plot(self.store.root, names)

    def _names(self):
        return self.class_names or [str(c) for c in range(self.num_classes)]

    # --- checkpoints ----------------------------------------------------------------
    def _save_state(self, runner, iteration, synchronise=True):
        name = snapshot_name(iteration)
        # waits for this rank's writer; a save on rank 0 alone (not synchronised)
        # collects its own results only
        self._collect(synchronise)
        take_snapshot(self.store, name, self.keep_snapshots, self._checkpoint_hook,
                      synchronise)
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
