"""Checkpoints of the Uni-UVPT reference release -> this project's key names.

Usage: ``python tools/model_converters/uvpt_release2mmseg.py SRC DST [--allow-unmapped]``

Converts the release's source models (standard and Source-GtA) and its adapted models.
The output loads into this project's configs: source models into
``configs/_base_/models/daformer_*.py`` (or as the source checkpoint of an adaptation
run), adapted models into ``uvpt_daformer_*.py`` **with**
``prompt_cfg.prompt_handover='input'``, because the release hands the pre-extractor
prompts to the next stage.

Mapping (release -> project; A = ``backbone.prompt_adapter.``):

==============================================  =======================================
Swin backbone ``backbone.{patch_embed,stages,   unchanged (the release uses mmseg's
norm0..3,absolute_pos_embed}.*``                Swin)
MiT backbone ``backbone.patch_embed{s}/block{s}/ as ``mit2mmseg.py`` under ``backbone.``
norm{s}.*`` (NVIDIA names)
``backbone.spm.stem.{0,3,6}.weight``            ``A generator.stem.{0,1,2}.conv.weight``
``backbone.spm.stem.{1,4,7}.*`` (BN)            ``A generator.stem.{0,1,2}.bn.*``
``backbone.spm.conv{2,3}.0.weight`` / ``.1.*``  ``A generator.conv{2,3}.conv.weight`` /
                                                ``.bn.*``
``backbone.spm.fc{1,2,3}.*``                    ``A generator.projs.{0,1,2}.*``
``backbone.level_embed``                        ``A generator.level_embed``
``backbone.interactions.i.injector.{query_norm, ``A interactors.i.injector.…`` (same
feat_norm,attn.*,gamma}``                       leaf names)
``backbone.interactions.i.extractor.{query_norm, ``A interactors.i.extractor.…``
feat_norm,attn.*,ffn_norm,ffn.fc1,ffn.fc2}``
``backbone.interactions.i.extractor.ffn.dwconv  ``A interactors.i.extractor.ffn.dwconv.*``
.dwconv.*``
``backbone.interactions.i.up_layer{1,2,3}       ``A handovers.i.convs.{0,1,2}.weight``
.weight`` (hand-over convs)
``decode_head.{embed_layers,fuse_layer,         unchanged (same DAFormer head)
conv_seg}.*``
``weight`` (prediction mixture logits)          ``pred_mix_logits``
``backbone.spm.conv4.*``                        dropped: the release's unused fourth
                                                stem conv (DESIGN §3.2)
``decode_head_aug{0..5}.*`` (Source-GtA)        dropped: GtA training heads; the global
                                                head is ``decode_head`` (= aug5)
==============================================  =======================================

The release's per-stage prompt mixture weights were a Python list, never saved:
``prompt_mix_logits`` start at their (equal) initialisation. Every other key is listed
as unmapped and, without ``--allow-unmapped``, nothing is written.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # sibling converters
from mit2mmseg import merge_q_kv, mit_rules  # noqa: E402

from mmseg_uvpt.utils.source_checkpoint import (KeyRule, converter_main,  # noqa: E402
                                                map_state_dict)

A = 'backbone.prompt_adapter.'
_DEFORM_ATTN = r'attn\.(?:sampling_offsets|attention_weights|value_proj|output_proj)'

ADAPTER_RULES = [
    KeyRule(r'backbone\.spm\.stem\.([036])\.weight$',
            lambda m: f'{A}generator.stem.{int(m.group(1)) // 3}.conv.weight'),
    KeyRule(r'backbone\.spm\.stem\.([147])\.',
            lambda m: f'{A}generator.stem.{int(m.group(1)) // 3}.bn.'),
    KeyRule(r'backbone\.spm\.conv([23])\.0\.weight$', A + r'generator.conv\1.conv.weight'),
    KeyRule(r'backbone\.spm\.conv([23])\.1\.', A + r'generator.conv\1.bn.'),
    KeyRule(r'backbone\.spm\.fc([123])\.',
            lambda m: f'{A}generator.projs.{int(m.group(1)) - 1}.'),
    KeyRule(r'backbone\.level_embed$', A + 'generator.level_embed'),
    KeyRule(r'backbone\.interactions\.(\d+)\.injector\.'
            r'(query_norm\.|feat_norm\.|' + _DEFORM_ATTN + r'\.|gamma$)',
            A + r'interactors.\1.injector.\2'),
    KeyRule(r'backbone\.interactions\.(\d+)\.extractor\.'
            r'(query_norm\.|feat_norm\.|ffn_norm\.|ffn\.fc1\.|ffn\.fc2\.|'
            + _DEFORM_ATTN + r'\.)',
            A + r'interactors.\1.extractor.\2'),
    KeyRule(r'backbone\.interactions\.(\d+)\.extractor\.ffn\.dwconv\.dwconv\.',
            A + r'interactors.\1.extractor.ffn.dwconv.'),
    KeyRule(r'backbone\.interactions\.(\d+)\.up_layer([123])\.weight$',
            lambda m: f'{A}handovers.{m.group(1)}.convs.{int(m.group(2)) - 1}.weight'),
]
SWIN_BACKBONE_RULES = [
    KeyRule(r'backbone\.(patch_embed\.|stages\.|norm\d\.|absolute_pos_embed$)',
            r'backbone.\1'),
]
HEAD_RULES = [
    KeyRule(r'decode_head\.(embed_layers|fuse_layer|conv_seg)\.', r'decode_head.\1.'),
    KeyRule(r'weight$', 'pred_mix_logits'),
]
RELEASE_DROPS = [
    (r'backbone\.spm\.conv4\.', "the release's unused fourth stem conv"),
    (r'decode_head_aug\d\.', 'Source-GtA training head (the global head is decode_head)'),
]


def is_nvidia_mit(state):
    """The release's MiT models keep NVIDIA's names (``backbone.block1.…``)."""
    return any(k.startswith(('backbone.block1.', 'backbone.patch_embed1.')) for k in state)


def convert_release(state):
    """Release state dict -> ``(project state dict, dropped, unmapped)``."""
    if is_nvidia_mit(state):
        state, backbone_rules = merge_q_kv(state, 'backbone.'), mit_rules('backbone.')
    else:
        backbone_rules = SWIN_BACKBONE_RULES
    return map_state_dict(state, ADAPTER_RULES + backbone_rules + HEAD_RULES,
                          RELEASE_DROPS)


def main(argv=None):
    return converter_main(
        argv, convert_release,
        'Convert Uni-UVPT release checkpoints to mmseg_uvpt key names (adapted models '
        "need prompt_cfg.prompt_handover='input').")


if __name__ == '__main__':
    sys.exit(main())
