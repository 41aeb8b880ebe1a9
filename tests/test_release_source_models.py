"""The reference release's source models convert to checkpoints that load strictly
into this project's source models: a Source-GtA model with its five augmentation
heads in the project's group order, and as the source checkpoint of a pseudo-label
run."""
from pathlib import Path

import torch
from mmcv import Config
from mmseg.models import build_segmentor

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.augmentations import write_random_weights
from mmseg_uvpt.runtime.checkpoint_loading import load_model_checkpoint
from mmseg_uvpt.checkpoints import atomic_save
from mmseg_uvpt.checkpoints.source_mapping import load_source_checkpoint
from test_release_parity import converter

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / 'configs/_base_/models'
# the augmentation the release holds each of its heads out for (its segmentor's
# k2head over [adain, styleaug, fda_random, fda, snow, frost, cartoon]) and the
# project's group of that augmentation (source-gta_aug-groups.py)
RELEASE_HEAD_AUGMENTATION = {0: 'fourier', 1: 'style_augmentor', 2: 'adain',
                             3: 'weather', 4: 'cartoon'}


def random_model(cfg):
    torch.manual_seed(0)
    model = build_segmentor(cfg.model)
    for p in model.parameters():
        p.data.normal_()
    return model.eval()


def test_source_gta_release_model_loads_with_its_heads(tmp_path, capsys):
    cfg = Config.fromfile(MODELS / 'source-gta_swin-tiny.py')
    # what building it needs: class weights and the augmentation networks' weights
    cfg.model.decode_head.loss_decode.class_weight = [1.0] * 19
    cfg.model.aug_model_dir = str(tmp_path / 'model')
    write_random_weights(cfg.model.aug_model_dir)
    groups = [g['name'] for g in cfg.gta_aug_groups]
    model = random_model(cfg)
    state = model.state_dict()
    # the release's layout: decode_head_aug0..4 per augmentation, decode_head_aug5
    # the global head, saved twice (also as decode_head)
    release = {k: v for k, v in state.items() if not k.startswith('aug_heads.')}
    for head, augmentation in RELEASE_HEAD_AUGMENTATION.items():
        ours = f'aug_heads.{groups.index(augmentation)}.'
        release.update({f'decode_head_aug{head}.{k[len(ours):]}': v
                        for k, v in state.items() if k.startswith(ours)})
    release.update({'decode_head_aug5.' + k[len('decode_head.'):]: v
                    for k, v in state.items() if k.startswith('decode_head.')})
    src = tmp_path / 'GtA_Swin-B_GTAV_Cityscapes_52.8.pth'
    dst = tmp_path / 'converted.pth'
    atomic_save(dict(state_dict=release), src)
    assert converter().main([str(src), str(dst)]) == 0
    assert 'source model of run swin-b_source-gta_gta5: it loads into ' \
        'configs/pretrain/swin-b_source-gta_gta5.py' in capsys.readouterr().out

    fresh = build_segmentor(cfg.model)
    load_model_checkpoint(fresh, str(dst))   # strict
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, state[key]), key
    # and as a source checkpoint: backbone and global head, the GtA heads unused
    pseudo = build_segmentor(Config.fromfile(MODELS / 'daformer_swin-tiny.py').model)
    report = load_source_checkpoint(pseudo, str(dst))
    assert len(report['unused']) == sum(k.startswith('aug_heads.') for k in state)
    assert report['fresh'] == []
