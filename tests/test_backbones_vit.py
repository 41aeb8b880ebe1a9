"""ViTPrompt (a plain timm ViT with the prompt adapter and a simple feature pyramid):
the stock part is timm's DINOv2 models, frozen; γ = 0 gives timm's features; timm and
official DINOv2 checkpoints load through timm's filter, others are refused; any image
size runs; the prompt-only checkpoint round-trips; a UVPTSegmentor step runs."""
import copy
import inspect
import re
from unittest import mock

import pytest
import timm
import torch
import torch.utils.checkpoint as cp
from mmcv import Config
from mmseg.models import build_segmentor
from mmseg.models.builder import build_backbone
from safetensors.torch import save_file
from timm.layers import DropPath
from timm.models.vision_transformer import VisionTransformer

import mmseg_uvpt  # noqa: F401  (registers the project's components)
from mmseg_uvpt.checkpoints import CheckpointError, atomic_save
from mmseg_uvpt.checkpoints.prompt_only import (FrozenHashCache, PROMPT_ONLY_KEY,
                                                split_prompt_only)
from mmseg_uvpt.checkpoints.source_mapping import load_source_checkpoint
from mmseg_uvpt.checkpoints.state_keys import is_fresh_key
from mmseg_uvpt.models.adapters import Injector, PromptAdapter, PromptGenerator
from mmseg_uvpt.models.backbones import ViTPrompt
from mmseg_uvpt.models.backbones.peft import set_backbone_tuning
from mmseg_uvpt.models.backbones.presets import (VIT_B14_PROMPT, VIT_L14_PROMPT,
                                                  VIT_TIMM_MODELS, VIT_TINY_PROMPT,
                                                  vit_kwargs)
from mmseg_uvpt.models.backbones.simple_pyramid import resample_to_stride
from mmseg_uvpt.runtime import load_model_checkpoint

MODELS = 'configs/_base_/models'
TRAINABLE = ('prompt_adapter.', 'pyramid.')
#: the tiny preset with 4 register tokens, as the _reg4_ DINOv2 models
REG4 = dict(reg_tokens=4, no_embed_class=True)


@pytest.fixture(autouse=True, scope='module')
def single_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # the shared 2-core machine: one thread is fastest
    yield
    torch.set_num_threads(threads)


def build(seed=0, **overrides):
    torch.manual_seed(seed)
    cfg = copy.deepcopy(VIT_TINY_PROMPT)
    cfg.update(overrides)
    model = build_backbone(cfg)
    model.init_weights()
    return model


def stock_state(model):
    return {k: v for k, v in model.state_dict().items() if not k.startswith(TRAINABLE)}


