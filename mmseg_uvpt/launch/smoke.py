"""Smoke runs of the paper's configs (``launcher_*.py --smoke``), after DAFormer.

A smoke run takes a paper config unchanged apart from these dict entries: every data
split swapped for its toy-benchmark twin (``configs/_base_/datasets/toy_*.py``, SYNTHIA
``eval_subsets`` kept), small train crops, 2 iterations with a checkpoint and an
evaluation at the end, no ImageNet initialisation, and the run's inputs pointed at
smoke stand-ins. The result is written as a ``.py`` config under the git-ignored
``configs/_generated/<stage>/`` with ``Config.dump``, never by editing text.

A Cityscapes -> ACDC or Dark Zurich run (``--group adverse``) keeps its target
datasets (type, subset, conditions) on a smoke-sized toy ACDC and Dark Zurich layout
(``<SMOKE_ROOT>/toy_adverse``: the toy generator's adverse sets with 2 train, 1 val
and 1 test image per condition) with the toy pipelines of the same role. The full toy
adverse sets (``data/toy/{acdc,dark_zurich}``) would make a full-size model label and
evaluate 128 images, which takes a CPU run from seconds to about 20 minutes.

What a stage needs and has no data for is made on the fly, each at most once: the
toy data (``tools/generate_toy_data.py --convert``; the small adverse sets for those
runs), random AdaIN/style-augmentor
weights for Source-GtA, a random-weight source checkpoint shaped as the pretraining
stage saves it, its pseudo-labels, and a random adapted checkpoint for the test stage.
"""
import copy
import os
import os.path as osp
import subprocess
import sys

from mmcv import Config, ConfigDict

from ..datasets.pseudo_label import IMG_SUFFIX
from ..toy_benchmark import generate_toy_adverse_data
from .jobs import STAGES, Job, seed_dir
from .run_groups import split_target

SMOKE_ROOT = 'work_dirs/smoke'
GENERATED_DIR = 'configs/_generated'
SMOKE_ITERS = 2
SMOKE_CROP = (128, 128)
SMOKE_IMAGES = 4  # target images labelled and evaluated per smoke run
TOY_ROOT = 'data/toy'
TOY_DATASET_DIR = 'configs/_base_/datasets'
# role of a data split -> (toy dataset base, the split holding its dataset there)
TOY_DATASETS = dict(
    source=('toy_source_512x256.py', 'train'),
    uvpt=('toy_uvpt_512x256.py', 'train'),
    pseudo_label=('toy_pseudo_label_512x256.py', 'pseudo_label'),
    val=('toy_val_512x256.py', 'val'),
)
#: target datasets that keep their type on a toy layout of their own (a folder of
#: the smoke adverse set, see :func:`toy_layout`)
TOY_LAYOUTS = {
    'ACDCDataset': 'acdc',
    'PseudoLabelACDCDataset': 'acdc',
    'UVPTDarkZurichDataset': 'dark_zurich',
    'PseudoLabelDarkZurichDataset': 'dark_zurich',
}
#: images per condition of the smoke adverse set (train, val, test): as few as the
#: Cityscapes-target smoke runs' SMOKE_IMAGES, with two train images for a batch
SMOKE_ADVERSE_COUNTS = dict(num_train=2, num_val=1, num_test=1)
TOY_CLASS_STATS = osp.join(TOY_ROOT, 'source', 'sample_class_stats.json')
SMOKE_MODEL_DIR = osp.join(SMOKE_ROOT, 'model')


def smoke_adverse_root():
    """The folder of the smoke-sized toy ACDC and Dark Zurich sets."""
    return osp.join(SMOKE_ROOT, 'toy_adverse')


def toy_layout(dataset_type):
    """The smoke data root of a target dataset type of :data:`TOY_LAYOUTS`."""
    return osp.join(smoke_adverse_root(), TOY_LAYOUTS[dataset_type])


