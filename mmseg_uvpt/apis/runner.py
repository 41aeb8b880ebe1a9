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

from ..utils import CheckpointError, atomic_save, load_checkpoint_file
from .augmentation_state import (find_style_banks, load_style_bank_state,
                                 style_bank_state)
from .checkpoint import to_checkpoint_safe
from .data import ResumableIterLoader
from .rng import (entry_of_this_rank, gather_from_ranks, get_rng_state,
                  restore_rank_rng_state)

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
        # built once: the banks are fixed parts of the model
        self._style_banks = find_style_banks(self.model)

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
        states = gather_from_ranks((get_rng_state(), style_bank_state(self._style_banks)))
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
        if save_optimizer and isinstance(self.optimizer, Optimizer):
            checkpoint['optimizer'] = self.optimizer.state_dict()
        elif save_optimizer and isinstance(self.optimizer, dict):
            checkpoint['optimizer'] = {k: o.state_dict()
                                       for k, o in self.optimizer.items()}
        self._call_optional_hook('before_save_checkpoint', checkpoint)
        for key in ('meta', 'runtime'):
            checkpoint[key] = to_checkpoint_safe(checkpoint[key], key)
        filename = filename_tmpl.format(done)
        path = osp.join(out_dir, filename)
        atomic_save(checkpoint, path)
        if create_symlink:
            _atomic_symlink(filename, osp.join(out_dir, 'latest.pth'))
        return path

    def resume(self, checkpoint, resume_optimizer=True, map_location='cpu'):
        """Restore weights (strictly), optimizer, iteration, epoch, ``hook_msgs``,
        and, when training starts, the loader position and RNG states.

        The file is read onto the CPU; parameters and optimizer state are copied to
        the model's device by ``load_state_dict``.
        """
        path = checkpoint
        checkpoint = load_checkpoint_file(path, map_location='cpu')
        missing = [k for k in ('meta', 'state_dict') if k not in checkpoint]
        if missing:
            raise CheckpointError(f'checkpoint {path} cannot be resumed from: it has no '
                                  f'{" or ".join(missing)} (not a training checkpoint)')
        model = getattr(self.model, 'module', self.model)
        try:
            model.load_state_dict(checkpoint['state_dict'], strict=True)
        except RuntimeError as err:
            raise CheckpointError(f'checkpoint {path} does not fit the model: {err}') \
                from None
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
