"""The paper's stages and the jobs that run them: which script, configs and run
folders each stage has, and the run names of each (the paper's 8, 2 backbones x 2
source models x 2 source datasets, and the other groups of
:mod:`mmseg_uvpt.launch.run_groups`). Both the launchers (:mod:`mmseg_uvpt.launch.launcher`) and the
smoke runs (:mod:`mmseg_uvpt.launch.smoke`) build on these, so neither imports the
other at module level."""
import os.path as osp
from dataclasses import dataclass

from .run_groups import DEFAULT_GROUP, RUN_GROUPS

WORK_ROOT = 'work_dirs'

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
        config_dir (str): folder of the stage's configs (``<run name>.py``).
        work_subdir (str): runs write to ``<work root>/<work_subdir>/<run name>``.
        adapted (bool): its runs are on a target (``<source model>2<target>``),
            not source models.
    """
    name: str
    script: str
    config_dir: str
    work_subdir: str
    adapted: bool = True

    def run_names(self, group=DEFAULT_GROUP):
        """The runs of ``group`` (default the paper's 8), in table order."""
        runs = RUN_GROUPS[group]
        return runs.target_runs() if self.adapted else runs.source_runs()

    def config_path(self, name):
        return osp.join(self.config_dir, name + '.py')

    def work_dir(self, name, work_root=WORK_ROOT):
        return osp.join(work_root, self.work_subdir, name)


STAGES = {
    'pretrain': Stage('pretrain', 'pretrain.py', 'configs/pretrain', 'pretrain',
                      adapted=False),
    'pseudo_label': Stage('pseudo_label', 'generate_pseudo_label.py',
                          'configs/pseudo_label', 'pseudo_label'),
    'train': Stage('train', 'train.py', 'configs/uvpt', 'uvpt'),
    'test': Stage('test', 'test.py', 'configs/uvpt', 'test'),
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
