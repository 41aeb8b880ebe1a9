"""Model converters: synthetic state dicts in the official formats (built from tiny
stock models by independent inverse helpers below) convert to dicts that load with no
missing/unexpected keys and give the same outputs; module-level checks against the
official computations for the re-ordered tensors."""
import importlib.util
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmcv import Config
from mmcv.cnn.bricks.transformer import PatchMerging
from mmseg.models import build_backbone, build_segmentor
from mmseg.models.backbones.mit import EfficientMultiheadAttention, MixFFN

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.checkpoints import CheckpointError, atomic_save, load_checkpoint_file
from mmseg_uvpt.checkpoints.source_mapping import convert_checkpoint_file

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / 'configs/_base_/models'


def tool(name):
    spec = importlib.util.spec_from_file_location(
        name, REPO / 'tools/model_converters' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stock_backbone(kind):
    torch.manual_seed(0)
    cfg = Config.fromfile(MODELS / f'daformer_{kind}-tiny.py').model.backbone
    model = build_backbone(cfg)
    model.init_weights()
    # random norms, so that a mixed-up norm would show in the outputs
    for name, p in model.named_parameters():
        if 'norm' in name:
            p.data.normal_()
    model.eval()   # mmseg's Swin train() returns None, so no chaining
    return model


def rename(key, table):
    for pattern, repl in table:
        key, n = re.subn(pattern, repl, key)
        if n:
            return key
    return key


# ------------------------------------------------------------------ Swin
def official_merge_order(channels):
    """Inverse of mmseg's unfold order, from the definitions: official block of the
    neighbour (row dh, col dw) is dh + 2·dw; mmseg's unfold channel is c·4 + 2·dh + dw."""
    src = torch.empty(4 * channels, dtype=torch.long)
    for c in range(channels):
        for dh in (0, 1):
            for dw in (0, 1):
                src[(dh + 2 * dw) * channels + c] = c * 4 + 2 * dh + dw
    return src   # official channel k takes mmseg channel src[k]


def official_relative_position_index(window):
    coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window),
                                        indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
    return rel[..., 0] * (2 * window - 1) + rel[..., 1]


