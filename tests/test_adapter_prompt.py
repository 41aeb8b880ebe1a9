"""Prompt adapter parts: generator geometry, per-level ConvFFN, γ-gated injector,
checkpointing, norm choice, init and the reference parameter counts."""
import math

import pytest
import torch
import torch.nn as nn

from mmseg_uvpt.models.adapters import (ConvFFN, Injector, Interactor, PromptAdapter,
                                        PromptGenerator, reference_points)
from mmseg_uvpt.ops import MSDeformAttn


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('size, expected', [
    ((64, 48), [(32, 24), (16, 12), (8, 6)]),
    ((50, 38), [(25, 19), (13, 10), (7, 5)]),  # ceil at every stride-2 step
])
def test_generator_levels_at_half_quarter_eighth(size, expected):
    gen = PromptGenerator(embed_dims=24, inplanes=8).eval()
    tokens, shapes = gen(torch.randn(2, 3, *size))
    assert shapes == expected
    assert tokens.shape == (2, sum(h * w for h, w in expected), 24)


def test_generator_adds_one_embedding_per_level():
    gen = PromptGenerator(embed_dims=4, inplanes=8).eval()
    img = torch.randn(1, 3, 16, 16)
    base, shapes = gen(img)
    with torch.no_grad():
        gen.level_embed[1] += 1.0
    shifted, _ = gen(img)
    n0, n1 = shapes[0][0] * shapes[0][1], shapes[1][0] * shapes[1][1]
    diff = shifted - base
    assert torch.allclose(diff[:, :n0], torch.zeros(1))
    assert torch.allclose(diff[:, n0:n0 + n1], torch.ones(1))
    assert torch.allclose(diff[:, n0 + n1:], torch.zeros(1))


def test_generator_norm_from_config():
    gen = PromptGenerator(8, inplanes=4, norm_cfg=dict(type='SyncBN', requires_grad=True))
    assert any(isinstance(m, nn.SyncBatchNorm) for m in gen.modules())
    gen = PromptGenerator(8, inplanes=4)
    norms = [m for m in gen.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 5
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in gen.modules())


def test_conv_ffn_convolves_each_level_in_its_own_layout():
    ffn = ConvFFN(4, 2)
    shapes = [(4, 4), (2, 3)]
    tokens = torch.randn(1, 16 + 6, 4)
    base = ffn(tokens, shapes)
    bumped = tokens.clone()
    bumped[0, 15] += 1.0  # last token of level 0 (row 3, col 3)
    diff = (ffn(bumped, shapes) - base).abs().sum(-1)[0]
    changed = set(torch.nonzero(diff > 0).flatten().tolist())
    # Its 3x3 neighbourhood inside the 4x4 level: (2,2), (2,3), (3,2), (3,3).
    assert changed == {10, 11, 14, 15}


def test_reference_points_are_pixel_centres():
    refs = reference_points([(2, 4), (1, 1)], 'cpu')
    assert refs.shape == (1, 9, 1, 2)
    assert refs[0, 0, 0].tolist() == [0.125, 0.25]
    assert refs[0, 7, 0].tolist() == [0.875, 0.75]
    assert refs[0, 8, 0].tolist() == [0.5, 0.5]


def interaction_inputs(dims=8):
    feat_shape, prompt_shapes = (4, 6), [(8, 12), (4, 6), (2, 3)]
    feat = torch.randn(2, 24, dims)
    prompts = torch.randn(2, sum(h * w for h, w in prompt_shapes), dims)
    return feat, feat_shape, prompts, prompt_shapes


def test_injector_gamma_gates_the_update():
    inj = Injector(8, num_heads=2, init_gamma=1e-6)
    assert torch.all(inj.gamma == 1e-6)
    feat, feat_shape, prompts, prompt_shapes = interaction_inputs()
    refs = reference_points([feat_shape], 'cpu')
    with torch.no_grad():
        inj.gamma.zero_()
    assert torch.equal(inj(feat, refs, prompts, prompt_shapes), feat)
    with torch.no_grad():
        inj.gamma.fill_(1.0)
    assert not torch.allclose(inj(feat, refs, prompts, prompt_shapes), feat, atol=1e-3)


