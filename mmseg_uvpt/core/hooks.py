"""Hooks of the training runtime: the non-finite-loss guard and evaluation hooks that
keep the latest metrics for the caller."""
import math

import torch
from mmcv.runner import HOOKS, Hook
from mmseg.core import DistEvalHook, EvalHook

from ..utils.distributed import all_ranks_true


class NonFiniteLossError(RuntimeError):
    """Training stopped because a loss became NaN or infinite."""


def _non_finite_terms(outputs):
    """Names of the non-finite entries of a ``train_step`` output."""
    bad = [name for name, value in outputs.get('log_vars', {}).items()
           if isinstance(value, (int, float)) and not math.isfinite(value)]
    loss = outputs.get('loss')
    if isinstance(loss, torch.Tensor) and not torch.isfinite(loss.detach()).all():
        bad.append('loss (total)')
    return bad


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training, before the optimizer step, when the loss is not finite.

    Registered by the training runtime at priority HIGH, ahead of the optimizer
    (ABOVE_NORMAL) and the checkpoint hook, so the weights and the last checkpoint
    are those of the last good iteration. Under DDP all ranks agree before anyone
    stops, so no rank is left waiting in a gradient all-reduce.
    """

    def after_train_iter(self, runner):
        bad = _non_finite_terms(runner.outputs)
        if all_ranks_true(not bad):
            return
        last = runner.meta.get('hook_msgs', {}).get('last_ckpt') if runner.meta else None
        where = f'the last good checkpoint is {last}' if last else \
            'no checkpoint was saved before it'
        terms = ', '.join(bad) if bad else 'on another rank'
        message = (f'non-finite loss at iteration {runner.iter + 1}: {terms}. Training '
                   f'stopped before the optimizer step; {where} (work dir '
                   f'{runner.work_dir}). Resume from it with a lower learning rate, or '
                   'check the data of this iteration.')
        runner.logger.error(message)
        raise NonFiniteLossError(message)


class _KeepMetricsMixin:
    """Keeps the metrics of the latest evaluation in ``latest_metrics``."""

    latest_metrics = None

    def evaluate(self, runner, results):
        key_score = super().evaluate(runner, results)
        self.latest_metrics = {k: float(v) for k, v in runner.log_buffer.output.items()
                               if k != 'eval_iter_num'}
        return key_score


class UVPTEvalHook(_KeepMetricsMixin, EvalHook):
    """mmseg's single-process EvalHook that keeps its latest metrics."""


class UVPTDistEvalHook(_KeepMetricsMixin, DistEvalHook):
    """mmseg's DistEvalHook that keeps its latest metrics (on rank 0)."""