SWIN_TO_OFFICIAL = [
    (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
    (r'^stages\.(\d+)\.blocks\.(\d+)\.attn\.w_msa\.', r'layers.\1.blocks.\2.attn.'),
    (r'^stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.0\.0\.', r'layers.\1.blocks.\2.mlp.fc1.'),
    (r'^stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.1\.', r'layers.\1.blocks.\2.mlp.fc2.'),
    (r'^stages\.', 'layers.'),
    (r'^norm3\.', 'norm.'),
]


def swin_to_official(state, window=7):
    official = {}
    for key, value in state.items():
        if re.match(r'norm[012]\.', key):
            continue   # mmseg's extra output norms: no ImageNet counterpart
        if 'downsample' in key:
            value = value[..., official_merge_order(value.shape[-1] // 4)]
        if key.endswith('relative_position_index'):
            value = official_relative_position_index(window)
        official[rename(key, SWIN_TO_OFFICIAL)] = value
    official['layers.0.blocks.1.attn_mask'] = torch.zeros(4, 49, 49)
    official['head.weight'], official['head.bias'] = torch.randn(10, 256), torch.zeros(10)
    return official


def test_swin_round_trip_loads_and_matches():
    stock = stock_backbone('swin')
    converted, dropped, unmapped = tool('swin2mmseg').convert_swin(
        swin_to_official(stock.state_dict()))
    assert unmapped == []
    assert set(dropped) == {'head.weight', 'head.bias', 'layers.0.blocks.1.attn_mask'}
    fresh = stock_backbone('swin')
    for p in fresh.parameters():
        p.data.zero_()
    result = fresh.load_state_dict(converted, strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == sorted(
        f'norm{i}.{p}' for i in range(3) for p in ('weight', 'bias'))
    for key in result.missing_keys:
        fresh.state_dict()[key].copy_(stock.state_dict()[key])
    x = torch.randn(1, 3, 56, 72)
    with torch.no_grad():
        for a, b in zip(stock(x), fresh(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_swin_patch_merging_matches_official_concat_order():
    torch.manual_seed(0)
    C, H, W = 8, 6, 4
    w_off, g_off, b_off = torch.randn(2 * C, 4 * C), torch.randn(4 * C), torch.randn(4 * C)
    x = torch.randn(2, H, W, C)
    merged = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2],
                        x[:, 1::2, 1::2]], -1)
    expected = F.linear(F.layer_norm(merged, (4 * C,), g_off, b_off), w_off)
    converted, _, unmapped = tool('swin2mmseg').convert_swin({
        'layers.0.downsample.reduction.weight': w_off,
        'layers.0.downsample.norm.weight': g_off,
        'layers.0.downsample.norm.bias': b_off})
    assert unmapped == []
    merging = PatchMerging(C, 2 * C, norm_cfg=dict(type='LN'))
    merging.load_state_dict({k.split('downsample.')[1]: v for k, v in converted.items()})
    out, shape = merging(x.reshape(2, H * W, C), (H, W))
    assert shape == (H // 2, W // 2)
    torch.testing.assert_close(out.reshape(expected.shape), expected)


# ------------------------------------------------------------------ MiT
MIT_TO_NVIDIA = [
    (r'layers\.(\d)\.0\.projection\.', lambda m: f'patch_embed{int(m[1]) + 1}.proj.'),
    (r'layers\.(\d)\.0\.norm\.', lambda m: f'patch_embed{int(m[1]) + 1}.norm.'),
    (r'layers\.(\d)\.1\.(\d+)\.attn\.attn\.out_proj\.',
     lambda m: f'block{int(m[1]) + 1}.{m[2]}.attn.proj.'),
    (r'layers\.(\d)\.1\.(\d+)\.ffn\.layers\.0\.',
     lambda m: f'block{int(m[1]) + 1}.{m[2]}.mlp.fc1.'),
    (r'layers\.(\d)\.1\.(\d+)\.ffn\.layers\.1\.',
     lambda m: f'block{int(m[1]) + 1}.{m[2]}.mlp.dwconv.dwconv.'),
    (r'layers\.(\d)\.1\.(\d+)\.ffn\.layers\.4\.',
     lambda m: f'block{int(m[1]) + 1}.{m[2]}.mlp.fc2.'),
    (r'layers\.(\d)\.1\.(\d+)\.', lambda m: f'block{int(m[1]) + 1}.{m[2]}.'),
    (r'layers\.(\d)\.2\.', lambda m: f'norm{int(m[1]) + 1}.'),
]


def mit_to_nvidia(state, prefix=''):
    nvidia = {}
    for key, value in state.items():
        if not key.startswith(prefix):
            nvidia[key] = value
            continue
        short = key[len(prefix):]
        match = re.match(r'(.*)attn\.attn\.in_proj_(weight|bias)$', short)
        if match:   # mmseg's in_proj rows are q, k, v; NVIDIA has q and kv=(k, v)
            dims = value.shape[0] // 3
            base = rename(match[1], MIT_TO_NVIDIA)
            nvidia[f'{prefix}{base}attn.q.{match[2]}'] = value[:dims]
            nvidia[f'{prefix}{base}attn.kv.{match[2]}'] = value[dims:]
            continue
        if re.search(r'ffn\.layers\.[04]\.weight$', short):
            value = value[:, :, 0, 0]   # 1x1 conv -> Linear
        nvidia[prefix + rename(short, MIT_TO_NVIDIA)] = value
    return nvidia


def test_mit_round_trip_loads_and_matches():
    stock = stock_backbone('mit')
    nvidia = mit_to_nvidia(stock.state_dict())
    nvidia['head.weight'], nvidia['head.bias'] = torch.randn(10, 128), torch.zeros(10)
    converted, dropped, unmapped = tool('mit2mmseg').convert_mit(nvidia)
    assert unmapped == [] and set(dropped) == {'head.weight', 'head.bias'}
    fresh = stock_backbone('mit')
    fresh.load_state_dict(converted, strict=True)   # no missing, no unexpected
    x = torch.randn(1, 3, 64, 80)
    with torch.no_grad():
        for a, b in zip(stock(x), fresh(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_mit_attention_and_ffn_match_official_computation():
    torch.manual_seed(0)
    C, heads, sr, H, W = 8, 2, 2, 4, 6
    p = {'q.weight': torch.randn(C, C), 'q.bias': torch.randn(C),
         'kv.weight': torch.randn(2 * C, C), 'kv.bias': torch.randn(2 * C),
         'proj.weight': torch.randn(C, C), 'proj.bias': torch.randn(C),
         'sr.weight': torch.randn(C, C, sr, sr), 'sr.bias': torch.randn(C),
         'norm.weight': torch.randn(C), 'norm.bias': torch.randn(C)}
    x = torch.randn(2, H * W, C)
    # NVIDIA's attention: q from x, k/v from the spatially reduced, normalised x
    q = F.linear(x, p['q.weight'], p['q.bias']).reshape(2, -1, heads, C // heads)
    x_ = F.conv2d(x.transpose(1, 2).reshape(2, C, H, W), p['sr.weight'], p['sr.bias'],
                  stride=sr).flatten(2).transpose(1, 2)
    x_ = F.layer_norm(x_, (C,), p['norm.weight'], p['norm.bias'], eps=1e-6)
    k, v = F.linear(x_, p['kv.weight'], p['kv.bias']).reshape(
        2, -1, 2, heads, C // heads).permute(2, 0, 3, 1, 4)
    attn = (q.transpose(1, 2) @ k.transpose(-2, -1) * (C // heads) ** -0.5).softmax(-1)
    expected = x + F.linear((attn @ v).transpose(1, 2).reshape(2, -1, C),
                            p['proj.weight'], p['proj.bias'])
    nvidia = {f'block1.0.attn.{k}': v for k, v in p.items()}
    ffn = {'fc1.weight': torch.randn(4 * C, C), 'fc1.bias': torch.randn(4 * C),
           'dwconv.dwconv.weight': torch.randn(4 * C, 1, 3, 3),
           'dwconv.dwconv.bias': torch.randn(4 * C),
           'fc2.weight': torch.randn(C, 4 * C), 'fc2.bias': torch.randn(C)}
    nvidia.update({f'block1.0.mlp.{k}': v for k, v in ffn.items()})
    converted, _, unmapped = tool('mit2mmseg').convert_mit(nvidia)
    assert unmapped == []

    module = EfficientMultiheadAttention(C, heads, sr_ratio=sr, qkv_bias=True,
                                         norm_cfg=dict(type='LN', eps=1e-6)).eval()
    module.load_state_dict({k.split('.attn.', 1)[1]: v for k, v in converted.items()
                            if '.attn.' in k})
    torch.testing.assert_close(module(x, (H, W)), expected, rtol=1e-5, atol=1e-5)

    hidden = F.linear(x, ffn['fc1.weight'], ffn['fc1.bias']).transpose(1, 2)
    hidden = F.conv2d(hidden.reshape(2, 4 * C, H, W), ffn['dwconv.dwconv.weight'],
                      ffn['dwconv.dwconv.bias'], padding=1, groups=4 * C)
    expected_ffn = x + F.linear(F.gelu(hidden.flatten(2).transpose(1, 2)),
                                ffn['fc2.weight'], ffn['fc2.bias'])
    mix_ffn = MixFFN(C, 4 * C).eval()
    mix_ffn.load_state_dict({k.split('.ffn.', 1)[1]: v for k, v in converted.items()
                             if '.ffn.' in k})
    torch.testing.assert_close(mix_ffn(x, (H, W)), expected_ffn, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------- release
PROJECT_TO_RELEASE = [
    (r'backbone\.prompt_adapter\.generator\.stem\.(\d)\.conv\.',
     lambda m: f'backbone.spm.stem.{3 * int(m[1])}.'),
    (r'backbone\.prompt_adapter\.generator\.stem\.(\d)\.bn\.',
     lambda m: f'backbone.spm.stem.{3 * int(m[1]) + 1}.'),
    (r'backbone\.prompt_adapter\.generator\.(conv\d)\.conv\.', r'backbone.spm.\1.0.'),
    (r'backbone\.prompt_adapter\.generator\.(conv\d)\.bn\.', r'backbone.spm.\1.1.'),
    (r'backbone\.prompt_adapter\.generator\.projs\.(\d)\.',
     lambda m: f'backbone.spm.fc{int(m[1]) + 1}.'),
    (r'backbone\.prompt_adapter\.generator\.level_embed', 'backbone.level_embed'),
    (r'backbone\.prompt_adapter\.interactors\.(\d)\.extractor\.ffn\.dwconv\.',
     r'backbone.interactions.\1.extractor.ffn.dwconv.dwconv.'),
    (r'backbone\.prompt_adapter\.interactors\.', 'backbone.interactions.'),
    (r'backbone\.prompt_adapter\.handovers\.(\d)\.convs\.(\d)\.',
     lambda m: f'backbone.interactions.{m[1]}.up_layer{int(m[2]) + 1}.'),
    (r'^pred_mix_logits$', 'weight'),
]


def uvpt_model(kind):
    torch.manual_seed(0)
    cfg = Config.fromfile(MODELS / f'uvpt_daformer_{kind}-tiny.py')
    cfg.model.backbone.prompt_cfg.prompt_handover = 'input'   # as the release
    cfg.model.backbone.prompt_cfg.level_embed = kind == 'swin'  # MiT-B5: not used
    model = build_segmentor(cfg.model)
    model.init_weights()
    for p in model.parameters():   # every tensor distinct, so a swap would show
        p.data.normal_()
    return model.eval()


def to_release(state, kind):
    release = {rename(k, PROJECT_TO_RELEASE): v for k, v in state.items()
               if k != 'prompt_mix_logits'}   # the release never saved these
    if kind == 'mit':
        release = mit_to_nvidia(release, prefix='backbone.')
    release['backbone.spm.conv4.0.weight'] = torch.randn(64, 64, 3, 3)
    release['backbone.spm.conv4.1.running_mean'] = torch.zeros(64)
    release['decode_head_aug5.conv_seg.weight'] = torch.randn(19, 64, 1, 1)
    if kind == 'mit':   # saved by the release's MiT-B5, never used
        release['backbone.level_embed'] = torch.randn(3, 16)
    return release


@pytest.mark.parametrize('kind', ['swin', 'mit'])
def test_release_round_trip_loads_and_matches(kind):
    model = uvpt_model(kind)
    converted, dropped, unmapped = tool('uvpt_release2mmseg').convert_release(
        to_release(model.state_dict(), kind))
    assert unmapped == []
    assert set(dropped) == {'backbone.spm.conv4.0.weight',
                            'backbone.spm.conv4.1.running_mean',
                            'decode_head_aug5.conv_seg.weight'} | (
        {'backbone.level_embed'} if kind == 'mit' else set())
    # the release never saved its prompt mixture weights: equal ones are written
    assert torch.equal(converted['prompt_mix_logits'], torch.zeros(4, 3))
    fresh = uvpt_model(kind)
    for p in fresh.parameters():
        p.data.zero_()
    fresh.load_state_dict(converted, strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(fresh.encode_decode(x, None),
                                   model.encode_decode(x, None), rtol=0, atol=0)


def test_unmapped_keys_are_listed_and_block_the_write(tmp_path, capsys):
    release = tool('uvpt_release2mmseg')
    src, dst = tmp_path / 'release.pth', tmp_path / 'out.pth'
    state = {'decode_head.conv_seg.weight': torch.zeros(3, 4, 1, 1),
             'backbone.mystery.weight': torch.zeros(2)}
    atomic_save(dict(state_dict=state, meta=dict(iter=1)), src)
    assert release.main([str(src), str(dst)]) == 1
    assert 'backbone.mystery.weight' in capsys.readouterr().out
    assert not dst.exists()
    with pytest.raises(CheckpointError, match='backbone.mystery.weight'):
        convert_checkpoint_file(src, dst, release.convert_release)
    assert release.main([str(src), str(dst), '--allow-unmapped']) == 0
    saved = load_checkpoint_file(dst)
    assert list(saved['state_dict']) == ['decode_head.conv_seg.weight']
    assert saved['meta']['converted_from'] == 'release.pth'
