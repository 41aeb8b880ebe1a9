"""SwinPrompt / MiTPrompt: stock equivalence at γ = 0, freezing, gradients, hand-over
modes, train-mode policy, fused attention, checkpointing and full-size counts."""
import copy
import time
from unittest import mock

import pytest
import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks.drop import DropPath
from mmseg.models.backbones import MixVisionTransformer, SwinTransformer
from mmseg.models.builder import build_backbone

from mmseg_uvpt.models.adapters import Injector
from mmseg_uvpt.models.backbones import MiTPrompt, SwinPrompt
from mmseg_uvpt.models.backbones.fused_attention import (FusedEfficientMultiheadAttention,
                                                          FusedWindowMSA)
from mmseg_uvpt.models.backbones.presets import (MIT_B5_PROMPT, MIT_TINY_PROMPT,
                                                  SWIN_B_PROMPT, SWIN_TINY_PROMPT,
                                                  stock_kwargs)



@pytest.fixture(autouse=True, scope='module')
def single_thread():
    # On the shared 2-core machine, intra-op threads fighting other processes made
    # these tiny models 20-50x slower; one thread is fastest here.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY = {'swin': (SWIN_TINY_PROMPT, SwinTransformer), 'mit': (MIT_TINY_PROMPT, MixVisionTransformer)}
SIZES = [(64, 64), (60, 90)]  # square; non-square and not a multiple of 32


def build(name, seed=0, **overrides):
    torch.manual_seed(seed)
    cfg = copy.deepcopy(TINY[name][0])
    cfg.update(overrides)
    model = build_backbone(cfg)
    model.init_weights()
    return model


def stock_twin(name, model, mode):
    """The stock mmseg backbone with the prompted model's stock weights, in train
    (``mode`` True) or eval mode (stock Swin's ``train()`` returns None)."""
    stock = TINY[name][1](**stock_kwargs(TINY[name][0]))
    stock.load_state_dict({k: v for k, v in model.state_dict().items()
                           if not k.startswith('prompt_adapter.')})
    stock.train(mode)
    return stock


def set_gamma(model, value):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, Injector):
                m.gamma.fill_(value)


def stock_params(model):
    return [(n, p) for n, p in model.named_parameters() if not n.startswith('prompt_adapter.')]


@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_stock_parameter_names_and_loading(name):
    model = build(name)
    stock = TINY[name][1](**stock_kwargs(TINY[name][0]))
    missing, unexpected = model.load_state_dict(stock.state_dict(), strict=False)
    assert unexpected == []
    assert missing and all(k.startswith('prompt_adapter.') for k in missing)
    assert set(stock.state_dict()) == {k for k in model.state_dict()
                                      if not k.startswith('prompt_adapter.')}


@pytest.mark.parametrize('size', SIZES)
@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_zero_gamma_equals_stock_backbone(name, size):
    model = build(name).eval()
    set_gamma(model, 0.)
    stock = stock_twin(name, model, False)
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        outs, injected = model.forward_with_injected(x)
        ref = stock(x)
        first_tokens, hw = (stock.patch_embed(x) if name == 'swin'
                            else stock.layers[0][0](x))
    assert len(outs) == len(injected) == 4
    for out, r, inj in zip(outs, ref, injected):
        assert out.shape == r.shape
        assert inj.shape[:2] == out.shape[:2]
        assert torch.allclose(out, r, atol=1e-5)
    # Stage-1 tokens right after (zero) injection = the stock stage-1 tokens.
    assert torch.allclose(injected[0], first_tokens.transpose(1, 2).reshape(2, -1, *hw))
    assert inj.shape[-2:] == ref[-1].shape[-2:]


