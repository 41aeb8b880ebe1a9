"""The launchers' run groups beyond the paper's 8 (mmseg_uvpt/launch/run_groups.py):
Cityscapes -> ACDC / Dark Zurich (``adverse``) and the frozen DINOv2 ViTs (``vit``):
names, --group, --only across groups, and their smoke configs on the toy layouts."""
import os.path as osp
import shlex

import pytest
from mmcv import Config

from mmseg_uvpt.launch import launcher as launch, smoke
from mmseg_uvpt.launch.run_groups import RUN_GROUPS, parse_run_name, split_target

REPO = launch.REPO_ROOT
ADVERSE_TARGETS = ['acdc', 'acdc-fog', 'acdc-night', 'acdc-rain', 'acdc-snow',
                   'darkzurich']


def printed(capsys, stage):
    """``[(run name, argv)]`` a launcher printed."""
    out = []
    for line in capsys.readouterr().out.splitlines():
        if line.startswith(f'[{stage}] '):
            name, command = line[len(stage) + 3:].split(': ', 1)
            out.append((name, shlex.split(command)))
    return out


def test_the_groups_name_their_runs():
    adverse = RUN_GROUPS['adverse']
    assert adverse.source_runs() == [
        'swin-b_standard_cityscapes', 'swin-b_source-gta_cityscapes',
        'mit-b5_standard_cityscapes', 'mit-b5_source-gta_cityscapes']
    assert adverse.target_runs()[:6] == [f'swin-b_standard_cityscapes2{t}'
                                         for t in ADVERSE_TARGETS]
    assert len(adverse.target_runs()) == 24
    assert RUN_GROUPS['vit'].target_runs() == [
        'vit-b14_standard_gta52cityscapes', 'vit-b14_standard_synthia2cityscapes',
        'vit-l14_standard_gta52cityscapes', 'vit-l14_standard_synthia2cityscapes']
    assert len(RUN_GROUPS['paper'].target_runs()) == 8


@pytest.mark.parametrize('name,parts', [
    ('mit-b5_standard_gta52cityscapes', ('mit-b5', 'standard', 'gta5', 'cityscapes')),
    ('swin-b_source-gta_cityscapes2acdc-fog',
     ('swin-b', 'source-gta', 'cityscapes', 'acdc-fog')),
    ('swin-b_source-gta_cityscapes2acdc', ('swin-b', 'source-gta', 'cityscapes', 'acdc')),
    ('vit-l14_standard_synthia', ('vit-l14', 'standard', 'synthia', None)),
])
def test_run_names_split_into_their_parts(name, parts):
    assert tuple(parse_run_name(name).values()) == parts
    assert split_target(name)[1] == parts[3]


def test_a_name_of_another_form_is_refused():
    with pytest.raises(ValueError, match='uvpt_mit-tiny'):
        parse_run_name('uvpt_mit-tiny')


@pytest.mark.parametrize('stage', ['pretrain', 'pseudo_label', 'train', 'test'])
@pytest.mark.parametrize('group', ['adverse', 'vit'])
def test_dry_run_of_a_group_lists_its_runs_with_configs_that_exist(stage, group, capsys):
    assert launch.main(stage, ['--dry-run', '--group', group]) == 0
    commands = printed(capsys, stage)
    runs = RUN_GROUPS[group]
    expected = runs.source_runs() if stage == 'pretrain' else runs.target_runs()
    assert [name for name, _ in commands] == expected
    for name, argv in commands:
        config = next(a for a in argv if a.endswith(name + '.py'))
        assert osp.isfile(osp.join(REPO, config)), config
        if stage == 'pseudo_label':
            source = split_target(name)[0]
            assert argv[argv.index('--checkpoint') + 1] == f'model/{source}.pth'
            assert argv[argv.index('--pseudo_label_dir') + 1] == \
                f'data/pseudo_labels/{name}'


