"""The Cityscapes-source runs on adverse conditions (not runs of the paper): every
backbone x source model (standard, Source-GtA) trained on Cityscapes and adapted to
ACDC (all four conditions, and each alone) and to Dark Zurich. Each of the 24 runs has
a pseudo-label and an adaptation config that agree with each other and with a
pretraining config. Config parsing only: no data, no models."""
import functools
import glob
import os.path as osp

import pytest
from mmcv import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BACKBONES = ('swin-b', 'mit-b5')
SOURCE_MODELS = ('standard', 'source-gta')
CONDITIONS = ('fog', 'night', 'rain', 'snow')
TARGETS = ('acdc', ) + tuple(f'acdc-{c}' for c in CONDITIONS) + ('darkzurich', )
SOURCE_RUNS = [f'{b}_{m}_cityscapes' for b in BACKBONES for m in SOURCE_MODELS]
RUNS = [f'{source}2{target}' for source in SOURCE_RUNS for target in TARGETS]
ONE_CONDITION_RUNS = [r for r in RUNS if '2acdc-' in r]
# what a pretraining config shares with the GTA5 one of its backbone and source model
PRETRAIN_SHARED = ('model', 'optimizer', 'optimizer_config', 'lr_config', 'runner',
                   'checkpoint_config', 'evaluation')


@functools.lru_cache(maxsize=None)
def load(folder, name):
    """A resolved config under configs/ (cached: the tests only read them)."""
    return Config.fromfile(osp.join(REPO, 'configs', folder, name + '.py'),
                           import_custom_modules=False)


def datasets(cfg):
    """The dataset entries of cfg.data (train or pseudo_label, val, test), by key."""
    return {k: v for k, v in cfg.data.items() if isinstance(v, dict) and 'type' in v}


def test_exactly_these_runs_have_configs():
    def stems(folder, pattern):
        return sorted(osp.basename(p)[:-len('.py')] for b in BACKBONES
                      for p in glob.glob(osp.join(REPO, 'configs', folder,
                                                  f'{b}_{pattern}.py')))
    assert len(RUNS) == 24
    for folder in ('pseudo_label', 'uvpt'):
        assert stems(folder, '*_cityscapes2*') == sorted(RUNS), folder
    assert stems('pretrain', '*_cityscapes') == sorted(SOURCE_RUNS)


@pytest.mark.parametrize('run', RUNS)
def test_run_configs_agree(run):
    source = run.split('2')[0]
    backbone, source_model, _ = source.split('_')
    label, adapt = load('pseudo_label', run), load('uvpt', run)
    assert label.pseudo_label_dir == adapt.data.train.pseudo_label_dir == \
        f'data/pseudo_labels/{run}'
    assert label.source_checkpoint == adapt.source_checkpoint == f'model/{source}.pth'
    # the labelling model is the pretrained one (Source-GtA: its global head), so
    # the source checkpoint fits it key for key
    pretrain = load('pretrain', source)
    assert label.model.type == 'EncoderDecoder'
    for part in ('backbone', 'decode_head'):
        ours = {k: v for k, v in label.model[part].items() if k != 'init_cfg'}
        theirs = {k: v for k, v in pretrain.model[part].items() if k != 'init_cfg'}
        assert ours == theirs, part
    # the model and optimiser (LR included) of the GTA5 -> Cityscapes run of the same
    # backbone and source model
    gta = load('uvpt', f'{backbone}_{source_model}_gta52cityscapes')
    assert adapt.optimizer == gta.optimizer and adapt.model == gta.model


@pytest.mark.parametrize('run', RUNS)
def test_conditions(run):
    """ACDC runs read the conditions of their name (all four, or one) in every
    dataset of both configs; Dark Zurich runs its night images."""
    target = run.split('2')[1]
    for folder in ('pseudo_label', 'uvpt'):
        sets = datasets(load(folder, run))
        train_key = 'pseudo_label' if folder == 'pseudo_label' else 'train'
        assert set(sets) == {train_key, 'val', 'test'}, folder
        for key, ds in sets.items():
            where = (folder, key)
            assert ds.subset == ('train' if key == train_key else 'val'), where
            if target == 'darkzurich':
                assert 'DarkZurich' in ds.type, where
                assert ds.get('conditions', 'night') == 'night', where
            else:
                assert ds.type in ('ACDCDataset', 'PseudoLabelACDCDataset'), where
                wanted = 'all' if target == 'acdc' else target[len('acdc-'):]
                assert ds.conditions == wanted, where


def without_conditions(cfg):
    """cfg as a plain dict without the conditions and pseudo-label folders."""
    cfg = cfg._cfg_dict.to_dict()
    cfg.pop('pseudo_label_dir', None)
    for ds in cfg['data'].values():
        if isinstance(ds, dict):
            ds.pop('conditions', None)
            ds.pop('pseudo_label_dir', None)
    return cfg


@pytest.mark.parametrize('run', ONE_CONDITION_RUNS)
def test_one_condition_config_changes_only_conditions(run):
    whole = run.rsplit('-', 1)[0]
    for folder in ('pseudo_label', 'uvpt'):
        assert without_conditions(load(folder, run)) == \
            without_conditions(load(folder, whole)), folder


@pytest.mark.parametrize('source', SOURCE_RUNS)
def test_pretrain_configs(source):
    """Built like the GTA5 source model of the same backbone and source model (model,
    schedule, LR), on Cityscapes train at 1024x512 with 512x512 crops; Source-GtA
    without the photometric distortion, with the release's class weights."""
    backbone, source_model, _ = source.split('_')
    cfg = load('pretrain', source)
    gta = load('pretrain', f'{backbone}_{source_model}_gta5')
    for key in PRETRAIN_SHARED:
        assert cfg.get(key) == gta.get(key), key
    train = cfg.data.train
    assert (train.type, train.img_dir, train.ann_dir) == \
        ('UVPTCityscapesDataset', 'leftImg8bit/train', 'gtFine/train')
    steps = {s['type']: s for s in train.pipeline}
    assert steps['Resize']['img_scale'] == (1024, 512)
    assert steps['RandomCrop']['crop_size'] == (512, 512)
    source_gta = source_model == 'source-gta'
    assert ('PhotoMetricDistortion' in steps) is not source_gta
    if source_gta:
        # the fixed list, not a class_weight_file: the Cityscapes converter's
        # statistics count val too (cityscapes_1024x512_512x512_source-gta.py)
        weights = load('_base_/models', 'source-gta_class-weights').gta_class_weight
        assert cfg.model.type == 'SourceGtASegmentor'
        assert cfg.model.train_cfg.class_weight_file is None
        assert cfg.model.train_cfg.class_weight == weights
