"""Checkpoints of the Uni-UVPT reference release -> this project's key names.

Usage: ``python tools/model_converters/uvpt_release2mmseg.py SRC DST [--allow-unmapped]``

Converts the release's source models (standard and Source-GtA) and its adapted models,
and prints the config to use the output with (from the release's file name, e.g.
``SSS_MiT-B5_Synthia_Cityscapes_Uni-UVPT_LP_52.6_59.3.pth``). Source models load into
``configs/pretrain/<run>.py`` and, as ``model/<run>.pth``, are the source checkpoint of
``configs/pseudo_label/`` and ``configs/uvpt/``. Adapted models load into
``configs/uvpt/release/<run>.py``, which computes as the release: it sets
``prompt_cfg.prompt_handover='input'`` (the release hands the pre-extractor prompts to
the next stage) and, for MiT-B5, ``prompt_cfg.level_embed=False`` (the release's MiT-B5
saves a level embedding but never adds it, so it is dropped here).

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
``decode_head_aug{0,2,1,3,4}.*`` (Source-GtA)  ``aug_heads.{0,1,2,3,4}.*``: the heads
                                                held out for the Fourier, AdaIN,
                                                style-augmentor, weather and cartoon
                                                augmentations
``backbone.spm.conv4.*``                        dropped: the release's unused fourth
                                                stem conv
``decode_head_aug5.*`` (Source-GtA)             dropped: the global head, saved again
                                                as ``decode_head``
``backbone.level_embed`` of MiT-B5              dropped: never added in the release's
                                                MiT-B5 forward
==============================================  =======================================

The release's per-stage prompt mixture weights were a Python list, never saved nor
trained: an adapted model gets ``prompt_mix_logits`` = 0 (equal weights, the release's
only value), so that it loads strictly. Every other key is listed as unmapped and,
without ``--allow-unmapped``, nothing is written.
"""
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # sibling converters
from mit2mmseg import merge_q_kv, mit_rules  # noqa: E402

from mmseg_uvpt.launch.paper_runs import (release_checkpoint,  # noqa: E402
                                         release_config, run_of_release_file)
from mmseg_uvpt.checkpoints.source_mapping import (KeyRule, converter_main,  # noqa: E402
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
#: the release's Source-GtA head k -> the project's ``aug_heads`` index (the order of
#: configs/_base_/models/source-gta_aug-groups.py): the release holds out head 0 for
#: its two FDA augmentations, 1 for the style augmentor, 2 for AdaIN, 3 for snow and
#: frost, 4 for the cartoon effect
RELEASE_AUG_HEADS = {0: 0, 1: 2, 2: 1, 3: 3, 4: 4}
HEAD_RULES = [
    KeyRule(r'decode_head\.(embed_layers|fuse_layer|conv_seg)\.', r'decode_head.\1.'),
    KeyRule(r'decode_head_aug([0-4])\.',
            lambda m: f'aug_heads.{RELEASE_AUG_HEADS[int(m.group(1))]}.'),
    KeyRule(r'weight$', 'pred_mix_logits'),
]
RELEASE_DROPS = [
    (r'backbone\.spm\.conv4\.', "the release's unused fourth stem conv"),
    (r'decode_head_aug5\.', 'the Source-GtA global head, saved again as decode_head'),
]
MIT_DROPS = [
    (r'backbone\.level_embed$', "never added in the release's MiT-B5 forward (test with "
     "prompt_cfg.level_embed=False)"),
]


def is_nvidia_mit(state):
    """The release's MiT models keep NVIDIA's names (``backbone.block1.…``)."""
    return any(k.startswith(('backbone.block1.', 'backbone.patch_embed1.')) for k in state)


def convert_release(state):
    """Release state dict -> ``(project state dict, dropped, unmapped)``."""
    drops = RELEASE_DROPS
    if is_nvidia_mit(state):
        state, backbone_rules = merge_q_kv(state, 'backbone.'), mit_rules('backbone.')
        drops = drops + MIT_DROPS
    else:
        backbone_rules = SWIN_BACKBONE_RULES
    converted, dropped, unmapped = map_state_dict(
        state, ADAPTER_RULES + backbone_rules + HEAD_RULES, drops)
    stages = {int(m.group(1)) for m in map(re.compile(
        r'backbone\.interactions\.(\d+)\.').match, state) if m}
    if stages:
        scales = converted['pred_mix_logits'].numel() if 'pred_mix_logits' in converted \
            else 3
        converted['prompt_mix_logits'] = torch.zeros(len(stages), scales)
    return converted, dropped, unmapped


def usage_note(src, dst, converted):
    """What to load the converted checkpoint ``dst`` with, from the release's name of
    ``src`` and from whether it holds a prompt adapter."""
    adapted = any(k.startswith(A) for k in converted)
    backbone = 'mit-b5' if any(k.startswith('backbone.layers.') for k in converted) \
        else 'swin-b'
    known = run_of_release_file(src)
    run = known[0] if known and known[1] == adapted else None
    if adapted and run:
        note = (f'adapted model of run {run}; test it with\n'
                f'  python test.py {release_config(run)} {dst} --eval mIoU')
        if os.path.normpath(dst) != release_checkpoint(run):
            note += (f'\n(launcher_test.py --release reads it from '
                     f'{release_checkpoint(run)})')
        return note
    if adapted:
        return (f'adapted {backbone} model; test it with the config of its run, '
                f'{release_config(backbone + "_<source model>_<source set>2cityscapes")}'
                ' (the file name did not say which run)')
    run = run or f'{backbone}_<source model>_<source set>'
    return (f'source model of run {run}: it loads into configs/pretrain/{run}.py; as '
            f'model/{run}.pth it is the source checkpoint of '
            f'configs/pseudo_label/{run}2cityscapes.py and configs/uvpt/{run}2cityscapes.py')


def main(argv=None):
    return converter_main(
        argv, convert_release,
        'Convert Uni-UVPT release checkpoints to mmseg_uvpt key names and print the '
        'config to use them with.', report=usage_note)


if __name__ == '__main__':
    sys.exit(main())