@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_default_gamma_trains_only_the_adapter(name):
    model = build(name).train()
    stock = stock_twin(name, model, True)
    x = torch.randn(2, 3, 60, 90)
    outs = model(x)
    with torch.no_grad():
        ref = stock(x)
    diffs = [(o - r).abs().max().item() for o, r in zip(outs, ref)]
    assert max(diffs) > 0 and max(diffs) < 1e-3  # γ = 1e-6: slightly different
    sum(o.square().mean() for o in outs).backward()

    for n, p in stock_params(model):
        assert not p.requires_grad and p.grad is None, n
    zero = {n for n, p in model.prompt_adapter.named_parameters()
            if p.grad is None or p.grad.abs().sum() == 0}
    # At init the attention queries reach the output only through the zero-initialised
    # offset and attention-weight layers, so only the query norms get zero gradients.
    assert zero == {f'interactors.{i}.{part}.query_norm.{w}' for i in range(4)
                    for part in ('extractor', 'injector') for w in ('weight', 'bias')}

    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)  # no decay: zero grad, no change
    optim.step()
    for n, p in model.named_parameters():
        changed = not torch.equal(before[n], p)
        if not n.startswith('prompt_adapter.') or n[len('prompt_adapter.'):] in zero:
            assert not changed, n  # frozen, or no gradient yet
        elif n.endswith('gamma'):
            assert changed, n

    optim.zero_grad()
    sum(o.square().mean() for o in model(x)).backward()
    for n, p in model.prompt_adapter.named_parameters():
        assert p.grad.abs().sum() > 0, n
    assert all(p.grad is None for _, p in stock_params(model))


@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_handover_mode_changes_later_stages(name):
    updated = build(name).eval()
    raw = build(name, prompt_cfg=dict(TINY[name][0]['prompt_cfg'],
                                      prompt_handover='input')).eval()
    set_gamma(updated, 0.5)
    raw.load_state_dict(updated.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = updated(x), raw(x)
    # Stage 1 sees the generator's prompts in both modes; later stages do not.
    assert torch.allclose(a[0], b[0], atol=1e-6)
    for i in (1, 2, 3):
        assert not torch.allclose(a[i], b[i], atol=1e-3), i


@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_frozen_drop_path_switch(name):
    x = torch.randn(1, 3, 64, 64)
    for frozen_drop_path in (True, False):
        model = build(name, drop_path_rate=0.5, frozen_drop_path=frozen_drop_path)
        set_gamma(model, 0.)
        model.train()
        model.train()  # a second train() must not re-enable anything
        # the stock blocks' stochastic depth (the adapter's follows train() always)
        drop_paths = [m for _, child in model.stock_children() for m in child.modules()
                      if isinstance(m, DropPath)]
        assert drop_paths and all(m.training == frozen_drop_path for m in drop_paths)
        assert all(m.training for m in model.prompt_adapter.modules())
        with torch.no_grad():
            first, second = model(x)[-1], model(x)[-1]
            deterministic = model.eval()(x)[-1]
        if frozen_drop_path:
            assert not torch.allclose(first, second)
        else:
            assert torch.allclose(first, second) and torch.allclose(first, deterministic)


@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_fused_attention_equals_stock_attention(name):
    fused = build(name)
    plain = build(name, fused_attention=False)
    plain.load_state_dict(fused.state_dict())
    set_gamma(fused, 0.3)
    set_gamma(plain, 0.3)
    fused_type = FusedWindowMSA if name == 'swin' else FusedEfficientMultiheadAttention
    assert sum(type(m) is fused_type for m in fused.modules()) == 8  # 2 blocks x 4 stages
    assert not any(isinstance(m, fused_type) for m in plain.modules())

    x = torch.randn(2, 3, 60, 90)
    results = []
    # The fused path never calls nn.MultiheadAttention.forward (the unfused one).
    no_mha = mock.patch.object(nn.MultiheadAttention, 'forward',
                               side_effect=AssertionError('unfused attention called'))
    for model, ctx in ((fused, no_mha), (plain, mock.MagicMock())):
        model.train()
        with ctx:
            outs = model(x)
            sum(o.square().mean() for o in outs).backward()
        results.append((outs, [p.grad for p in model.prompt_adapter.parameters()]))
    (o_f, g_f), (o_p, g_p) = results
    for a, b in zip(o_f, o_p):
        assert torch.allclose(a, b, atol=1e-5)
    for a, b in zip(g_f, g_p):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_checkpointed_blocks_match(name):
    plain = build(name)
    ckpt = build(name, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 64, 64)
    results = []
    with mock.patch.object(cp, 'checkpoint', wraps=cp.checkpoint) as spy:
        for model in (plain, ckpt):
            calls = spy.call_count
            outs = model.train()(x)
            sum(o.square().mean() for o in outs).backward()
            results.append((outs, [p.grad for p in model.prompt_adapter.parameters()],
                            spy.call_count - calls))
    (o0, g0, n0), (o1, g1, n1) = results
    assert n0 == 0 and n1 == 8  # every frozen block, only when asked
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(o0, o1))
    assert all(torch.allclose(a, b, atol=1e-7) for a, b in zip(g0, g1))