def randomise_layer_scale_(module, seed=1):
    """LayerScale starts at 1e-5 (DINOv2); make the blocks count in comparisons."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith(('ls1.gamma', 'ls2.gamma')):
                p.copy_(0.5 + 0.5 * torch.rand(p.shape, generator=gen))


def set_gamma(model, value):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, Injector):
                m.gamma.fill_(value)


def timm_twin(model, **overrides):
    """timm's VisionTransformer of the tiny preset with ``model``'s stock weights."""
    ref = VisionTransformer(**vit_kwargs({**VIT_TINY_PROMPT, **overrides}))
    ref.load_state_dict(stock_state(model))
    return ref.eval()


def timm_groups(ref, x):
    """timm's normalised outputs of the four groups' last blocks (NCHW)."""
    return ref.forward_intermediates(x, indices=[0, 1, 2, 3], norm=True,
                                     intermediates_only=True)


def defaults_of(cls):
    return {k: p.default for k, p in inspect.signature(cls).parameters.items()
            if p.default is not inspect.Parameter.empty}


def tiny_timm_model():
    """The tiny preset's architecture from timm's DINOv2 entry point."""
    kw = vit_kwargs(VIT_TINY_PROMPT)
    return timm.create_model(
        'vit_small_patch14_dinov2', pretrained=False, img_size=kw['img_size'],
        embed_dim=kw['embed_dim'], depth=kw['depth'], num_heads=kw['num_heads'],
        dynamic_img_size=True, dynamic_img_pad=True)


# --- the stock part ----------------------------------------------------------------
@pytest.mark.parametrize('name', sorted(VIT_TIMM_MODELS))
def test_presets_are_timms_dinov2_models(name):
    # on the meta device: names and shapes only, without allocating ViT-L
    ref = timm.create_model(name, pretrained=False, device='meta')
    model = build_backbone(dict(copy.deepcopy(VIT_TIMM_MODELS[name]), device='meta'))
    assert type(model) is ViTPrompt
    assert {k: v.shape for k, v in stock_state(model).items()} == \
        {k: v.shape for k, v in ref.state_dict().items()}


def test_full_size_parameter_counts():
    """docs/method.md §2: ViT-B/14 and ViT-L/14 (adapter + pyramid trainable)."""
    for preset, adapter, pyramid, frozen in (
            (VIT_B14_PROMPT, 9_846_848, 5_560_000, 86_579_712),
            (VIT_L14_PROMPT, 15_404_352, 7_805_184, 304_367_616)):
        model = build_backbone(dict(copy.deepcopy(preset), device='meta'))
        count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
        assert count(model.prompt_adapter) == adapter
        assert count(model.pyramid) == pyramid
        assert sum(p.numel() for p in model.parameters() if p.requires_grad) == \
            adapter + pyramid
        assert sum(p.numel() for p in model.parameters() if not p.requires_grad) == frozen


@pytest.mark.parametrize('pair,preset', [('vit-b14', VIT_B14_PROMPT),
                                         ('vit-l14', VIT_L14_PROMPT),
                                         ('vit-tiny', VIT_TINY_PROMPT)])
def test_configs_agree_with_presets_and_source_keys_fit(pair, preset):
    source_cfg = Config.fromfile(f'{MODELS}/daformer_{pair}.py').model
    adapt_cfg = Config.fromfile(f'{MODELS}/uvpt_daformer_{pair}.py').model
    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return [plain(v) for v in value] if isinstance(value, (list, tuple)) else value

    backbone = plain(adapt_cfg.backbone.to_dict())
    for key, value in plain(preset).items():
        if key == 'prompt_cfg':   # the config leaves out what the presets' defaults are
            assert {**value, **backbone[key]} == value
        else:   # what the config leaves out takes the constructors' defaults
            defaults = {**plain(defaults_of(VisionTransformer)),
                        **plain(defaults_of(ViTPrompt))}
            assert backbone.get(key, defaults.get(key)) == value, key
    assert source_cfg.backbone.with_prompt_adapter is False
    shapes = []
    for cfg in (source_cfg, adapt_cfg):
        cfg.backbone.device = 'meta'   # names and shapes only
        shapes.append({k: v.shape for k, v in build_segmentor(cfg).state_dict().items()})
    source, adapted = shapes
    assert source == {k: v for k, v in adapted.items() if not is_fresh_key(k)}
    assert any(k.startswith('backbone.pyramid.') for k in source)


@pytest.mark.parametrize('size', [(56, 70), (60, 90)])  # a multiple of 14, and not
@pytest.mark.parametrize('regs', [False, True])
def test_zero_gamma_equals_timm_vit(regs, size):
    extra = REG4 if regs else {}
    model = build(**extra).eval()
    randomise_layer_scale_(model)
    set_gamma(model, 0.)
    ref = timm_twin(model, **extra)
    x = torch.randn(2, 3, *size)
    with torch.no_grad():
        groups = model.forward_groups(x)
        outs, injected = model.forward_with_injected(x)
        expected = timm_groups(ref, x)
        tokens = ref.norm_pre(ref._pos_embed(ref.patch_embed(x)))
    grid = (-(-size[0] // 14), -(-size[1] // 14))
    assert len(groups) == len(injected) == 4
    for g, e in zip(groups, expected):
        assert g.shape == e.shape == (2, 64, *grid)
        assert torch.allclose(g, e, atol=1e-5)
    # the patch tokens right after (zero) injection = timm's tokens before block 0
    patch = tokens[:, ref.num_prefix_tokens:].transpose(1, 2).reshape(2, 64, *grid)
    assert torch.allclose(injected[0], patch, atol=1e-6)
    assert [o.shape[-2:] for o in outs] == [
        (-(-size[0] // s), -(-size[1] // s)) for s in (4, 8, 16, 32)]


def test_fused_attention_switch_gives_the_same_features():
    fused = build()
    plain = build(fused_attention=False)
    plain.load_state_dict(fused.state_dict())
    for model in (fused, plain):
        randomise_layer_scale_(model)
        set_gamma(model, 0.3)
    assert all(b.attn.fused_attn for b in fused.blocks)
    assert not any(b.attn.fused_attn for b in plain.blocks)
    x = torch.randn(1, 3, 60, 90)
    with torch.no_grad():
        for a, b in zip(fused.eval()(x), plain.eval()(x)):
            assert torch.allclose(a, b, atol=1e-5)


# --- frozen, trainable, train mode ----------------------------------------------------
def test_stock_frozen_and_unchanged_while_adapter_pyramid_and_head_learn():
    torch.manual_seed(0)
    model = build_segmentor(Config.fromfile(f'{MODELS}/uvpt_daformer_vit-tiny.py').model)
    model.init_weights()
    randomise_layer_scale_(model.backbone)
    set_gamma(model.backbone, 0.5)
    model.train()
    stock = {n: p.detach().clone() for n, p in model.backbone.named_parameters()
             if not n.startswith(TRAINABLE)}
    assert stock and not any(p.requires_grad for n, p in model.backbone.named_parameters()
                             if n in stock)
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert any(n.startswith('backbone.pyramid.') for n in trainable)
    assert any(n.startswith('backbone.prompt_adapter.') for n in trainable)
    assert any(n.startswith('decode_head.') for n in trainable)
    assert all(n.startswith(('backbone.prompt_adapter.', 'backbone.pyramid.',
                             'decode_head.', 'pred_mix_logits', 'prompt_mix_logits'))
               for n in trainable)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    img = torch.randn(1, 3, 70, 84)
    label = torch.randint(0, 19, (1, 1, 70, 84))
    metas = [dict(img_shape=(70, 84, 3), ori_shape=(70, 84, 3), pad_shape=(70, 84, 3),
                  flip=False)]
    for _ in range(2):  # the 2nd step: offsets and attention weights have moved
        optim.zero_grad()
        losses = model.forward_train(img, metas, label)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optim.step()
    for n, p in model.backbone.named_parameters():
        if n in stock:
            assert p.grad is None and torch.equal(p, stock[n]), n
    no_grad = [n for n, p in trainable.items()
               if n not in ('pred_mix_logits', 'prompt_mix_logits')
               and (p.grad is None or p.grad.abs().sum() == 0)]
    assert no_grad == []


def test_frozen_drop_path_switch_and_pyramid_follows_train():
    x = torch.randn(1, 3, 56, 56)
    for frozen_drop_path in (True, False):
        model = build(drop_path_rate=0.5, frozen_drop_path=frozen_drop_path)
        randomise_layer_scale_(model)
        set_gamma(model, 0.)
        model.train()
        model.train()
        drop_paths = [m for _, child in model.stock_children() for m in child.modules()
                      if isinstance(m, DropPath)]
        assert len(drop_paths) == 6   # 2 per block; block 0's rate is 0
        assert all(m.training == frozen_drop_path for m in drop_paths)
        assert all(m.training for m in model.prompt_adapter.modules())
        assert all(m.training for m in model.pyramid.modules())
        with torch.no_grad():
            first, second = model(x)[-1], model(x)[-1]
            deterministic = model.eval()(x)[-1]
        if frozen_drop_path:
            assert not torch.allclose(first, second)
        else:
            assert torch.allclose(first, second) and torch.allclose(first, deterministic)


def test_checkpointed_blocks_match():
    plain = build()
    ckpt = build(with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    for model in (plain, ckpt):
        randomise_layer_scale_(model)
        set_gamma(model, 0.3)
    x = torch.randn(1, 3, 56, 70)
    results = []
    with mock.patch.object(cp, 'checkpoint', wraps=cp.checkpoint) as spy:
        for model in (plain, ckpt):
            calls = spy.call_count
            outs = model.train()(x)
            sum(o.square().mean() for o in outs).backward()
            trained = [p.grad for n, p in model.named_parameters() if p.requires_grad]
            results.append((outs, trained, spy.call_count - calls))
    (o0, g0, n0), (o1, g1, n1) = results
    assert n0 == 0 and n1 == 4  # every frozen block, only when asked
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(o0, o1))
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(g0, g1))


def test_source_model_has_no_adapter_and_baselines_leave_the_pyramid_trainable():
    model = build(with_prompt_adapter=False, prompt_cfg=None)
    assert model.prompt_adapter is None
    assert all(p.requires_grad for p in model.pyramid.parameters())
    assert not any(p.requires_grad for n, p in model.named_parameters()
                   if not n.startswith('pyramid.'))
    model = build()
    set_backbone_tuning(model, 'bitfit')
    assert all(p.requires_grad for p in model.pyramid.parameters())
    assert model.blocks[0].norm1.weight.requires_grad
    assert not model.blocks[0].attn.qkv.weight.requires_grad
    with pytest.raises(ValueError, match='single_grid'):
        build(prompt_cfg=dict(VIT_TINY_PROMPT['prompt_cfg'], single_grid=False))
    with pytest.raises(ValueError, match='sets num_classes'):
        build(num_classes=10)


# --- the adapter on one grid and the pyramid --------------------------------------------
def test_single_grid_adapter_hands_prompts_over_unchanged():
    adapter = build().prompt_adapter
    assert adapter.single_grid and len(adapter.handovers) == 0
    assert adapter.generator.strides == (8, 16, 32)
    tokens, shapes = adapter.generate(torch.randn(1, 3, 518, 266))
    assert shapes == [(65, 34), (33, 17), (17, 9)]   # 1/8, 1/16, 1/32 (ceil)
    assert adapter.hand_over(0, tokens, shapes) == (tokens, shapes)
    # ViT-Adapter's spatial prior module: conv2..conv4 give the levels
    assert [p.in_channels for p in adapter.generator.projs] == [32, 64, 64]
    # the hierarchical default keeps its modules and keys
    default = PromptGenerator(24, inplanes=8)
    assert not hasattr(default, 'conv4')
    assert sorted({k.split('.')[0] for k in default.state_dict()}) == \
        ['conv2', 'conv3', 'level_embed', 'projs', 'stem']
    with pytest.raises(ValueError, match='prompt_strides'):
        PromptGenerator(24, strides=(4, 8, 32))
    with pytest.raises(ValueError, match='single_grid'):
        PromptAdapter([32, 64, 64, 64], single_grid=True)


def test_pyramid_maps_sit_on_the_image_grid():
    # a map whose value is the x (y) pixel centre of its cells: bilinear sampling
    # reproduces a linear function, so the output must hold its own cell centres
    cell, stride, image = 3.5, 4, (50, 100)
    grid_h, grid_w = 4 * 4, 4 * 8   # 4x the token grid of a 56x112 padded image
    xs = (torch.arange(grid_w) + 0.5) * cell
    ys = (torch.arange(grid_h) + 0.5) * cell
    feat = torch.stack([xs.expand(grid_h, -1), ys[:, None].expand(-1, grid_w)])[None]
    out = resample_to_stride(feat, (cell, cell), stride, image)
    assert out.shape == (1, 2, 13, 25)   # ceil(50/4), ceil(100/4)
    expect_x = (torch.arange(25) + 0.5) * stride
    expect_y = (torch.arange(13) + 0.5) * stride
    assert torch.allclose(out[0, 0, 0], expect_x, atol=1e-4)
    assert torch.allclose(out[0, 1, :, 0], expect_y, atol=1e-4)
    # patch 16 on a multiple of 16: the maps are the grid already
    same = torch.randn(1, 2, 4, 6)
    assert resample_to_stride(same, (16, 16), 16, (64, 96)) is same


@pytest.mark.parametrize('size', [(512, 512), (512, 1024)])
def test_crop_and_whole_image_run(size):
    torch.manual_seed(0)
    model = build_segmentor(Config.fromfile(f'{MODELS}/uvpt_daformer_vit-tiny.py').model)
    model.init_weights()
    model.eval()
    img = torch.randn(1, 3, *size)
    meta = [dict(img_shape=(*size, 3), ori_shape=(*size, 3), pad_shape=(*size, 3),
                 flip=False)]
    with torch.no_grad():
        feats = model.backbone(img)
        logits = model.encode_decode(img, meta)
    assert [tuple(f.shape[-2:]) for f in feats] == [
        (size[0] // s, size[1] // s) for s in (4, 8, 16, 32)]
    assert logits.shape == (1, 19, *size) and torch.isfinite(logits).all()


# --- checkpoints ------------------------------------------------------------------------
def test_timm_state_dict_loads_and_gives_timms_features(tmp_path):
    ref = tiny_timm_model().eval()
    randomise_layer_scale_(ref)
    model = build()
    missing, unexpected = model.load_state_dict(ref.state_dict(), strict=False)
    assert unexpected == [] and missing and all(k.startswith(TRAINABLE) for k in missing)

    torch.save(ref.state_dict(), tmp_path / 'timm.pth')
    save_file(ref.state_dict(), str(tmp_path / 'model.safetensors'))
    x = torch.randn(1, 3, 60, 90)
    with torch.no_grad():
        expected = timm_groups(ref, x)
    for path in (tmp_path / 'timm.pth', tmp_path / 'model.safetensors'):
        model = build(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
        for k, v in ref.state_dict().items():
            assert torch.equal(model.state_dict()[k], v), k
        attn = model.prompt_adapter.interactors[1].extractor.attn
        assert attn.sampling_offsets.weight.abs().sum() == 0   # the adapter's own init
        with torch.no_grad():
            for g, e in zip(model.eval().forward_groups(x), expected):
                assert torch.allclose(g, e, atol=1e-5)


@pytest.mark.parametrize('regs', [False, True])
def test_official_dinov2_layout_loads_through_timms_filter(regs, tmp_path):
    extra = REG4 if regs else {}
    torch.manual_seed(3)
    ref = VisionTransformer(**vit_kwargs({**VIT_TINY_PROMPT, **extra}))
    state = {k: v.clone() for k, v in ref.state_dict().items()}
    # the facebookresearch/dinov2 layout: a mask token; with registers, the class
    # token's position embedding inside pos_embed and the registers by their name
    state['mask_token'] = torch.zeros(1, 64)
    if regs:
        cls_pos = torch.randn(1, 1, 64)
        state['pos_embed'] = torch.cat([cls_pos, state['pos_embed']], 1)
        state['cls_token'] = state['cls_token'] - cls_pos
        state['register_tokens'] = state.pop('reg_token')
    torch.save(state, tmp_path / 'dinov2.pth')
    model = build(pretrained=str(tmp_path / 'dinov2.pth'), **extra)
    for k, v in ref.state_dict().items():
        assert torch.allclose(model.state_dict()[k], v, atol=1e-6), k


def test_position_embedding_of_another_grid_is_resampled_by_timm(tmp_path):
    big = VisionTransformer(**vit_kwargs({**VIT_TINY_PROMPT, 'img_size': 518}))
    torch.save(big.state_dict(), tmp_path / 'vit518.pth')
    model = build(pretrained=str(tmp_path / 'vit518.pth'))
    assert big.pos_embed.shape == (1, 1 + 37 * 37, 64)
    assert model.pos_embed.shape == (1, 1 + 16 * 16, 64)
    assert torch.equal(model.blocks[2].mlp.fc1.weight, big.blocks[2].mlp.fc1.weight)


def test_checkpoints_that_do_not_fit_are_refused_naming_the_file(tmp_path):
    wide = VisionTransformer(**vit_kwargs({**VIT_TINY_PROMPT, 'embed_dim': 96}))
    ref = tiny_timm_model()
    cases = {
        'wide.pth': (wide.state_dict(), 'with another shape'),
        'no_norm.pth': ({k: v for k, v in ref.state_dict().items()
                         if k != 'norm.weight'}, 'missing .*norm.weight'),
        'with_head.pth': ({**ref.state_dict(), 'head.weight': torch.zeros(10, 64)},
                          'unexpected .*head.weight'),
        'regs.pth': ({**ref.state_dict(), 'reg_token': torch.zeros(1, 4, 64)},
                     'unexpected .*reg_token'),
    }
    for name, (state, what) in cases.items():
        path = tmp_path / name
        torch.save(state, path)
        model = build()
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with pytest.raises(CheckpointError, match=re.escape(str(path)) + '.*' + what):
            model.init_cfg = dict(type='Pretrained', checkpoint=str(path))
            model.init_weights()
        assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()
                   if not k.startswith(TRAINABLE))
    with pytest.raises(CheckpointError, match='missing.pth does not exist'):
        build(pretrained=str(tmp_path / 'missing.pth'))
    (tmp_path / 'bad.safetensors').write_bytes(b'not a safetensors file')
    with pytest.raises(CheckpointError, match='bad.safetensors cannot be read'):
        build(pretrained=str(tmp_path / 'bad.safetensors'))


def test_source_checkpoint_then_prompt_only_round_trip(tmp_path):
    source_cfg = Config.fromfile(f'{MODELS}/daformer_vit-tiny.py').model
    torch.manual_seed(0)
    source = build_segmentor(source_cfg)
    source.init_weights()
    randomise_layer_scale_(source.backbone)
    source_path = str(tmp_path / 'source.pth')
    torch.save(dict(state_dict=source.state_dict(), meta=dict()), source_path)

    adapt_cfg = Config.fromfile(f'{MODELS}/uvpt_daformer_vit-tiny.py').model
    model = build_segmentor(copy.deepcopy(adapt_cfg))
    report = load_source_checkpoint(model, source_path)
    # the pyramid comes from the source model (like the head); only the adapter and
    # the mixture logits are fresh
    assert any(k.startswith('backbone.pyramid.') for k in report['loaded'])
    assert report['fresh'] and all(is_fresh_key(k) for k in report['fresh'])
    # train the trainable part a little
    set_gamma(model.backbone, 0.5)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.requires_grad:
                p.add_(0.01 * torch.randn_like(p))
    hashes = FrozenHashCache().hashes(model)
    kept, record = split_prompt_only(model.state_dict(), hashes, source_path)
    assert set(hashes) == {f'backbone.{k}' for k in stock_state(model.backbone)}
    assert any(k.startswith('backbone.pyramid.') for k in kept)
    path = str(tmp_path / 'iter_1.pth')
    atomic_save({'state_dict': kept, PROMPT_ONLY_KEY: record, 'meta': {}}, path)

    fresh = build_segmentor(copy.deepcopy(adapt_cfg))
    load_model_checkpoint(fresh, path)
    img = torch.randn(1, 3, 70, 98)
    meta = [dict(img_shape=(70, 98, 3), ori_shape=(70, 98, 3), pad_shape=(70, 98, 3),
                 flip=False)]
    model.eval()
    fresh.eval()
    with torch.no_grad():
        assert torch.equal(model.encode_decode(img, meta), fresh.encode_decode(img, meta))


# --- the segmentor ----------------------------------------------------------------------
def test_uvpt_segmentor_train_step_with_the_vit():
    torch.manual_seed(0)
    cfg = Config.fromfile(f'{MODELS}/uvpt_daformer_vit-tiny.py').model
    model = build_segmentor(cfg)
    model.init_weights()
    model.train()
    assert model.prompt_mix_logits.shape == (4, 3)
    size = (70, 84)
    metas = [dict(img_shape=(*size, 3), ori_shape=(*size, 3), pad_shape=(*size, 3),
                  flip=False, ori_filename=f'{i}.png') for i in range(2)]
    batch = dict(img=torch.randn(2, 3, *size), img_metas=metas,
                 gt_semantic_seg=torch.randint(0, 19, (2, 1, *size)))
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    out = model.train_step(batch, optim)
    assert {'loss_pred_consistency', 'loss_prompt_consistency'} <= set(out['log_vars'])
    assert all(torch.isfinite(torch.as_tensor(v)) for v in out['log_vars'].values())
    assert torch.isfinite(out['loss'])
    out['loss'].backward()
    assert out['correction']['pred'].shape == (2, *size)


def test_bf16_autocast_on_cpu():
    model = build().eval()
    randomise_layer_scale_(model)
    set_gamma(model, 0.3)
    x = torch.randn(1, 3, 60, 90)
    with torch.no_grad():
        ref = model(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            bf16 = model(x)
    for a, b in zip(bf16, ref):
        assert a.shape == b.shape
        assert ((a.float() - b).norm() / b.norm()).item() < 5e-2


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_gpu_kernel_and_bf16_paths():
    from mmseg_uvpt.ops import cuda_kernel_available
    x = torch.randn(2, 3, 60, 90, device='cuda')
    results = []
    impls = ['pytorch'] + (['cuda'] if cuda_kernel_available() else [])
    for impl in impls:
        model = build(prompt_cfg=dict(VIT_TINY_PROMPT['prompt_cfg'], attn_impl=impl))
        randomise_layer_scale_(model)
        set_gamma(model, 0.3)
        model.cuda().train()
        outs = model(x)
        sum(o.square().mean() for o in outs).backward()
        results.append((outs, [p.grad for p in model.parameters() if p.requires_grad]))
        with torch.autocast('cuda', dtype=torch.bfloat16):
            bf16 = model(x)
        for a, b in zip(bf16, outs):
            assert ((a.float() - b).norm() / b.norm()).item() < 5e-2
    if len(results) == 2:
        (o0, g0), (o1, g1) = results
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(o0, o1))
        assert all(torch.allclose(a, b, rtol=1e-3, atol=1e-6) for a, b in zip(g0, g1))


def test_fit_messages_name_the_vit():
    from mmseg_uvpt.checkpoints.fit import backbone_of, fit_error
    vit = {f'backbone.{k}': v for k, v in build(with_prompt_adapter=False,
                                                prompt_cfg=None).state_dict().items()}
    assert backbone_of(vit) == 'ViT (embed dims 64)'
    swin = {'backbone.patch_embed.projection.weight': torch.zeros(128, 3, 4, 4)}
    assert 'use a config whose backbone is ViT (embed dims 64)' in str(
        fit_error('vit_source.pth', vit, swin))
