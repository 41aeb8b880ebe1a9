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


# ---------------------------------------------------------------------------------
# --seeds: one job per seed, in <the run's work dir>/seed{N}

def seed_commands(capsys, stage, argv):
    """``[(label, argv)]`` of a dry run with ``argv``."""
    assert launch.main(stage, ['--dry-run'] + argv) == 0
    return printed_commands(capsys, stage)


@pytest.mark.parametrize('stage,name,folder', [
    ('pretrain', 'mit-b5_standard_gta5', 'pretrain'),
    ('train', 'swin-b_source-gta_synthia2cityscapes', 'uvpt')])
def test_seeds_give_training_runs_a_folder_and_a_seed_each(stage, name, folder, capsys):
    commands = seed_commands(capsys, stage, ['--seeds', '0', '1', '2', '--only', name])
    assert [label for label, _ in commands] == [
        f'{name} (seed 0)', f'{name} (seed 1)', f'{name} (seed 2)']
    for seed, (_, argv) in enumerate(commands):
        assert argv[1:] == [launch.STAGES[stage].script,
                            f'{launch.STAGES[stage].config_dir}/{name}.py',
                            '--work-dir', f'work_dirs/{folder}/{name}/seed{seed}',
                            '--seed', str(seed)]
    # run by run, each run's seeds together; torchrun gets the same arguments
    names = [name, 'swin-b_standard_gta5' if stage == 'pretrain' else ADAPTED[0]]
    commands = seed_commands(capsys, stage, ['--seeds', '5', '3', '--gpus', '2',
                                             '--only', ','.join(names)])
    assert [label for label, _ in commands] == [
        f'{names[0]} (seed 5)', f'{names[0]} (seed 3)', f'{names[1]} (seed 5)',
        f'{names[1]} (seed 3)']
    assert commands[1][1][-6:] == ['--work-dir', f'work_dirs/{folder}/{name}/seed3',
                                   '--seed', '3', '--launcher', 'pytorch']


def test_seeds_test_each_seeds_checkpoint_into_its_folder(capsys):
    name = 'mit-b5_standard_gta52cityscapes'
    commands = seed_commands(capsys, 'test', ['--seeds', '0', '2', '--only', name])
    assert [label for label, _ in commands] == [f'{name} (seed 0)', f'{name} (seed 2)']
    for seed, (_, argv) in zip((0, 2), commands):
        assert argv[1:] == [
            'test.py', f'configs/uvpt/{name}.py',
            f'work_dirs/uvpt/{name}/seed{seed}/best_mIoU_iter_*.pth', '--eval', 'mIoU',
            '--work-dir', f'work_dirs/test/{name}/seed{seed}']   # test.py: no --seed
    [(_, argv)] = seed_commands(capsys, 'test', ['--seeds', '1', '--checkpoint',
                                                 'latest', '--only', name])
    assert argv[3] == f'work_dirs/uvpt/{name}/seed1/latest.pth'


def test_seed_jobs_are_the_paper_jobs_once_per_seed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = 'swin-b_standard_gta52cityscapes'
    run = tmp_path / 'work_dirs' / 'uvpt' / name
    (run / 'seed1').mkdir(parents=True)
    (run / 'seed1' / 'best_mIoU_iter_46000.pth').write_bytes(b'')
    (run / 'best_mIoU_iter_1000.pth').write_bytes(b'')   # the unseeded run's
    assert launch.adapted_checkpoint(name, seed=1) == \
        f'work_dirs/uvpt/{name}/seed1/best_mIoU_iter_46000.pth'
    assert launch.adapted_checkpoint(name, 'latest', seed=1) == \
        f'work_dirs/uvpt/{name}/seed1/latest.pth'

    train = launch.stage_jobs(launch.STAGES['train'])
    jobs = launch.seed_jobs(train, [0, 1])
    assert len(jobs) == 16
    assert [(j.name, j.seed) for j in jobs[:4]] == [
        (ADAPTED[0], 0), (ADAPTED[0], 1), (ADAPTED[1], 0), (ADAPTED[1], 1)]
    assert jobs[1].work_dir == f'work_dirs/uvpt/{ADAPTED[0]}/seed1'
    assert jobs[1].config == train[0].config and jobs[1].checkpoint is None
    assert jobs[1].script_args() == [
        train[0].config, '--work-dir', f'work_dirs/uvpt/{ADAPTED[0]}/seed1', '--seed', '1']
    assert launch.seed_jobs(train, None) == train   # without --seeds: unchanged
    assert train[0].seed is None and '--seed' not in train[0].script_args()

    [job] = launch.seed_jobs(launch.select_jobs(
        launch.stage_jobs(launch.STAGES['test']), [name]), [1])
    assert (job.seed, job.work_dir, job.checkpoint) == (
        1, f'work_dirs/test/{name}/seed1',
        f'work_dirs/uvpt/{name}/seed1/best_mIoU_iter_46000.pth')
    assert '--seed' not in job.script_args()


def test_seeds_run_pseudo_labelling_once(capsys):
    name = 'mit-b5_source-gta_gta52cityscapes'
    plain = seed_commands(capsys, 'pseudo_label', ['--only', name])
    assert launch.main('pseudo_label', ['--dry-run', '--seeds', '0', '1', '--only',
                                        name]) == 0
    out = capsys.readouterr()
    assert 'the same for every seed; one run' in out.err
    assert [line for line in out.out.splitlines() if line.startswith('[')] == \
        [f'[pseudo_label] {name}: {shlex.join(plain[0][1])}']


@pytest.mark.parametrize('argv,message', [
    (['--seeds', '0', '0'], 'given twice'),
    (['--seeds', '-1'], 'not a seed'),
    (['--seeds', 'one'], 'not a seed'),
    (['--seeds'], 'expected at least one'),
    (['--seeds', '0', '--release'], '--release and --seeds'),
])
def test_bad_seeds_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        launch.main('test', ['--dry-run'] + argv)
    assert message in capsys.readouterr().err


def test_a_missing_seed_checkpoint_names_the_seed_to_train():
    name = 'mit-b5_source-gta_synthia2cityscapes'
    with pytest.raises(SystemExit, match=rf'\(seed 7\): no checkpoint work_dirs/uvpt/'
                                         rf'{name}/seed7/best_mIoU_iter_\*\.pth; train '
                                         r'it with launcher_train.py --seeds 7'):
        launch.main('test', ['--seeds', '7', '--only', name])


@pytest.mark.parametrize('stage', ['train', 'test'])
def test_smoke_runs_take_seeds(stage, smoke_dirs, capsys):
    name = 'mit-b5_standard_gta52cityscapes'
    commands = seed_commands(capsys, stage, ['--smoke', '--seeds', '0', '1', '--only',
                                             name])
    assert [label for label, _ in commands] == [f'{name} (seed 0)', f'{name} (seed 1)']
    folder = 'uvpt' if stage == 'train' else 'test'
    config = str(smoke_dirs / 'generated' / stage / f'{name}.py')
    for seed, (_, argv) in enumerate(commands):
        work_dir = str(smoke_dirs / 'smoke' / folder / name / f'seed{seed}')
        assert argv[2] == config
        if stage == 'train':
            assert argv[3:] == ['--work-dir', work_dir, '--seed', str(seed)]
        else:   # the one stand-in checkpoint, tested into each seed's folder
            assert argv[3] == str(smoke_dirs / 'smoke' / 'model' /
                                  f'{name}_adapted.pth')
            assert argv[-2:] == ['--work-dir', work_dir]