def ensure_toy_data(adverse=False):
    """Generate and convert the toy benchmark unless its converted labels exist;
    with ``adverse`` also the smoke-sized ACDC and Dark Zurich layouts (the
    generator keeps identical ones)."""
    have_toy = all(osp.isfile(osp.join(TOY_ROOT, part, 'sample_class_stats.json'))
                   for part in ('source', 'target'))
    if not have_toy:
        command = [sys.executable, 'tools/generate_toy_data.py', '--out', TOY_ROOT,
                   '--convert']
        print('[smoke] ' + ' '.join(command), flush=True)
        subprocess.run(command, check=True)
    if adverse:
        if generate_toy_adverse_data(out=smoke_adverse_root(), **SMOKE_ADVERSE_COUNTS):
            print(f'[smoke] wrote the smoke toy ACDC and Dark Zurich sets to '
                  f'{smoke_adverse_root()}', flush=True)


def _split_file(dataset_cfg):
    """A split file naming the first SMOKE_IMAGES images of a target dataset, so that
    pseudo-labelling and evaluation with a full-size model stay short."""
    img_dir = osp.join(dataset_cfg['data_root'], dataset_cfg['img_dir'])
    suffix = IMG_SUFFIX
    names = sorted(osp.relpath(osp.join(d, f), img_dir)[:-len(suffix)]
                   for d, _, files in os.walk(img_dir) for f in files
                   if f.endswith(suffix))[:SMOKE_IMAGES]
    path = osp.abspath(osp.join(SMOKE_ROOT, 'splits',
                                dataset_cfg['img_dir'].replace('/', '_') + '.txt'))
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(names) + '\n')
    return path


def _toy_dataset(role):
    base, split = TOY_DATASETS[role]
    cfg = Config.fromfile(osp.join(TOY_DATASET_DIR, base),
                          import_custom_modules=False)
    return copy.deepcopy(cfg.data[split])


def _role(split, dataset_cfg):
    if split in ('val', 'test'):
        return 'val'
    if split == 'pseudo_label':
        return 'pseudo_label'
    return 'uvpt' if dataset_cfg.get('type', '').startswith('PseudoLabel') else 'source'


def _set_crop(pipeline, crop):
    for step in pipeline:
        if 'crop_size' in step:
            step['crop_size'] = crop
        if step.get('type') == 'Pad':
            step['size'] = crop


def smoke_config(config_path):
    """The paper config at ``config_path`` turned into its 2-iteration toy twin."""
    cfg = Config.fromfile(config_path)
    for split in ('train', 'val', 'test', 'pseudo_label'):
        if split not in cfg.data:
            continue
        original = cfg.data[split]
        toy = _toy_dataset(_role(split, original))
        if original.get('type') in TOY_LAYOUTS:
            # the target's own dataset on its toy layout, with the toy pipeline
            toy = ConfigDict(copy.deepcopy(original),
                             data_root=toy_layout(original['type']),
                             pipeline=toy['pipeline'])
        for key in ('eval_subsets', 'pseudo_label_dir'):
            if key in original:
                toy[key] = original[key]
        if toy.get('img_dir', '').startswith('leftImg8bit'):
            toy['split'] = _split_file(toy)
        cfg.data[split] = toy
    if 'train' in cfg.data:
        _set_crop(cfg.data.train.pipeline, SMOKE_CROP)
    # mmseg's train loaders use persistent workers, which need at least one
    cfg.data.workers_per_gpu = 1
    if 'runner' in cfg:
        cfg.runner.max_iters = SMOKE_ITERS
        cfg.checkpoint_config.interval = SMOKE_ITERS
        cfg.evaluation.interval = SMOKE_ITERS
    cfg.log_config.interval = 1
    # random initialisation: a smoke run must not need ImageNet weights
    cfg.model.pretrained = None
    for key in ('pretrained', 'init_cfg'):
        cfg.model.backbone.pop(key, None)
    train_cfg = cfg.model.get('train_cfg') or {}
    if train_cfg.get('class_weight_file'):
        train_cfg['class_weight_file'] = TOY_CLASS_STATS
    if 'aug_model_dir' in cfg.model:
        cfg.model.aug_model_dir = SMOKE_MODEL_DIR
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'AdaptiveCorrectionHook':
            hook.interval = 1  # so that its check runs within the 2 iterations
    return cfg


