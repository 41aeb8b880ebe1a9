"""NVIDIA SegFormer MiT (mit_b0..b5) ImageNet weights -> mmseg ``MixVisionTransformer``.

Usage: ``python tools/model_converters/mit2mmseg.py SRC DST [--allow-unmapped]``

Mapping (NVIDIA -> mmseg), stage s = 1..4 becoming ``layers.{s-1}``:

========================================  ============================================
``patch_embed{s}.proj.*``                 ``layers.{s-1}.0.projection.*``
``patch_embed{s}.norm.*``                 ``layers.{s-1}.0.norm.*``
``block{s}.j.norm1/norm2.*``              ``layers.{s-1}.1.j.norm1/norm2.*``
``block{s}.j.attn.q.*`` + ``attn.kv.*``   ``layers.{s-1}.1.j.attn.attn.in_proj_*``
                                          (rows: q, then k and v as in ``kv``)
``block{s}.j.attn.proj.*``                ``layers.{s-1}.1.j.attn.attn.out_proj.*``
``block{s}.j.attn.sr/norm.*``             ``layers.{s-1}.1.j.attn.sr/norm.*``
``block{s}.j.mlp.fc1.*``                  ``layers.{s-1}.1.j.ffn.layers.0.*`` (1x1 conv)
``block{s}.j.mlp.dwconv.dwconv.*``        ``layers.{s-1}.1.j.ffn.layers.1.*``
``block{s}.j.mlp.fc2.*``                  ``layers.{s-1}.1.j.ffn.layers.4.*`` (1x1 conv)
``norm{s}.*``                             ``layers.{s-1}.2.*``
``head.*``                                dropped: the ImageNet classifier
========================================  ============================================

NVIDIA's patch-embed and spatial-reduction LayerNorms use eps 1e-5, mmseg's 1e-6:
the converted model differs from the original by that epsilon only.
``mit_rules``/``merge_q_kv`` are reused by ``uvpt_release2mmseg.py`` under a prefix.
"""
import re
import sys
from collections import OrderedDict

import torch

from mmseg_uvpt.checkpoints.source_mapping import KeyRule, converter_main, map_state_dict


def _linear_to_conv(value):
    return value.reshape(*value.shape, 1, 1) if value.dim() == 2 else value


def merge_q_kv(state, prefix=''):
    """Replace each ``…attn.q.X`` + ``…attn.kv.X`` pair by ``…attn.qkv.X`` = cat(q, kv),
    in place of the q key. An unpaired q or kv is kept as is (and stays unmapped)."""
    merged = OrderedDict()
    pattern = re.compile(re.escape(prefix) + r'block\d\.\d+\.attn\.(q|kv)\.(weight|bias)$')
    for key, value in state.items():
        match = pattern.match(key)
        if not match:
            merged[key] = value
            continue
        other = key[:match.start(1)] + ('kv' if match.group(1) == 'q' else 'q') + \
            key[match.end(1):]
        if other not in state:
            merged[key] = value
        elif match.group(1) == 'q':
            merged[key[:match.start(1)] + 'qkv' + key[match.end(1):]] = \
                torch.cat([value, state[other]], dim=0)
    return merged


def mit_rules(prefix=''):
    """Rename rules for NVIDIA MiT keys under ``prefix`` (after ``merge_q_kv``)."""
    p = re.escape(prefix)

    def stage(template):
        return lambda m: prefix + template.format(s=int(m.group(1)) - 1,
                                                  j=m.group(2) if m.re.groups > 1 else '')

    block = p + r'block(\d)\.(\d+)\.'
    return [
        KeyRule(p + r'patch_embed(\d)\.proj\.', stage('layers.{s}.0.projection.')),
        KeyRule(p + r'patch_embed(\d)\.norm\.', stage('layers.{s}.0.norm.')),
        KeyRule(block + r'(?=norm1\.|norm2\.)', stage('layers.{s}.1.{j}.')),
        KeyRule(block + r'attn\.qkv\.(?=weight|bias)',
                stage('layers.{s}.1.{j}.attn.attn.in_proj_')),
        KeyRule(block + r'attn\.proj\.', stage('layers.{s}.1.{j}.attn.attn.out_proj.')),
        KeyRule(block + r'attn\.(?=sr\.|norm\.)', stage('layers.{s}.1.{j}.attn.')),
        KeyRule(block + r'mlp\.fc1\.', stage('layers.{s}.1.{j}.ffn.layers.0.'),
                _linear_to_conv),
        KeyRule(block + r'mlp\.dwconv\.dwconv\.', stage('layers.{s}.1.{j}.ffn.layers.1.')),
        KeyRule(block + r'mlp\.fc2\.', stage('layers.{s}.1.{j}.ffn.layers.4.'),
                _linear_to_conv),
        KeyRule(p + r'norm(\d)\.', stage('layers.{s}.2.')),
    ]


MIT_DROPS = [(r'head\.', 'ImageNet classifier')]


def convert_mit(state):
    """NVIDIA MiT state dict -> ``(mmseg state dict, dropped, unmapped)``."""
    return map_state_dict(merge_q_kv(state), mit_rules(), MIT_DROPS)


def main(argv=None):
    return converter_main(argv, convert_mit,
                          'Convert NVIDIA SegFormer MiT weights to mmseg key names.')


if __name__ == '__main__':
    sys.exit(main())
