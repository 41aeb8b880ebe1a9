"""One training step of every benchmark case on CUDA: the tiny models at 64x64 crops
and the full-size Uni-UVPT models at 256x256 (all three scales, losses, backward,
AdamW), fp32 and bf16. Checks that the step is finite, moves every trainable
parameter with a gradient, leaves the frozen backbone alone, and that the full
Swin-B model's first loss is the same whether its deformable attention runs on
mmcv's CUDA kernel or on the ``grid_sample`` path."""
import pytest
import torch

from mmseg_uvpt.ops import cuda_kernel_available
from mmseg_uvpt.benchmarking import harness as bench

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')]
DEVICE = 'cuda'


def one_step(name, toy, crop, overrides=None, seed=0):
    """``(loss, parameters before, model)`` after one step of case ``name``."""
    case = bench.select_cases([name], toy=toy)[0]
    case['overrides'] = dict(case['overrides'], **(overrides or {}))
    with bench.tf32_mode(case['tf32']):
        torch.manual_seed(seed)
        model, optimizer = bench.build_case(case, DEVICE)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        torch.manual_seed(seed)
        batch = bench.make_train_batch(2, crop, model.num_classes, DEVICE)
        loss = bench.train_step(model, batch, optimizer)
    return loss.item(), before, model


def check_step(loss, before, model):
    assert 0 < loss < float('inf')
    moved, frozen = set(), 0
    for name, p in model.named_parameters():
        assert torch.isfinite(p).all(), name
        if not p.requires_grad:
            assert torch.equal(p, before[name]), f'frozen {name} changed'
            frozen += 1
        elif p.grad is not None and p.grad.abs().max() > 1e-6:
            # AdamW's first step is ~lr for a gradient well above its eps (1e-8)
            assert not torch.equal(p, before[name]), f'{name} has a gradient but did not move'
            moved.add(name)
    # the loss reaches every head parameter directly; much of the adapter gets no or
    # ~1e-12 gradients in the first step (zero-initialised offsets and injector scales)
    head = [n for n, _ in model.named_parameters() if n.startswith('decode_head.')]
    assert head and not set(head) - moved, sorted(set(head) - moved)
    return frozen


@pytest.mark.parametrize('name', sorted(bench.CASES))
def test_tiny_model_step(name):
    loss, before, model = one_step(name, toy=True, crop=64)
    frozen = check_step(loss, before, model)
    assert (frozen > 0) == name.startswith('uvpt'), 'only Uni-UVPT freezes its backbone'


@pytest.mark.parametrize('name',
                         ['uvpt_swin-b_opt', 'uvpt_mit-b5_opt', 'uvpt_vit-b14_opt'])
def test_full_model_bf16_step(name):
    loss, before, model = one_step(name, toy=False, crop=256)
    check_step(loss, before, model)


@pytest.mark.skipif(not cuda_kernel_available(), reason='mmcv built without CUDA ops')
def test_full_swin_kernel_and_grid_sample_agree():
    # fp32, TF32 off: the two sampling paths differ only by fp32 rounding, so the
    # first loss (same weights, same batch) agrees to far better than bf16 would
    losses = {}
    for impl in ('cuda', 'pytorch'):
        loss, before, model = one_step(
            'uvpt_swin-b', toy=False, crop=256,
            overrides={'model.backbone.prompt_cfg.attn_impl': impl})
        check_step(loss, before, model)
        losses[impl] = loss
        del model, before
        torch.cuda.empty_cache()
    assert losses['cuda'] == pytest.approx(losses['pytorch'], rel=1e-4)
