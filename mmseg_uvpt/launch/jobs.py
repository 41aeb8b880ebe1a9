"""The paper's stages and the jobs that run them: which script, configs and run
folders each stage has, and the 8 run names of each (2 backbones x 2 source models x
2 source datasets). Both the launchers (:mod:`mmseg_uvpt.launch.launcher`) and the
smoke runs (:mod:`mmseg_uvpt.launch.smoke`) build on these, so neither imports the
other at module level."""
import os.path as osp
from dataclasses import dataclass

from .paper_runs import TARGET_SUFFIX

WORK_ROOT = 'work_dirs'

BACKBONES = ('swin-b', 'mit-b5')
SOURCE_MODELS = ('standard', 'source-gta')
SOURCE_DATASETS = ('gta5', 'synthia')
#: the checkpoint of an adaptation run a test job evaluates
TEST_CHECKPOINTS = ('best', 'latest')
#: the name mmcv's EvalHook gives the best checkpoint by ``evaluation.save_best``
BEST_CHECKPOINT_PATTERN = 'best_mIoU_iter_*.pth'
#: the stages whose script trains, and so takes ``--seed``
SEEDED_STAGES = ('pretrain', 'train')
#: the stages ``--seeds`` runs once per seed (pseudo-labelling runs once: see
#: :mod:`mmseg_uvpt.launch.launcher`)
PER_SEED_STAGES = SEEDED_STAGES + ('test', )


def seed_dir(work_dir, seed):
    """``<work_dir>/seed<seed>``, the run folder of one seed; ``work_dir`` itself
    when ``seed`` is None."""
    return work_dir if seed is None else osp.join(work_dir, f'seed{seed}')


@dataclass(frozen=True)
class Stage:
    """One stage of the method and where its configs live.

    Args:
        name (str): ``pretrain``, ``pseudo_label``, ``train`` or ``test``.
        script (str): the entry script, relative to the repository root.
        config_dir (str): folder of the stage's 8 configs.
        work_subdir (str): runs write to ``<work root>/<work_subdir>/<run name>``.
        suffix (str): appended to ``<backbone>_<source model>_<dataset>`` in run names.
    """
    name: str
    script: str
    config_dir: str
    work_subdir: str
    suffix: str = ''

    def run_names(self):
        """The paper's 8 runs, in table order."""
        return [f'{b}_{m}_{d}{self.suffix}' for b in BACKBONES for m in SOURCE_MODELS
                for d in SOURCE_DATASETS]

    def config_path(self, name):
        return osp.join(self.config_dir, name + '.py')

    def work_dir(self, name, work_root=WORK_ROOT):
        return osp.join(work_root, self.work_subdir, name)


STAGES = {
    'pretrain': Stage('pretrain', 'pretrain.py', 'configs/pretrain', 'pretrain'),
    'pseudo_label': Stage('pseudo_label', 'generate_pseudo_label.py',
                          'configs/pseudo_label', 'pseudo_label', TARGET_SUFFIX),
    'train': Stage('train', 'train.py', 'configs/uvpt', 'uvpt', TARGET_SUFFIX),
    'test': Stage('test', 'test.py', 'configs/uvpt', 'test', TARGET_SUFFIX),
}


@dataclass
class Job:
    """One run: the stage's script on one config.

    Args:
        stage (Stage): its stage.
        name (str): the run name (the config's file stem).
        config (str): the config file the script gets.
        work_dir (str): the run folder.
        checkpoint (str | None): the checkpoint a test job evaluates.
        seed (int | None): with ``launcher_*.py --seeds``, the job's seed: a
            training stage gets ``--seed <seed>``; a test job evaluates the
            adaptation run of that seed. None: no ``--seed`` (as without ``--seeds``).
    """
    stage: Stage
    name: str
    config: str
    work_dir: str
    checkpoint: str = None
    seed: int = None

    @property
    def label(self):
        """The job's name in the launchers' output: the run name, and its seed."""
        return self.name if self.seed is None else f'{self.name} (seed {self.seed})'

    def script_args(self):
        """The script's arguments, without the launcher options."""
        if self.stage.name == 'pseudo_label':
            from mmcv import Config
            cfg = Config.fromfile(self.config, import_custom_modules=False)
            return ['--config', self.config, '--checkpoint', cfg.source_checkpoint,
                    '--pseudo_label_dir', cfg.pseudo_label_dir]
        if self.stage.name == 'test':
            return [self.config, self.checkpoint, '--eval', 'mIoU',
                    '--work-dir', self.work_dir]
        seeded = self.seed is not None and self.stage.name in SEEDED_STAGES
        return [self.config, '--work-dir', self.work_dir] + \
            (['--seed', str(self.seed)] if seeded else [])