def test_init_weights_restores_adapter_init():
    model = build('swin', prompt_cfg=dict(SWIN_TINY_PROMPT['prompt_cfg'], init_gamma=1e-4))
    inter = model.prompt_adapter.interactors[0]
    assert inter.injector.attn.sampling_offsets.weight.abs().sum() == 0
    assert torch.all(inter.injector.gamma == 1e-4)


@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_pretrained_init_cfg_loads_stock_weights_and_keeps_adapter_init(name, tmp_path):
    torch.manual_seed(1)
    stock = TINY[name][1](**stock_kwargs(TINY[name][0]))
    path = tmp_path / 'stock.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in stock.state_dict().items()}},
               path)
    model = build(name, init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                      prefix='backbone.'))
    state = model.state_dict()
    for k, v in stock.state_dict().items():
        assert torch.equal(state[k], v), k
    attn = model.prompt_adapter.interactors[1].extractor.attn
    assert attn.sampling_offsets.weight.abs().sum() == 0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
@pytest.mark.parametrize('name', ['swin', 'mit'])
def test_gpu_kernel_and_bf16_paths(name):
    from mmseg_uvpt.ops import cuda_kernel_available
    x = torch.randn(2, 3, 60, 90, device='cuda')
    results = []
    impls = ['pytorch'] + (['cuda'] if cuda_kernel_available() else [])
    for impl in impls:
        model = build(name, prompt_cfg=dict(TINY[name][0]['prompt_cfg'], attn_impl=impl))
        set_gamma(model, 0.3)
        model.cuda().train()
        outs = model(x)
        sum(o.square().mean() for o in outs).backward()
        results.append((outs, [p.grad for p in model.prompt_adapter.parameters()]))
        with torch.autocast('cuda', dtype=torch.bfloat16):
            bf16 = model(x)
        for a, b in zip(bf16, outs):
            assert ((a.float() - b).norm() / b.norm()).item() < 5e-2
    if len(results) == 2:
        (o0, g0), (o1, g1) = results
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(o0, o1))
        assert all(torch.allclose(a, b, rtol=1e-3, atol=1e-6) for a, b in zip(g0, g1))


def test_unfrozen_backbone_and_bad_prompt_cfg():
    model = build('mit', freeze_backbone=False)
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(TypeError, match='n_point'):
        build('mit', prompt_cfg=dict(n_point=4))


def test_full_size_parameter_counts():
    start = time.time()
    for preset, cls, adapter_count, frozen_millions in (
            (SWIN_B_PROMPT, SwinPrompt, 24_076_128, 86.7),
            (MIT_B5_PROMPT, MiTPrompt, 7_995_328, 81.4)):
        model = build_backbone(copy.deepcopy(preset))
        assert type(model) is cls
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
        assert trainable == sum(p.numel() for p in model.prompt_adapter.parameters())
        assert trainable == adapter_count
        assert frozen / 1e6 == pytest.approx(frozen_millions, abs=0.05)
        del model
    assert time.time() - start < 20
