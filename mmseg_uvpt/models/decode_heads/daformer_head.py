"""DAFormer decode head (Hoyer et al., CVPR 2022), as used by Uni-UVPT
(docs/method.md §3).

Per input level a linear embedding to ``embed_dims`` channels, all levels resized to
the first (1/4) level and concatenated, fused by a depthwise-separable ASPP without
image pooling plus a 3×3 bottleneck, then dropout and the 1×1 classifier ``conv_seg``.

Module names follow DAFormer's release (``embed_layers.{i}.proj``,
``fuse_layer.aspp_modules.{k}``, ``fuse_layer.bottleneck``, ``conv_seg``), so heads
trained by DAFormer-based code bases (the Uni-UVPT release included) load unchanged.
"""
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.builder import HEADS
from mmseg.models.decode_heads.aspp_head import ASPPModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.sep_aspp_head import DepthwiseSeparableASPPModule
from mmseg.ops import resize

_MLP_EMBED = dict(type='mlp', act_cfg=None, norm_cfg=None)


class MLPEmbed(nn.Module):
    """Linear projection of an NCHW map's channels, returned as NCHW.

    A Linear (not a 1×1 conv) keeps DAFormer's ``proj.weight`` of shape [out, in].
    """

    def __init__(self, in_channels, embed_dims):
        super().__init__()
        self.proj = nn.Linear(in_channels, embed_dims)

    def forward(self, x):
        n, _, h, w = x.shape
        x = self.proj(x.flatten(2).transpose(1, 2))
        return x.transpose(1, 2).reshape(n, -1, h, w)


class ASPPFusion(nn.Module):
    """ASPP branches on the concatenated embeddings, then a 3×3 bottleneck.

    Args:
        in_channels (int): channels of the concatenated embeddings.
        channels (int): channels of each branch and of the output.
        dilations (tuple[int]): one branch per dilation; dilation 1 is a 1×1 conv.
        sep (bool): depthwise-separable 3×3 branches (DAFormer's choice).
        norm_cfg (dict), act_cfg (dict): for every ConvModule.
    """

    def __init__(self, in_channels, channels, dilations=(1, 6, 12, 18), sep=True,
                 norm_cfg=None, act_cfg=dict(type='ReLU')):
        super().__init__()
        aspp = DepthwiseSeparableASPPModule if sep else ASPPModule
        self.aspp_modules = aspp(dilations=dilations, in_channels=in_channels,
                                 channels=channels, conv_cfg=None,
                                 norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.bottleneck = ConvModule(len(dilations) * channels, channels, 3,
                                     padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x):
        return self.bottleneck(torch.cat(self.aspp_modules(x), dim=1))


def _build_fusion(in_channels, channels, fusion_cfg):
    cfg = dict(fusion_cfg)
    fusion_type = cfg.pop('type', 'aspp')
    if fusion_type != 'aspp':
        raise ValueError(f"DAFormerHead: fusion_cfg type '{fusion_type}' is not "
                         "supported; only 'aspp' is implemented")
    if cfg.pop('pool', False):
        raise ValueError('DAFormerHead: fusion_cfg pool=True (ASPP image pooling) is '
                         'not supported; DAFormer and Uni-UVPT use pool=False')
    cfg.pop('align_corners', None)  # DAFormer configs carry it; nothing is resized here
    return ASPPFusion(in_channels, channels, **cfg)


@HEADS.register_module()
class DAFormerHead(BaseDecodeHead):
    """DAFormer head: MLP embeddings, depthwise-separable ASPP fusion, classifier.

    Args:
        decoder_params (dict): ``embed_dims`` (int or one per level, default 256),
            ``fusion_cfg`` (dict(type='aspp', sep=True, dilations=(1, 6, 12, 18),
            pool=False, act_cfg=..., norm_cfg=...)), and optionally DAFormer's
            ``embed_cfg``/``embed_neck_cfg``, which must be the MLP embedding
            (dict(type='mlp', act_cfg=None, norm_cfg=None)).
        in_index (Sequence[int]): levels of the backbone output to use.
            Default: (0, 1, 2, 3).
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels``, ``channels``,
            ``num_classes``, ``dropout_ratio``, ``norm_cfg``, ``align_corners``, ...).
            ``input_transform`` is always 'multiple_select'.
    """

    def __init__(self, decoder_params, in_index=(0, 1, 2, 3), **kwargs):
        super().__init__(input_transform='multiple_select', in_index=list(in_index),
                         **kwargs)
        params = dict(decoder_params)
        for key in ('embed_cfg', 'embed_neck_cfg'):
            cfg = params.pop(key, _MLP_EMBED)
            if cfg not in (_MLP_EMBED, 'same_as_embed_cfg'):
                raise ValueError(f'DAFormerHead: decoder_params.{key}={cfg} is not '
                                 f'supported; only {_MLP_EMBED} is implemented')
        embed_dims = params.pop('embed_dims', 256)
        if isinstance(embed_dims, int):
            embed_dims = [embed_dims] * len(self.in_index)
        fusion_cfg = params.pop('fusion_cfg')
        if params:
            raise ValueError(f'DAFormerHead: unknown decoder_params {sorted(params)}')
        self.embed_layers = nn.ModuleDict({
            str(i): MLPEmbed(c, d)
            for i, c, d in zip(self.in_index, self.in_channels, embed_dims)})
        self.fuse_layer = _build_fusion(sum(embed_dims), self.channels, fusion_cfg)

    def forward(self, inputs):
        feats = self._transform_inputs(inputs)
        size = feats[0].shape[2:]
        embeds = []
        for i, feat in zip(self.in_index, feats):
            x = self.embed_layers[str(i)](feat)
            if x.shape[2:] != size:
                x = resize(x, size=size, mode='bilinear',
                           align_corners=self.align_corners)
            embeds.append(x)
        return self.cls_seg(self.fuse_layer(torch.cat(embeds, dim=1)))
