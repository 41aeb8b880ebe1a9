"""``UVPTIterBasedRunner``: mmcv's iteration runner with exact, safe resume.

What it changes in mmcv's ``IterBasedRunner`` and why:

- checkpoints are written atomically (temp file + rename), so a run killed while
  saving keeps its previous checkpoint, and hold only what ``weights_only`` loads;
- a checkpoint stores the number of *completed* iterations (mmcv stores one less
  and repeats an iteration on resume), the RNG states of every rank, the training
  loader's position and the augmentations' style banks of every rank (see
  :mod:`.augmentation_state`); resume restores all of them and ``hook_msgs``
  (mmcv's ``IterBasedRunner.resume`` drops them), loading onto the CPU first;
- the checkpoint hook runs after every hook but the loggers (priority 80, between
  LOW and VERY_LOW), so the state that custom hooks (the label correction) and the
  evaluation (best score) update at an iteration is in that iteration's checkpoint;
- hooks may define ``before_save_checkpoint(runner, checkpoint)`` (may add entries
  to the dict before it is written) and ``after_load_checkpoint(runner,
  checkpoint)`` (called by :meth:`resume`), as in mmengine;
- with a source checkpoint set (:meth:`use_source_checkpoint`, adaptation runs),
  checkpoints are prompt-only: the frozen parameters are left out and rebuilt from
  the source on loading (:mod:`mmseg_uvpt.checkpoints.prompt_only`); ``resume`` and
  ``load_checkpoint`` accept full and prompt-only checkpoints;
- no fixed sleeps at epoch ends and at the end of the run.
"""
import os
import os.path as osp
import time

import mmcv
from mmcv.runner import HOOKS, RUNNERS, IterBasedRunner
from mmcv.runner.checkpoint import get_state_dict, weights_to_cpu
from mmcv.runner.utils import get_host_info
from torch.optim import Optimizer

from ..checkpoints import CheckpointError, atomic_save
from ..checkpoints.prompt_only import (PROMPT_ONLY_KEY, FrozenHashCache,
                                       check_source_matches, is_prompt_only,
                                       load_full_state, split_prompt_only)
from ..utils.distributed import gather_objects
from .augmentation_state import (find_style_banks, load_style_bank_state,
                                 style_bank_state)
from .checkpoint_loading import load_state_strictly, to_checkpoint_safe
from .data_loading import ResumableIterLoader
from .rng_state import entry_of_this_rank, get_rng_state, restore_rank_rng_state

#: after the evaluation and custom hooks (<= LOW = 70), before the loggers (90)
CHECKPOINT_PRIORITY = 80


def _atomic_symlink(target, link):
    """Point ``link`` at ``target`` (a name in the same folder) via rename."""
    tmp = osp.join(osp.dirname(link), f'.tmp-link-{os.getpid()}')
    if osp.lexists(tmp):
        os.remove(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)


