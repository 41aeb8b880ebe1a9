"""The learning rate the runner actually applies, read off every optimiser param group
while the project's training path (``train_segmentor``: optimizer constructor,
``UVPTIterBasedRunner``, the hooks mmcv registers from ``lr_config``) runs a resolved
paper config, with a short ``max_iters`` and the config's own policy.

Why it is needed: the release's adaptation configs set ``policy='CosineAnnealing'``
without ``by_epoch``, and mmcv's ``LrUpdaterHook`` defaults to ``by_epoch=True``, which
reads like a constant LR; but ``IterBasedRunner.register_training_hooks`` sets
``by_epoch=False`` by default, so the release's cosine decays by iteration
(docs/fidelity.md, "Learning-rate schedule"). A test that restates config values cannot
tell the two apart; this one reads the LR the optimiser holds at each iteration.

The model is a stand-in carrying the paper model's parameter names (the prompt
adapter, the decode head, the mixing logits, a frozen backbone tensor), so the
constructor's multipliers apply as to the real model; its loss costs nothing.
"""
import logging
import math

import pytest
import torch
import torch.nn as nn
from mmcv import Config
from mmcv.runner import HOOKS, Hook

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis.train_segmentor import train_segmentor
from mmseg_uvpt.launch.jobs import STAGES
from mmseg_uvpt.utils.distributed import DistInfo

from test_release_settings import REPO


class StandInSegmentor(nn.Module):
    """Parameters named as in the UVPT segmentor, a loss that needs no forward pass."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.patch_embed = nn.Linear(2, 2)  # frozen, as the source backbone
        self.backbone.patch_embed.requires_grad_(False)
        self.backbone.prompt_adapter = nn.Linear(2, 2)
        self.decode_head = nn.Linear(2, 2)
        self.pred_mix_logits = nn.Parameter(torch.zeros(3))

    def train_step(self, data_batch, optimizer, **kwargs):
        loss = sum(p.square().sum() for p in self.parameters() if p.requires_grad)
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=1)


@HOOKS.register_module(force=True)
class RecordLrHook(Hook):
    """Every param group's LR as the step of each iteration sees it (this hook runs
    after the LR hook, which has the highest priority)."""

    records = []

    def before_train_iter(self, runner):
        RecordLrHook.records.append([group['lr'] for group in runner.optimizer.param_groups])


def applied_lrs(config, max_iters, tmp_path, **lr_overrides):
    """``{param name: [LR at iteration 1, 2, ..., max_iters]}`` as the runner applies it."""
    cfg = Config.fromfile(str(REPO / 'configs' / config))
    cfg.runner.max_iters = max_iters
    cfg.lr_config.update(lr_overrides)
    cfg.custom_hooks = [dict(type='RecordLrHook', priority='LOWEST')]
    cfg.checkpoint_config = dict(by_epoch=False, interval=10**9, save_last=False)
    cfg.log_config = dict(interval=10**9, hooks=[])
    cfg.work_dir = str(tmp_path)
    cfg.seed = 0
    cfg.data.samples_per_gpu, cfg.data.workers_per_gpu = 1, 0
    model = StandInSegmentor()
    names = [name for name, _ in model.named_parameters()]
    RecordLrHook.records = []
    runner = train_segmentor(model, [[dict(x=torch.zeros(1))] * 4], cfg,
                             DistInfo(distributed=False, rank=0, world_size=1,
                                      local_rank=0, device='cpu'), validate=False,
                             logger=logging.getLogger('runner-lr-test'))
    # the constructor makes one group per parameter, in named_parameters() order
    groups = runner.optimizer.param_groups
    assert len(groups) == len(names) and len(RecordLrHook.records) == max_iters
    return {name: [lrs[i] for lrs in RecordLrHook.records] for i, name in enumerate(names)}


def cosine(base, i, max_iters, min_ratio=1e-5):
    """mmcv's CosineAnnealing at iteration ``i`` (1-based) by iteration."""
    end = base * min_ratio
    return end + 0.5 * (base - end) * (1 + math.cos(math.pi * (i - 1) / max_iters))


def poly(base, i, max_iters, warmup_iters=0, warmup_ratio=1e-6):
    """mmcv's poly (power 1, min_lr 0) with its linear warm-up, iteration ``i`` 1-based."""
    lr = base * (1 - (i - 1) / max_iters)
    if i - 1 < warmup_iters:
        lr *= 1 - (1 - (i - 1) / warmup_iters) * (1 - warmup_ratio)
    return lr


def check(lrs, expected_of, iterations):
    for name, values in lrs.items():
        for i in iterations:
            assert values[i - 1] == pytest.approx(expected_of(name, i), rel=1e-9, abs=1e-20), \
                (name, i)


ADAPT_MULT = {'backbone.patch_embed.weight': 1, 'backbone.patch_embed.bias': 1,
              'backbone.prompt_adapter.weight': 5, 'backbone.prompt_adapter.bias': 5,
              'decode_head.weight': 10, 'decode_head.bias': 10, 'pred_mix_logits': 1}


def base_lr(config):
    return Config.fromfile(str(REPO / 'configs' / config)).optimizer.lr


@pytest.mark.parametrize('name', STAGES['train'].run_names())
def test_adaptation_lr_decays_by_iteration_on_a_cosine(name, tmp_path):
    config = f'uvpt/{name}.py'
    base = base_lr(config)
    lrs = applied_lrs(config, 100, tmp_path)
    check(lrs, lambda param, i: cosine(base * ADAPT_MULT[param], i, 100), [1, 50, 100])
    # the figures worked out by hand from mmcv's formula, for the Swin-B base LR
    if base == 6e-6:
        adapter = lrs['backbone.prompt_adapter.weight']
        assert [adapter[0], adapter[49], adapter[99]] == pytest.approx(
            [5 * 6e-6, 5 * 3.0943e-6, 5 * 1.5403e-9], rel=1e-4)


@pytest.mark.parametrize('name', STAGES['pretrain'].run_names())
def test_pretraining_lr_is_poly_with_warm_up_for_standard_runs_only(name, tmp_path):
    config = f'pretrain/{name}.py'
    base = base_lr(config)
    warmup = 0 if 'source-gta' in name else 1500
    max_iters = warmup + 100
    lrs = applied_lrs(config, max_iters, tmp_path)
    mult = {param: 10 if 'head' in param else 1 for param in lrs}
    steps = [1, 50, 100] if not warmup else [1, 750, 1500, 1501, 1550, 1600]
    check(lrs, lambda param, i: poly(base * mult[param], i, max_iters, warmup), steps)
    head = lrs['decode_head.weight']
    if warmup:
        assert head[0] == pytest.approx(10 * base * 1e-6)  # warm-up starts at 1e-6
        assert head[1500] == pytest.approx(10 * base * 100 / 1600)  # then poly alone
    else:
        assert head[0] == pytest.approx(10 * base)  # the full LR from the start


def test_the_misreading_by_epoch_true_keeps_the_lr_constant(tmp_path):
    """What the release's configs read like: by epoch, the runner's iterations never
    reach the cosine, and the LR stays at its base. The checks above would fail."""
    lrs = applied_lrs('uvpt/swin-b_source-gta_gta52cityscapes.py', 100, tmp_path,
                      by_epoch=True)
    assert lrs['decode_head.weight'] == pytest.approx([6e-5] * 100)
    with pytest.raises(AssertionError):
        check(lrs, lambda name, i: cosine(6e-6 * ADAPT_MULT[name], i, 100), [50])
