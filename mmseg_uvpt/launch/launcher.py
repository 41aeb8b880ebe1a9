"""The shared logic of ``launcher_{pretrain,pseudo_label,train,test}.py``.

Each launcher knows the runs of its stage by name, in groups
(:mod:`mmseg_uvpt.launch.run_groups`): the paper's 8 (2 backbones x 2 source models x
2 source datasets, the default), ``adverse`` (Cityscapes -> ACDC, Dark Zurich) and
``vit`` (frozen DINOv2 ViTs). It builds one command per run and runs them in turn::

    python launcher_train.py --dry-run                 # print the paper's 8 commands
    python launcher_train.py --group vit --dry-run     # the ViT runs; --group all
    python launcher_train.py --only swin-b_standard_gta52cityscapes --gpus 4
    python launcher_train.py --smoke --only mit-b5_source-gta_synthia2cityscapes

``--only`` takes names of any group.

``--smoke`` runs each job for 2 iterations on the toy benchmark (see
:mod:`mmseg_uvpt.launch.smoke`). The test stage evaluates each adaptation run's best
checkpoint by validation mIoU (``--checkpoint latest``: its last one), or with
``--release`` the eight converted checkpoints of the reference release
(``model/release/<run>.pth``) with the configs that compute as the release
(``configs/uvpt/release/``). ``tools/results_table.py`` turns the outputs into the
paper's table. Every path is relative to the repository root, which :func:`main`
makes the working directory.

**Seeds.** ``--seeds 0 1 2`` repeats each run once per seed; seed N writes to
``<the run's work dir>/seed{N}``. One rule runs through the stages: *seeds vary the
adaptation; the source model and its pseudo-labels are shared by every seed*.

- ``pretrain``: ``pretrain.py ... --work-dir work_dirs/pretrain/<run>/seed{N} --seed
  N``: one source model per seed, to measure how much source training varies. The
  later stages do not read them, with or without seeds: they read the configured
  ``source_checkpoint`` (``model/<run>.pth``), which you copy from the run you choose.
- ``pseudo_label``: the labels are the shared source model's predictions, with no
  random draw, the same for every seed; ``--seeds`` runs the stage once, into the
  configured ``pseudo_label_dir``, and says so.
- ``train``: ``train.py ... --work-dir work_dirs/uvpt/<run>/seed{N} --seed N``, each
  seed from the configured source checkpoint and pseudo-labels: the seeds vary the
  prompt adapter's and head's initialisation, the sample order and the augmentations.
- ``test``: seed N evaluates ``work_dirs/uvpt/<run>/seed{N}/best_mIoU_iter_*.pth``
  (``latest.pth`` with ``--checkpoint latest``) into ``work_dirs/test/<run>/seed{N}``;
  ``test.py`` gets no ``--seed`` (evaluation draws nothing) and records the
  checkpoint's training seed in its JSON (``train_seed``), by which
  ``tools/results_table.py`` averages the seeds of a run (mean ± sample std, n).
  ``--release`` (one checkpoint per run) takes no ``--seeds``.

``--smoke --seeds`` does the same under ``work_dirs/smoke`` (its test stage evaluates
the one random stand-in checkpoint per run for every seed). Without ``--seeds``
commands and folders are as above, with no ``--seed``: each run draws a random seed,
recorded in its log and checkpoints. The launchers pass no ``--deterministic``.
"""
import argparse
import dataclasses
import glob
import os
import os.path as osp
import shlex
import shutil
import subprocess
import sys

from .jobs import (BEST_CHECKPOINT_PATTERN, PER_SEED_STAGES, STAGES,
                   TEST_CHECKPOINTS, WORK_ROOT, Job, seed_dir)
from .paper_runs import release_checkpoint, release_config
from .run_groups import DEFAULT_GROUP, RUN_GROUPS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def adapted_checkpoint(name, which='best', seed=None):
    """The checkpoint of adaptation run ``name`` that its test evaluates: the best
    by validation mIoU (as the reference release keeps, ``evaluation.save_best``) or
    the ``latest``; with ``seed``, that of the run's ``seed{N}`` folder. Without a
    best one yet the glob pattern is returned, which :func:`check_checkpoint`
    refuses."""
    work_dir = seed_dir(STAGES['train'].work_dir(name), seed)
    if which == 'latest':
        return osp.join(work_dir, 'latest.pth')
    found = sorted(glob.glob(osp.join(work_dir, BEST_CHECKPOINT_PATTERN)))
    return found[-1] if found else osp.join(work_dir, BEST_CHECKPOINT_PATTERN)