@RUNNERS.register_module()
class UVPTIterBasedRunner(IterBasedRunner):
    """Iteration-based runner with atomic checkpoints and exact resume.

    Args:
        Same as :class:`mmcv.runner.IterBasedRunner`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.meta is None:
            self.meta = {}
        self._train_loader = None
        self._in_after_train_iter = False
        self._rank_states = None
        self._resumed_runtime = None
        self._source_checkpoint = None
        self._prompt_only = False
        self._frozen_hashes = FrozenHashCache()
        self._source_checked = False
        # built once: the banks are fixed parts of the model
        self._style_banks = find_style_banks(self.model)

    def use_source_checkpoint(self, path, prompt_only):
        """The run's source checkpoint: tried first when a prompt-only checkpoint is
        resumed or loaded, and with ``prompt_only`` the source that saved checkpoints
        refer to instead of holding the frozen parameters.

        Args:
            path (str | None): the source checkpoint (None: none known).
            prompt_only (bool): save prompt-only checkpoints (needs ``path``).
        """
        self._source_checkpoint = path
        self._prompt_only = bool(prompt_only)
        self._source_checked = False

    # --- hooks ------------------------------------------------------------------
    def register_checkpoint_hook(self, checkpoint_config):
        """As mmcv's, at :data:`CHECKPOINT_PRIORITY` instead of NORMAL."""
        if checkpoint_config is None:
            return
        if isinstance(checkpoint_config, dict):
            checkpoint_config.setdefault('type', 'CheckpointHook')
            checkpoint_config = mmcv.build_from_cfg(checkpoint_config, HOOKS)
        self.register_hook(checkpoint_config, priority=CHECKPOINT_PRIORITY)

    def call_hook(self, fn_name):
        if fn_name != 'after_train_iter':
            return super().call_hook(fn_name)
        # the iteration's random draws are done; later hooks must not draw (see
        # module doc), so this is the state a resumed run has to start from
        self._rank_states = self._gather_rank_states()
        self._in_after_train_iter = True
        try:
            super().call_hook(fn_name)
        finally:
            self._in_after_train_iter = False

    def _call_optional_hook(self, name, checkpoint):
        for hook in self.hooks:
            method = getattr(hook, name, None)
            if callable(method):
                method(self, checkpoint)

    def _gather_rank_states(self):
        """Every rank's RNG states and style banks (one collective call)."""
        states = gather_objects((get_rng_state(), style_bank_state(self._style_banks)))
        return dict(rng=[rng for rng, _ in states], style_banks=[b for _, b in states])

    # --- running ------------------------------------------------------------------
    @property
    def completed_iters(self):
        """Iterations whose update is done (``iter + 1`` inside ``after_train_iter``)."""
        return self._iter + 1 if self._in_after_train_iter else self._iter

    def run(self, data_loaders, workflow, max_iters=None, **kwargs):
        """mmcv's loop over ``workflow``, with resumable loaders and resumed RNG."""
        assert isinstance(data_loaders, list) and len(data_loaders) == len(workflow)
        if max_iters is not None:
            self._max_iters = max_iters
        assert self._max_iters is not None, 'runner.max_iters is not set'
        self.logger.info('Start running, host: %s, work_dir: %s', get_host_info(),
                         self.work_dir)
        self.logger.info('Hooks will be executed in the following order:\n%s',
                         self.get_hook_info())
        self.logger.info('workflow: %s, max: %d iters', workflow, self._max_iters)
        iter_loaders = [ResumableIterLoader(loader) for loader in data_loaders]
        for (mode, _), loader in zip(workflow, iter_loaders):
            if mode == 'train':
                self._train_loader = loader
        runtime, self._resumed_runtime = self._resumed_runtime or {}, None
        if 'train_loader' in runtime and self._train_loader is not None:
            self._train_loader.load_state_dict(runtime['train_loader'])
        self.call_hook('before_run')
        if 'style_banks' in runtime:
            model = getattr(self.model, 'module', self.model)
            device = next(model.parameters()).device
            load_style_bank_state(self._style_banks, entry_of_this_rank(
                runtime['style_banks'], 'style banks', self.logger), device)
        if 'rng' in runtime:
            # last, so that nothing between resume and the first iteration draws
            restore_rank_rng_state(runtime['rng'], self.logger)
        self.call_hook('before_epoch')
        while self.iter < self._max_iters:
            for i, (mode, iters) in enumerate(workflow):
                self._inner_iter = 0
                if not isinstance(mode, str) or not hasattr(self, mode):
                    raise ValueError(f'runner has no method named "{mode}" to run a '
                                     'workflow')
                for _ in range(iters):
                    if mode == 'train' and self.iter >= self._max_iters:
                        break
                    getattr(self, mode)(iter_loaders[i], **kwargs)
        self.call_hook('after_epoch')
        self.call_hook('after_run')

    # --- checkpoints ----------------------------------------------------------------
    def save_checkpoint(self, out_dir, filename_tmpl='iter_{}.pth', meta=None,
                        save_optimizer=True, create_symlink=True):
        """Write ``out_dir/filename_tmpl.format(completed iters)`` atomically.

        Besides mmcv's ``meta``/``state_dict``/``optimizer`` the file holds
        ``runtime = dict(rng=[per-rank states], train_loader=position)`` and, for
        models with style banks, ``style_banks=[per-rank {path: descriptors}]``.
        """
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f'meta should be a dict or None, but got {type(meta)}')
        done = self.completed_iters
        meta = dict(meta or {})
        meta.update(self.meta)
        meta.update(epoch=self.epoch, iter=done, mmcv_version=mmcv.__version__,
                    time=time.asctime())
        model = getattr(self.model, 'module', self.model)
        if getattr(model, 'CLASSES', None) is not None:
            meta.update(CLASSES=model.CLASSES)
        states = self._rank_states or self._gather_rank_states()
        runtime = dict(rng=states['rng'])
        if any(states['style_banks']):
            runtime['style_banks'] = states['style_banks']
        if self._train_loader is not None:
            runtime['train_loader'] = self._train_loader.state_dict()
        checkpoint = dict(meta=meta, state_dict=weights_to_cpu(get_state_dict(model)),
                          runtime=runtime)
        if self._prompt_only_ready(model):
            checkpoint['state_dict'], checkpoint[PROMPT_ONLY_KEY] = split_prompt_only(
                checkpoint['state_dict'], self._frozen_hashes.hashes(model),
                self._source_checkpoint)
        if save_optimizer and isinstance(self.optimizer, Optimizer):
            checkpoint['optimizer'] = self.optimizer.state_dict()
        elif save_optimizer and isinstance(self.optimizer, dict):
            checkpoint['optimizer'] = {k: o.state_dict()
                                       for k, o in self.optimizer.items()}
        self._call_optional_hook('before_save_checkpoint', checkpoint)
        for key in ('meta', 'runtime', PROMPT_ONLY_KEY):
            if key in checkpoint:
                checkpoint[key] = to_checkpoint_safe(checkpoint[key], key)
        filename = filename_tmpl.format(done)
        path = osp.join(out_dir, filename)
        atomic_save(checkpoint, path)
        # what a run's model costs on disk (docs/variants.md compares the baselines)
        form = 'prompt-only' if PROMPT_ONLY_KEY in checkpoint else 'full'
        self.logger.info(
            f'saved {path}: {os.path.getsize(path) / 2 ** 20:.2f} MiB ({form}, '
            f'{len(checkpoint["state_dict"])} model tensors'
            + (', optimizer state' if 'optimizer' in checkpoint else '') + ')')
        if create_symlink:
            _atomic_symlink(filename, osp.join(out_dir, 'latest.pth'))
        return path

    def _prompt_only_ready(self, model):
        """True when this save may be prompt-only: the source checkpoint holds the
        model's frozen tensors (checked once a run). Otherwise the run warns once and
        keeps writing full checkpoints, so that no file depends on a source that
        cannot rebuild it."""
        if not self._prompt_only:
            return False
        if not self._source_checked:
            self._source_checked = True
            try:
                if not self._source_checkpoint:
                    raise CheckpointError('the run has no source checkpoint')
                _, record = split_prompt_only({}, self._frozen_hashes.hashes(model),
                                              self._source_checkpoint)
                if not record['frozen_tensors']:
                    raise CheckpointError('the model has no frozen parameters')
                check_source_matches(record, self._source_checkpoint, 'this run')
            except CheckpointError as err:
                self.logger.warning(f'saving full checkpoints, not prompt-only: {err}')
                self._prompt_only = False
        return self._prompt_only

    def _load_full(self, path):
        """``(checkpoint, full state dict)``; a prompt-only checkpoint is rebuilt
        with this run's source checkpoint or the one it records, and that source
        becomes the run's."""
        checkpoint, state, used = load_full_state(path, self._source_checkpoint,
                                                  self.logger)
        if used is not None and used != self._source_checkpoint:
            self._source_checkpoint, self._source_checked = used, False
        return checkpoint, state

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=((r'^module.', ''), )):
        """mmcv's ``load_from``; a prompt-only checkpoint is rebuilt with its source
        and loaded strictly."""
        checkpoint, state = self._load_full(filename)
        if not is_prompt_only(checkpoint):
            return super().load_checkpoint(filename, map_location, strict, revise_keys)
        load_state_strictly(self.model, state, filename, checkpoint)
        self.logger.info(f'load checkpoint from {filename}')
        return checkpoint

    def resume(self, checkpoint, resume_optimizer=True, map_location='cpu'):
        """Restore weights (strictly), optimizer, iteration, epoch, ``hook_msgs``,
        and, when training starts, the loader position and RNG states.

        The file is read onto the CPU; parameters and optimizer state are copied to
        the model's device by ``load_state_dict``.
        """
        path = checkpoint
        checkpoint, state = self._load_full(path)
        missing = [k for k in ('meta', 'state_dict') if k not in checkpoint]
        if missing:
            raise CheckpointError(f'checkpoint {path} cannot be resumed from: it has no '
                                  f'{" or ".join(missing)} (not a training checkpoint)')
        load_state_strictly(self.model, state, path, checkpoint)
        meta = checkpoint['meta']
        self._epoch = int(meta['epoch'])
        self._iter = int(meta['iter'])
        self._inner_iter = 0
        self.meta.setdefault('hook_msgs', {}).update(meta.get('hook_msgs', {}))
        if resume_optimizer and 'optimizer' in checkpoint:
            if isinstance(self.optimizer, Optimizer):
                self.optimizer.load_state_dict(checkpoint['optimizer'])
            else:
                for name, optim in self.optimizer.items():
                    optim.load_state_dict(checkpoint['optimizer'][name])
        runtime = checkpoint.get('runtime')
        if runtime is None:
            self.logger.warning(f'{path} holds no loader position or RNG state (not '
                                'saved by UVPTIterBasedRunner); data order and random '
                                'draws will differ from the saved run')
        self._resumed_runtime = runtime
        self._call_optional_hook('after_load_checkpoint', checkpoint)
        self.logger.info(f'resumed from {path}: epoch {self.epoch}, iter {self.iter}')