def test_all_groups_and_only_across_groups(capsys):
    assert launch.main('train', ['--dry-run', '--group', 'all']) == 0
    assert len(printed(capsys, 'train')) == sum(
        len(g.target_runs()) for g in RUN_GROUPS.values())
    names = ['vit-b14_standard_gta52cityscapes', 'mit-b5_standard_cityscapes2darkzurich',
             'swin-b_standard_gta52cityscapes']
    assert launch.main('train', ['--dry-run', '--only', ','.join(names)]) == 0
    assert [name for name, _ in printed(capsys, 'train')] == names


def test_release_is_for_the_paper_runs_only(capsys):
    with pytest.raises(SystemExit):
        launch.main('test', ['--release', '--group', 'vit', '--dry-run'])
    assert 'release has checkpoints of the paper runs only' in capsys.readouterr().err


@pytest.mark.parametrize('name,dataset,layout', [
    ('mit-b5_standard_cityscapes2acdc-fog', 'ACDCDataset', 'acdc'),
    ('mit-b5_standard_cityscapes2darkzurich', 'UVPTDarkZurichDataset', 'dark_zurich'),
])
def test_adverse_smoke_configs_keep_their_datasets_on_the_toy_layouts(
        name, dataset, layout, smoke_dirs, capsys):
    assert launch.main('train', ['--smoke', '--dry-run', '--only', name]) == 0
    [(_, argv)] = printed(capsys, 'train')
    cfg = Config.fromfile(next(a for a in argv if a.endswith(name + '.py')))
    paper = Config.fromfile(osp.join(REPO, 'configs', 'uvpt', name + '.py'))
    assert cfg.data.train.type == 'PseudoLabel' + dataset.replace('UVPT', '')
    assert cfg.data.val.type == dataset
    # the smoke-sized adverse set, not the toy benchmark's full one
    root = str(smoke_dirs / 'smoke' / 'toy_adverse' / layout)
    for split in ('train', 'val'):
        assert cfg.data[split].data_root == root
        # the run's own subset and conditions (ACDC fog: fog alone)
        for key in ('subset', 'conditions'):
            assert cfg.data[split].get(key) == paper.data[split].get(key)
    assert cfg.data.train.get('conditions', 'night') == ('fog' if 'acdc' in name
                                                         else 'night')
    # the toy pipeline of the role (512x256 images), with the smoke crop
    crop = next(s for s in cfg.data.train.pipeline if s.type == 'RandomCropWithBox')
    assert crop.crop_size == smoke.SMOKE_CROP
    resize = next(s for s in cfg.data.val.pipeline if s.type == 'MultiScaleFlipAug')
    assert tuple(resize.img_scale) == (512, 256)
    assert cfg.source_checkpoint == str(smoke_dirs / 'smoke' / 'model' /
                                        'mit-b5_standard_cityscapes.pth')
    assert cfg.data.train.pseudo_label_dir == str(smoke_dirs / 'smoke' /
                                                  'pseudo_labels' / name)


SMOKE_RUNS = ['vit-b14_standard_gta52cityscapes', 'mit-b5_standard_cityscapes2acdc',
              'mit-b5_standard_cityscapes2darkzurich']


@pytest.mark.slow
@pytest.mark.parametrize('name', SMOKE_RUNS)
def test_smoke_run_of_each_stage_of_another_group(name, smoke_dirs):
    """The four stages in turn, 2 real iterations each, full-size models at random
    weights; minutes on 2 CPU cores."""
    source = split_target(name)[0]
    work = smoke_dirs / 'smoke'
    for stage, run, produced in (
            ('pretrain', source, work / 'pretrain' / source / 'iter_2.pth'),
            ('pseudo_label', name, work / 'pseudo_labels' / name / 'manifest.json'),
            ('train', name, work / 'uvpt' / name / 'iter_2.pth'),
            ('test', name, work / 'test' / name)):
        assert launch.main(stage, ['--smoke', '--only', run]) == 0, stage
        assert produced.exists(), produced
    assert list((work / 'test' / name).glob('eval_*.json'))
