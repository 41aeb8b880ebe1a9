"""launcher_{pretrain,pseudo_label,train,test}.py: the paper's 8 runs per stage,
--only, --gpus, and --smoke configs generated from the paper configs."""
import os.path as osp
import shlex
import subprocess
import sys

import pytest
from mmcv import Config

from mmseg_uvpt.launch import launcher as launch, smoke

REPO = launch.REPO_ROOT
PAPER_SOURCES = [
    'swin-b_standard_gta5', 'swin-b_standard_synthia', 'swin-b_source-gta_gta5',
    'swin-b_source-gta_synthia', 'mit-b5_standard_gta5', 'mit-b5_standard_synthia',
    'mit-b5_source-gta_gta5', 'mit-b5_source-gta_synthia']
ADAPTED = [s + '2cityscapes' for s in PAPER_SOURCES]
EXPECTED_NAMES = dict(pretrain=PAPER_SOURCES, pseudo_label=ADAPTED, train=ADAPTED,
                      test=ADAPTED)


def printed_commands(capsys, stage):
    """(run name, argv) of every command a launcher printed."""
    out = capsys.readouterr().out
    commands = []
    for line in out.splitlines():
        if line.startswith(f'[{stage}] '):
            name, command = line[len(stage) + 3:].split(': ', 1)
            commands.append((name, shlex.split(command)))
    return commands


@pytest.mark.parametrize('stage', ['pretrain', 'pseudo_label', 'train', 'test'])
def test_dry_run_lists_the_papers_eight_runs(stage, capsys):
    assert launch.main(stage, ['--dry-run']) == 0
    commands = printed_commands(capsys, stage)
    assert [name for name, _ in commands] == EXPECTED_NAMES[stage]
    script = launch.STAGES[stage].script
    for name, argv in commands:
        assert argv[:2] == [sys.executable, script]
        config = next(a for a in argv if a.endswith(name + '.py'))
        assert osp.isfile(osp.join(REPO, config))
        if stage == 'pseudo_label':
            source = name[:-len('2cityscapes')]
            assert argv[argv.index('--checkpoint') + 1] == f'model/{source}.pth'
            assert argv[argv.index('--pseudo_label_dir') + 1] == \
                f'data/pseudo_labels/{name}'
        elif stage == 'test':
            # the best checkpoint by val mIoU (none yet: the pattern is shown)
            assert argv[3] == f'work_dirs/uvpt/{name}/best_mIoU_iter_*.pth'
            assert argv[4:6] == ['--eval', 'mIoU']
        else:
            folder = 'uvpt' if stage == 'train' else 'pretrain'
            assert argv[3:5] == ['--work-dir', f'work_dirs/{folder}/{name}']


def test_gpus_runs_torchrun_with_the_pytorch_launcher(capsys):
    name = 'mit-b5_standard_gta52cityscapes'
    assert launch.main('train', ['--dry-run', '--gpus', '4', '--only', name]) == 0
    [(_, argv)] = printed_commands(capsys, 'train')
    assert osp.basename(argv[0]) == 'torchrun'
    assert argv[1:4] == ['--nproc_per_node', '4', 'train.py']
    assert argv[4] == f'configs/uvpt/{name}.py'
    assert argv[-2:] == ['--launcher', 'pytorch']
    with pytest.raises(SystemExit, match='--gpus'):
        launch.main('train', ['--dry-run', '--gpus', '0'])


def test_only_takes_repeated_and_comma_separated_names(capsys):
    argv = ['--dry-run', '--only', 'mit-b5_standard_synthia,swin-b_standard_gta5',
            '--only', 'mit-b5_standard_synthia', '--only', 'swin-b_source-gta_gta5']
    assert launch.main('pretrain', argv) == 0
    assert [n for n, _ in printed_commands(capsys, 'pretrain')] == [
        'mit-b5_standard_synthia', 'swin-b_standard_gta5', 'swin-b_source-gta_gta5']


def test_only_with_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(SystemExit) as info:
        launch.main('pseudo_label', ['--dry-run', '--only',
                                     'swin-b_standard_gta52cityscapes,swin-l_gta5'])
    message = str(info.value)
    assert "unknown run name(s) ['swin-l_gta5']" in message
    assert all(name in message for name in ADAPTED)


