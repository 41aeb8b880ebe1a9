"""DAFormerHead: exact parameter counts, shapes, DAFormer key names, gradients."""
import pytest
import torch
from mmseg.models import build_head

import mmseg_uvpt  # noqa: F401  (registers DAFormerHead)


def daformer_cfg(in_channels, num_classes=19, embed_dims=256, channels=256):
    norm_cfg = dict(type='BN', requires_grad=True)
    return dict(
        type='DAFormerHead', in_channels=in_channels, in_index=[0, 1, 2, 3],
        channels=channels, dropout_ratio=0.1, num_classes=num_classes,
        norm_cfg=norm_cfg, align_corners=False,
        decoder_params=dict(
            embed_dims=embed_dims,
            embed_cfg=dict(type='mlp', act_cfg=None, norm_cfg=None),
            embed_neck_cfg=dict(type='mlp', act_cfg=None, norm_cfg=None),
            fusion_cfg=dict(type='aspp', sep=True, dilations=(1, 6, 12, 18),
                            pool=False, act_cfg=dict(type='ReLU'),
                            norm_cfg=norm_cfg)),
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))


def num_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('in_channels,expected', [
    ([128, 256, 512, 1024], 3_941_651),   # Swin-B
    ([64, 128, 320, 512], 3_712_275),     # MiT-B5
])
def test_param_count_exact(in_channels, expected):
    assert num_params(build_head(daformer_cfg(in_channels))) == expected


def test_param_count_by_hand_small():
    # embeds 4·(8·4+4); ASPP: 1x1 (16·4 + BN 8) + 3·(dw 16·9 + BN 32 + pw 16·4 + BN 8);
    # bottleneck 16·4·9 + BN 8; classifier 4·3 + 3
    head = build_head(daformer_cfg([8, 8, 8, 8], num_classes=3, embed_dims=4,
                                   channels=4))
    expected = 4 * (8 * 4 + 4) + (16 * 4 + 8) + 3 * (16 * 9 + 32 + 16 * 4 + 8) \
        + (16 * 4 * 9 + 8) + (4 * 3 + 3)
    assert num_params(head) == expected


def test_daformer_key_names():
    keys = set(build_head(daformer_cfg([8, 16, 24, 32], 5, 8, 8)).state_dict())
    for key in ['embed_layers.0.proj.weight', 'embed_layers.3.proj.bias',
                'fuse_layer.aspp_modules.0.conv.weight',
                'fuse_layer.aspp_modules.0.bn.running_mean',
                'fuse_layer.aspp_modules.1.depthwise_conv.conv.weight',
                'fuse_layer.aspp_modules.3.pointwise_conv.bn.weight',
                'fuse_layer.bottleneck.conv.weight', 'conv_seg.weight']:
        assert key in keys, key
    assert not any('image_pool' in k for k in keys)


def test_forward_shape_and_gradients():
    torch.manual_seed(0)
    head = build_head(daformer_cfg([8, 16, 24, 32], num_classes=5, embed_dims=8,
                                   channels=8))
    feats = [torch.randn(2, c, 16 // 2**i, 24 // 2**i, requires_grad=True)
             for i, c in enumerate([8, 16, 24, 32])]
    out = head(feats)
    assert out.shape == (2, 5, 16, 24)
    out.square().mean().backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # every level reaches the output
    assert all(f.grad.abs().sum() > 0 for f in feats)


def test_dilations_are_applied():
    head = build_head(daformer_cfg([8, 8, 8, 8], 3, 4, 4))
    branches = list(head.fuse_layer.aspp_modules)  # slicing would rebuild the class
    assert branches[0].conv.kernel_size == (1, 1)
    assert [b.depthwise_conv.conv.dilation for b in branches[1:]] == \
        [(6, 6), (12, 12), (18, 18)]
    assert all(b.depthwise_conv.conv.groups == 16 for b in branches[1:])


def test_bad_fusion_cfg_is_refused():
    cfg = daformer_cfg([8, 8, 8, 8], 3, 4, 4)
    cfg['decoder_params']['fusion_cfg']['pool'] = True
    with pytest.raises(ValueError, match='pool'):
        build_head(cfg)
