"""Official Microsoft Swin Transformer ImageNet weights -> mmseg ``SwinTransformer``.

Usage: ``python tools/model_converters/swin2mmseg.py SRC DST [--allow-unmapped]``

Mapping (official -> mmseg):

==========================================  ===========================================
``patch_embed.proj.*``                      ``patch_embed.projection.*``
``patch_embed.norm.*``, ``absolute_pos_embed``  unchanged
``layers.i.blocks.j.norm1/norm2.*``         ``stages.i.blocks.j.norm1/norm2.*``
``layers.i.blocks.j.attn.qkv/proj.*``       ``stages.i.blocks.j.attn.w_msa.qkv/proj.*``
``layers.i.blocks.j.attn.relative_position_{bias_table,index}``
                                            ``stages.i.blocks.j.attn.w_msa.…``
``layers.i.blocks.j.mlp.fc1.*``             ``stages.i.blocks.j.ffn.layers.0.0.*``
``layers.i.blocks.j.mlp.fc2.*``             ``stages.i.blocks.j.ffn.layers.1.*``
``layers.i.downsample.reduction.weight``    ``stages.i.downsample.reduction.weight``,
``layers.i.downsample.norm.*``              ``stages.i.downsample.norm.*``, input
                                            channels reordered (see below)
``norm.*`` (after the last stage)           ``norm3.*`` (mmseg's last output norm)
``layers.i.blocks.j.attn_mask``             dropped: mmseg builds the shift mask per input
``head.*``                                  dropped: the ImageNet classifier
==========================================  ===========================================

Patch merging: the official code concatenates the 2x2 neighbours as blocks
``[x(0,0), x(1,0), x(0,1), x(1,1)]`` (row, column offsets) of C channels each; mmseg's
``nn.Unfold`` orders the same 4C inputs channel-major, ``c * 4 + (2 * row + col)``.
The reduction's input columns and the norm's parameters are permuted accordingly.
mmseg's intermediate output norms ``norm0..norm2`` have no ImageNet counterpart and
keep their initialisation.
"""
import sys

import torch

from mmseg_uvpt.checkpoints.source_mapping import KeyRule, converter_main, map_state_dict

# official block index of each 2x2 neighbour in unfold order (0,0), (0,1), (1,0), (1,1)
_OFFICIAL_BLOCK_OF_UNFOLD = (0, 2, 1, 3)


def unfold_order(channels):
    """Index into the official 4C merged channels for each mmseg (unfold) channel."""
    return torch.tensor([_OFFICIAL_BLOCK_OF_UNFOLD[pos] * channels + c
                         for c in range(channels) for pos in range(4)])


def _reorder_merged(value):
    """Reduction weight [out, 4C] (permute columns) or norm vector [4C]."""
    order = unfold_order(value.shape[-1] // 4)
    return value[..., order]


def swin_rules(last_stage):
    """Rename rules for official Swin keys; the final ``norm`` goes to ``norm{last}``."""
    block = r'layers\.(\d+)\.blocks\.(\d+)\.'
    to_block = r'stages.\1.blocks.\2.'
    return [
        KeyRule(r'patch_embed\.proj\.', 'patch_embed.projection.'),
        KeyRule(r'(patch_embed\.norm\.|absolute_pos_embed$)', r'\1'),
        KeyRule(block + r'(norm1|norm2)\.', to_block + r'\3.'),
        KeyRule(block + r'attn\.(qkv|proj)\.', to_block + r'attn.w_msa.\3.'),
        KeyRule(block + r'attn\.(relative_position_(?:bias_table|index))$',
                to_block + r'attn.w_msa.\3'),
        KeyRule(block + r'mlp\.fc1\.', to_block + 'ffn.layers.0.0.'),
        KeyRule(block + r'mlp\.fc2\.', to_block + 'ffn.layers.1.'),
        KeyRule(r'layers\.(\d+)\.downsample\.(reduction\.weight|norm\.weight|norm\.bias)$',
                r'stages.\1.downsample.\2', _reorder_merged),
        KeyRule(r'norm\.', f'norm{last_stage}.'),
    ]


SWIN_DROPS = [
    (r'layers\.\d+\.blocks\.\d+\.attn_mask$', 'shift mask, rebuilt by mmseg per input'),
    (r'head\.', 'ImageNet classifier'),
]


def convert_swin(state):
    """Official Swin state dict -> ``(mmseg state dict, dropped, unmapped)``."""
    stages = [int(k.split('.')[1]) for k in state if k.startswith('layers.')]
    last_stage = max(stages) if stages else 3
    return map_state_dict(state, swin_rules(last_stage), SWIN_DROPS)


def main(argv=None):
    return converter_main(argv, convert_swin,
                          'Convert official Swin ImageNet weights to mmseg key names.')


if __name__ == '__main__':
    sys.exit(main())