def test_launcher_script_exits_nonzero_on_a_bad_name():
    result = subprocess.run(
        [sys.executable, 'launcher_test.py', '--only', 'nope', '--dry-run'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'nope' in result.stderr and ADAPTED[0] in result.stderr


def redirect_smoke_outputs(monkeypatch, root):
    monkeypatch.setattr(smoke, 'GENERATED_DIR', str(root / 'generated'))
    monkeypatch.setattr(smoke, 'SMOKE_ROOT', str(root / 'smoke'))
    monkeypatch.setattr(smoke, 'SMOKE_MODEL_DIR', str(root / 'smoke' / 'model'))
    return root


@pytest.fixture
def smoke_dirs(tmp_path, monkeypatch):
    return redirect_smoke_outputs(monkeypatch, tmp_path)


@pytest.fixture(scope='module')
def chained_smoke_dirs(tmp_path_factory):
    """One smoke folder for the stages of one run, so each reuses the last."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield redirect_smoke_outputs(monkeypatch, tmp_path_factory.mktemp('chain'))


def smoke_dry_run(stage, name, capsys):
    assert launch.main(stage, ['--smoke', '--dry-run', '--only', name]) == 0
    [(printed, argv)] = printed_commands(capsys, stage)
    assert printed == name
    path = next(a for a in argv if a.endswith(f'{name}.py'))
    return argv, path, Config.fromfile(path)


def test_smoke_train_config_overrides_only_what_it_must(smoke_dirs, capsys):
    name = 'swin-b_source-gta_synthia2cityscapes'
    argv, path, cfg = smoke_dry_run('train', name, capsys)
    assert path == str(smoke_dirs / 'generated' / 'train' / f'{name}.py')
    assert '_base_' not in open(path).read()  # a dumped, self-contained config
    paper = Config.fromfile(osp.join(REPO, 'configs/uvpt', name + '.py'))
    # the smoke changes
    assert cfg.runner.max_iters == 2 and cfg.evaluation.interval == 2
    assert cfg.checkpoint_config.interval == 2
    assert cfg.data.train.data_root == cfg.data.val.data_root == 'data/toy/target/'
    crop = next(s for s in cfg.data.train.pipeline if s.type == 'RandomCropWithBox')
    assert crop.crop_size == smoke.SMOKE_CROP and crop.cat_max_ratio == 0.75
    assert cfg.source_checkpoint == str(
        smoke_dirs / 'smoke' / 'model' / 'swin-b_source-gta_synthia.pth')
    assert cfg.data.train.pseudo_label_dir == str(
        smoke_dirs / 'smoke' / 'pseudo_labels' / name)
    assert cfg.custom_hooks[0].interval == 1
    assert argv[-2:] == ['--work-dir', str(smoke_dirs / 'smoke' / 'uvpt' / name)]
    # what the paper config says stays
    assert cfg.data.val.eval_subsets == 'synthia'
    assert cfg.optimizer == paper.optimizer and cfg.lr_config == paper.lr_config
    paper.model.backbone.pop('init_cfg')  # random initialisation in smoke runs
    assert cfg.model == paper.model
    assert [s.type for s in cfg.data.train.pipeline] == \
        [s.type for s in paper.data.train.pipeline]


def test_smoke_pretrain_config_uses_toy_source_and_stand_in_weights(smoke_dirs, capsys):
    _, _, cfg = smoke_dry_run('pretrain', 'mit-b5_source-gta_gta5', capsys)
    assert cfg.data.train.type == 'GTADataset'
    assert cfg.data.train.data_root == 'data/toy/source/'
    assert 'init_cfg' not in cfg.model.backbone  # no ImageNet weights needed
    # the release's fixed class weights: no statistics file to point at the toy set
    assert cfg.model.train_cfg.class_weight_file is None
    assert len(cfg.model.train_cfg.class_weight) == 19
    assert cfg.model.aug_model_dir == str(smoke_dirs / 'smoke' / 'model')
    assert cfg.optimizer.lr == 8e-6 and cfg.model.type == 'SourceGtASegmentor'


def test_smoke_pseudo_label_command_points_at_stand_ins(smoke_dirs, capsys):
    name = 'swin-b_standard_gta52cityscapes'
    argv, _, cfg = smoke_dry_run('pseudo_label', name, capsys)
    assert argv[argv.index('--checkpoint') + 1] == cfg.source_checkpoint == str(
        smoke_dirs / 'smoke' / 'model' / 'swin-b_standard_gta5.pth')
    assert argv[argv.index('--pseudo_label_dir') + 1] == cfg.pseudo_label_dir
    assert cfg.data.pseudo_label.data_root == 'data/toy/target/'
    assert cfg.data.pseudo_label.img_dir == 'leftImg8bit/train'


@pytest.mark.slow
@pytest.mark.parametrize('stage', ['pretrain', 'pseudo_label', 'train', 'test'])
def test_smoke_run_of_one_paper_config_per_stage(stage, chained_smoke_dirs):
    """2 real iterations (or 4 labelled/evaluated images) of MiT-B5 on the toy data;
    minutes per stage on 2 CPU cores."""
    name = 'mit-b5_standard_gta5' + ('' if stage == 'pretrain' else '2cityscapes')
    assert launch.main(stage, ['--smoke', '--only', name]) == 0
    work = chained_smoke_dirs / 'smoke'
    produced = dict(
        pretrain=work / 'pretrain' / name / 'iter_2.pth',
        pseudo_label=work / 'pseudo_labels' / name / 'manifest.json',
        train=work / 'uvpt' / name / 'iter_2.pth',
        test=work / 'test' / name)[stage]
    assert produced.exists()
    if stage == 'test':
        assert list(produced.glob('eval_*.json'))