def _random_checkpoint(model_cfg, path):
    """Save a randomly initialised model as an mmcv checkpoint at ``path``."""
    if osp.isfile(path):
        return path
    from mmseg.models import build_segmentor

    from ..checkpoints import atomic_save
    print(f'[smoke] writing random weights of {model_cfg.type} to {path}', flush=True)
    model = build_segmentor(model_cfg)
    model.init_weights()
    atomic_save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


def _source_model(name):
    """The model the pretraining config of source ``name`` trains, as it is saved
    (Source-GtA: with its group heads), built without training resources."""
    model = smoke_config(STAGES['pretrain'].config_path(split_target(name)[0])).model
    model.train_cfg = None
    return model


def _gta_weights():
    """Random stand-ins for the AdaIN and style-augmentor networks of Source-GtA."""
    from ..augmentations import write_random_weights
    try:
        write_random_weights(SMOKE_MODEL_DIR)
    except FileExistsError:
        pass  # made by an earlier smoke run


def _pseudo_label_setup(name, prepare):
    """Smoke pseudo-label config of the source of run ``name``; with ``prepare``
    also the random source checkpoint it reads."""
    stage = STAGES['pseudo_label']
    cfg = smoke_config(stage.config_path(name))
    cfg.source_checkpoint = osp.join(SMOKE_MODEL_DIR, split_target(name)[0] + '.pth')
    cfg.pseudo_label_dir = osp.join(SMOKE_ROOT, 'pseudo_labels', name)
    if prepare:
        # a checkpoint like the pretraining stage writes, not one of cfg.model, so
        # that a mismatch between the two stages shows in the smoke run
        _random_checkpoint(_source_model(name), cfg.source_checkpoint)
    return cfg


def _dump(cfg, stage, name):
    path = osp.join(GENERATED_DIR, stage.name, name + '.py')
    os.makedirs(osp.dirname(path), exist_ok=True)
    cfg.dump(path)
    return path


def prepare_smoke_job(job, dry_run=False):
    """The smoke twin of a paper job: its generated config and stand-in inputs.

    With ``dry_run`` only the config is written; nothing is generated or trained.
    A job of one seed (``--seeds``) keeps its seed and runs in the smoke work dir's
    ``seed{N}``; the stand-ins are shared by every seed.
    """
    stage = job.stage
    prepare = not dry_run
    if prepare:
        ensure_toy_data(adverse=split_target(job.name)[1] not in (None, 'cityscapes'))
    work_dir = seed_dir(stage.work_dir(job.name, SMOKE_ROOT), job.seed)
    checkpoint = None
    if stage.name == 'pretrain':
        cfg = smoke_config(job.config)
        if prepare and 'aug_model_dir' in cfg.model:
            _gta_weights()
    elif stage.name == 'pseudo_label':
        cfg = _pseudo_label_setup(job.name, prepare)
    else:
        source = _pseudo_label_setup(job.name, prepare)
        if prepare and stage.name == 'train':
            from ..apis.pseudo_label import generate_pseudo_labels
            generate_pseudo_labels(source, source.source_checkpoint,
                                   source.pseudo_label_dir)
        cfg = smoke_config(job.config)
        cfg.source_checkpoint = source.source_checkpoint
        cfg.data.train.pseudo_label_dir = source.pseudo_label_dir
        if stage.name == 'test':
            checkpoint = osp.join(SMOKE_MODEL_DIR, job.name + '_adapted.pth')
            if prepare:
                _random_checkpoint(cfg.model, checkpoint)
    return Job(stage, job.name, _dump(cfg, stage, job.name), work_dir, checkpoint,
               job.seed)