def stage_jobs(stage, checkpoint='best', groups=(DEFAULT_GROUP, )):
    """The stage's jobs of ``groups`` (default the paper's 8), on their configs; a
    test job evaluates the ``checkpoint`` (``best``|``latest``) of the adaptation
    run of the same name."""
    return [Job(stage, name, stage.config_path(name), stage.work_dir(name),
                adapted_checkpoint(name, checkpoint) if stage.name == 'test' else None)
            for group in groups for name in stage.run_names(group)]


def seed_jobs(jobs, seeds, checkpoint='best'):
    """Each job once per seed (run by run), in ``<work dir>/seed{N}``; a test job
    evaluates the ``checkpoint`` of the adaptation run's seed N. Pseudo-labelling
    draws nothing at random and its jobs are returned unchanged (module docstring).
    ``seeds`` None: the jobs unchanged."""
    if not seeds:
        return list(jobs)
    out = []
    for job in jobs:
        if job.stage.name not in PER_SEED_STAGES:
            out.append(job)
            continue
        for seed in seeds:
            ckpt = adapted_checkpoint(job.name, checkpoint, seed) \
                if job.stage.name == 'test' else job.checkpoint
            out.append(dataclasses.replace(job, work_dir=seed_dir(job.work_dir, seed),
                                           checkpoint=ckpt, seed=seed))
    return out


def release_jobs(stage, work_root=WORK_ROOT):
    """The 8 test jobs on the reference release's converted adapted checkpoints."""
    return [Job(stage, name, release_config(name),
                osp.join(work_root, 'test_release', name), release_checkpoint(name))
            for name in stage.run_names()]


def check_checkpoint(job):
    """SystemExit naming the missing checkpoint of a test job and how to make it."""
    if job.checkpoint is None or osp.isfile(job.checkpoint):
        return
    if job.config.startswith(osp.join('configs', 'uvpt', 'release')):
        how = ('convert the released file with tools/model_converters/'
               'uvpt_release2mmseg.py SRC ' + job.checkpoint)
    elif job.seed is not None:
        how = (f'train it with launcher_train.py --seeds {job.seed}, or pass '
               '--checkpoint latest')
    else:
        how = 'train it with launcher_train.py, or pass --checkpoint latest'
    raise SystemExit(f'[test] {job.label}: no checkpoint {job.checkpoint}; {how}')


def select_jobs(jobs, only):
    """Keep the jobs named in ``only`` (names, or comma-separated lists of names).

    Raises:
        SystemExit: an unknown name, with the list of valid ones.
    """
    if not only:
        return list(jobs)
    wanted = [n.strip() for item in only for n in item.split(',') if n.strip()]
    by_name = {job.name: job for job in jobs}
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise SystemExit(f'--only: unknown run name(s) {unknown}; valid names:\n  '
                         + '\n  '.join(by_name))
    return [by_name[n] for n in dict.fromkeys(wanted)]


def _torchrun():
    """``torchrun`` of the running interpreter's environment, else the one on PATH."""
    local = osp.join(osp.dirname(sys.executable), 'torchrun')
    return local if osp.isfile(local) else (shutil.which('torchrun') or 'torchrun')


def build_command(job, gpus=1):
    """The command line of ``job``: plain Python on one GPU, torchrun on several."""
    if gpus < 1:
        raise SystemExit(f'--gpus must be >= 1, got {gpus}')
    if gpus == 1:
        return [sys.executable, job.stage.script] + job.script_args()
    return [_torchrun(), '--nproc_per_node', str(gpus), job.stage.script] + \
        job.script_args() + ['--launcher', 'pytorch']