def test_interactor_checkpointing_gives_same_values_and_grads():
    torch.manual_seed(0)
    plain = Interactor(8, num_heads=2, init_gamma=0.5)
    ckpt = Interactor(8, num_heads=2, init_gamma=0.5, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    inputs = interaction_inputs()
    results = []
    for model in (plain, ckpt):
        feat, updated = model(*inputs)
        (feat.square().sum() + updated.square().sum()).backward()
        results.append((feat, updated, [p.grad.clone() for p in model.parameters()]))
    (f0, u0, g0), (f1, u1, g1) = results
    assert torch.allclose(f0, f1) and torch.allclose(u0, u1)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(g0, g1))


def test_adapter_handover_modes():
    torch.manual_seed(0)
    kw = dict(embed_dims=[8, 16, 32, 64], num_heads=2, inplanes=4)
    updated = PromptAdapter(**kw, prompt_handover='updated')
    raw = PromptAdapter(**kw, prompt_handover='input')
    raw.load_state_dict(updated.state_dict())
    feat, feat_shape, prompts, prompt_shapes = interaction_inputs()
    f_up, h_up = updated.interact(0, feat, feat_shape, prompts, prompt_shapes)
    f_in, h_in = raw.interact(0, feat, feat_shape, prompts, prompt_shapes)
    assert torch.equal(f_up, f_in)
    assert h_in is prompts
    assert not torch.allclose(h_up, prompts)
    nxt, shapes = updated.hand_over(0, h_up, prompt_shapes)
    assert shapes == [(4, 6), (2, 3), (1, 2)] and nxt.shape == (2, 24 + 6 + 2, 16)
    with pytest.raises(ValueError, match='prompt_handover'):
        PromptAdapter(**kw, prompt_handover='both')
    with pytest.raises(TypeError, match='unknown_key'):
        PromptAdapter(**kw, unknown_key=1)


def test_adapter_init():
    torch.manual_seed(0)
    adapter = PromptAdapter([64, 128, 256, 512], num_heads=16, init_gamma=1e-6)
    inter = adapter.interactors[2]
    fc1 = inter.extractor.ffn.fc1
    assert fc1.weight.std().item() == pytest.approx(0.02, rel=0.1)
    assert fc1.bias.abs().sum() == 0
    for attn in (inter.extractor.attn, inter.injector.attn):
        assert isinstance(attn, MSDeformAttn)
        assert attn.sampling_offsets.weight.abs().sum() == 0
        assert attn.attention_weights.weight.abs().sum() == 0
    conv = adapter.handovers[1].convs[0]  # 3x3, 256 out channels
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / (9 * 256)), rel=0.05)
    dw = inter.extractor.ffn.dwconv  # depthwise: fan_out = 9
    assert dw.weight.std().item() == pytest.approx(math.sqrt(2 / 9), rel=0.2)
    assert adapter.generator.level_embed.std().item() == pytest.approx(1.0, rel=0.3)
    norm = inter.extractor.query_norm
    assert norm.eps == 1e-6 and torch.all(norm.weight == 1) and torch.all(norm.bias == 0)
    assert all(torch.all(i.injector.gamma == 1e-6) for i in adapter.interactors)


# Reference adapter (one generator without the unused fourth stem conv, 4 interactors
# with extractor + ConvFFN + injector, 3x3 hand-over convs) counted term by term.
def expected_adapter_count(dims, heads=16, points=4, stem=64):
    stem_convs = 27 * stem + 9 * stem * stem * 2 + 9 * stem * 2 * stem + 9 * 2 * stem * 4 * stem
    stem_bns = 2 * (stem * 3 + 2 * stem + 4 * stem)
    generator = stem_convs + stem_bns + (7 * stem + 3) * dims[0] + 3 * dims[0]

    def msda(d, levels):
        return (d + 1) * heads * levels * points * 3 + (d + 1) * d // 2 + (d // 2 + 1) * d

    def interactor(d):
        h = d // 4
        extractor = 4 * d + msda(d, 1) + 2 * d + (d + 1) * h + 10 * h + (h + 1) * d
        injector = 4 * d + msda(d, 3) + d
        return extractor + injector

    handover = sum(27 * a * b for a, b in zip(dims, dims[1:]))
    return generator + sum(interactor(d) for d in dims) + handover, handover


@pytest.mark.parametrize('dims, reference', [
    ((128, 256, 512, 1024), 24_076_128),  # Swin-B
    ((64, 128, 320, 512), 7_995_328),     # MiT-B5
])
def test_full_size_adapter_parameter_count(dims, reference):
    adapter = PromptAdapter(dims)
    total, handover = expected_adapter_count(dims)
    assert total == reference
    assert count(adapter) == reference
    assert count(adapter.handovers) == handover
