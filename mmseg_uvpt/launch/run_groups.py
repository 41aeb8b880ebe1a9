"""The families of runs the launchers know, and how a run's name reads.

A source model is named ``<backbone>_<source model>_<source set>`` and a run on a
target ``<source model's name>2<target>``. Each family (:class:`RunGroup`) is every
backbone x source model x source set, adapted to each of its targets:

- ``paper``: the paper's eight runs (Swin-B, MiT-B5; standard, Source-GtA; GTA5,
  SYNTHIA -> Cityscapes), the launchers' default;
- ``adverse``: Cityscapes as the source, adapted to ACDC (all four conditions, and
  each alone) and to Dark Zurich (not runs of the paper);
- ``vit``: a frozen DINOv2 ViT-B/14 or ViT-L/14 with the prompt adapter, GTA5 and
  SYNTHIA -> Cityscapes (not runs of the paper).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class RunGroup:
    """A family of runs: every backbone x source model x source set, each source
    model adapted to every target.

    Args:
        name (str): the group's name (``launcher_*.py --group``).
        description (str): one line for the launchers' help.
        backbones (tuple[str]): backbone names as run names spell them.
        source_models (tuple[str]): ``standard`` and/or ``source-gta``.
        sources (tuple[str]): source sets.
        targets (tuple[str]): target names.
    """
    name: str
    description: str
    backbones: tuple
    source_models: tuple
    sources: tuple
    targets: tuple

    def source_runs(self):
        """The source models' run names, in table order."""
        return [f'{b}_{m}_{d}' for b in self.backbones for m in self.source_models
                for d in self.sources]

    def target_runs(self):
        """The adapted runs' names: each source model to each target."""
        return [f'{source}2{t}' for source in self.source_runs() for t in self.targets]


ACDC_CONDITIONS = ('fog', 'night', 'rain', 'snow')

RUN_GROUPS = {
    'paper': RunGroup('paper', "the paper's eight runs", ('swin-b', 'mit-b5'),
                      ('standard', 'source-gta'), ('gta5', 'synthia'), ('cityscapes', )),
    'adverse': RunGroup('adverse', 'Cityscapes -> ACDC (all, each condition), '
                        'Dark Zurich', ('swin-b', 'mit-b5'), ('standard', 'source-gta'),
                        ('cityscapes', ),
                        ('acdc', ) + tuple(f'acdc-{c}' for c in ACDC_CONDITIONS)
                        + ('darkzurich', )),
    'vit': RunGroup('vit', 'frozen DINOv2 ViT-B/14, ViT-L/14 -> Cityscapes',
                    ('vit-b14', 'vit-l14'), ('standard', ), ('gta5', 'synthia'),
                    ('cityscapes', )),
}
DEFAULT_GROUP = 'paper'
#: every target any group adapts to, longest first so that a name splits on the
#: longest matching suffix (``acdc-fog`` before ``acdc``)
TARGETS = tuple(sorted({t for g in RUN_GROUPS.values() for t in g.targets},
                       key=len, reverse=True))


def split_target(name):
    """``(source model's run name, target)`` of an adapted run's name, or
    ``(name, None)`` for a source model's.

    ``mit-b5_standard_gta52cityscapes`` -> ``('mit-b5_standard_gta5', 'cityscapes')``;
    ``swin-b_source-gta_cityscapes2acdc-fog`` -> ``(..._cityscapes, 'acdc-fog')``.
    """
    for target in TARGETS:
        if name.endswith('2' + target):
            return name[:-len(target) - 1], target
    return name, None


def parse_run_name(name):
    """``dict(backbone, source_model, source, target)`` of a run name (target None
    for a source model).

    Raises:
        ValueError: a name not of the form ``<backbone>_<source model>_<source>[2<target>]``.
    """
    source_run, target = split_target(name)
    parts = source_run.split('_')
    if len(parts) != 3:
        raise ValueError(f'{name!r} is not <backbone>_<source model>_<source set>'
                         f'[2<target>]')
    backbone, source_model, source = parts
    return dict(backbone=backbone, source_model=source_model, source=source,
                target=target)