def parse_args(stage, argv=None):
    groups = '; '.join(f'{name} ({group.description}): '
                       f'{", ".join(stage.run_names(name))}'
                       for name, group in RUN_GROUPS.items())
    parser = argparse.ArgumentParser(
        description=f'Run the {stage.name} stage ({stage.script} on '
                    f'{stage.config_dir}/<run>.py). Runs by group: {groups}')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the commands instead of running them')
    parser.add_argument('--group', choices=tuple(RUN_GROUPS) + ('all', ),
                        default=DEFAULT_GROUP,
                        help=f'the runs of this group (default {DEFAULT_GROUP}: the '
                             "paper's 8)")
    parser.add_argument('--only', action='append', metavar='NAME',
                        help='run only these runs, of any group (repeatable, or '
                             'comma-separated)')
    parser.add_argument('--gpus', type=int, default=1,
                        help='GPUs per run; more than 1 runs torchrun with '
                             '--launcher pytorch')
    parser.add_argument('--seeds', type=_seed, nargs='+', metavar='N',
                        help='repeat each run once per seed, seed N in '
                             '<work dir>/seed{N} (see mmseg_uvpt/launch/launcher.py '
                             'for how the stages share them)')
    parser.add_argument('--smoke', action='store_true',
                        help='2 iterations per run on the toy benchmark, small crops; '
                             'configs go to configs/_generated/')
    if stage.name == 'test':
        parser.add_argument('--checkpoint', choices=TEST_CHECKPOINTS, default='best',
                            help="which checkpoint of each adaptation run: 'best' by "
                                 "validation mIoU (as the reference release) or "
                                 "'latest'")
        parser.add_argument('--release', action='store_true',
                            help='evaluate the converted checkpoints of the reference '
                                 'release (model/release/<run>.pth) with '
                                 'configs/uvpt/release/<run>.py')
    args = parser.parse_args(argv)
    if getattr(args, 'release', False) and args.smoke:
        parser.error('--release and --smoke do not go together')
    if getattr(args, 'release', False) and args.group != DEFAULT_GROUP:
        parser.error(f'--release: the release has checkpoints of the {DEFAULT_GROUP} '
                     'runs only')
    if getattr(args, 'release', False) and args.seeds:
        parser.error('--release and --seeds do not go together: the release has one '
                     'checkpoint per run')
    if args.seeds and len(set(args.seeds)) < len(args.seeds):
        parser.error(f'--seeds: a seed is given twice in {args.seeds}')
    return args


def _seed(text):
    """A ``--seeds`` value: a seed numpy accepts, 0 <= N < 2**32."""
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**32:
        raise argparse.ArgumentTypeError(f'not a seed (an integer 0 <= N < 2**32): '
                                         f'{text!r}')
    return seed


def main(stage_name, argv=None):
    """Entry point of ``launcher_<stage_name>.py``; returns the exit status."""
    stage = STAGES[stage_name]
    args = parse_args(stage, argv)
    # every path in configs and commands is relative to the repository root
    os.chdir(REPO_ROOT)
    if getattr(args, 'release', False):
        jobs = release_jobs(stage)
    else:
        # --only looks in every group; without it, the runs of --group
        groups = tuple(RUN_GROUPS) if args.only or args.group == 'all' else (args.group, )
        jobs = stage_jobs(stage, getattr(args, 'checkpoint', 'best'), groups)
    jobs = select_jobs(jobs, args.only)
    if args.seeds and stage.name not in PER_SEED_STAGES:
        print(f'[{stage.name}] --seeds {" ".join(map(str, args.seeds))}: the '
              'pseudo-labels are the shared source model\'s predictions, the same for '
              'every seed; one run each', file=sys.stderr, flush=True)
    jobs = seed_jobs(jobs, args.seeds, getattr(args, 'checkpoint', 'best'))
    if not (args.dry_run or args.smoke):
        for job in jobs:   # every input in place before the first job starts
            check_checkpoint(job)
    for job in jobs:
        if args.smoke:
            # imported here: building smoke configs needs mmcv and the models
            from .smoke import prepare_smoke_job
            job = prepare_smoke_job(job, dry_run=args.dry_run)
        command = build_command(job, args.gpus)
        print(f'[{stage.name}] {job.label}: {shlex.join(command)}', flush=True)
        if args.dry_run:
            continue
        status = subprocess.run(command).returncode
        if status != 0:
            print(f'[{stage.name}] {job.label} failed with exit status {status}',
                  file=sys.stderr)
            return status
    return 0
