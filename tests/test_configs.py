"""The paper's 24 configs and the toy configs: values on the loaded configs (full
size), and every config built (models with the tiny backbone swapped in, pipelines,
optimizer parameter groups, hooks)."""
import os.path as osp

import pytest
import torch
from mmcv import Config
from mmcv.runner import HOOKS, build_optimizer
from mmcv.utils import build_from_cfg

import mmseg_uvpt  # noqa: F401  (registers the project's components)
from mmseg.datasets.pipelines import Compose
from mmseg.models import build_segmentor
from mmseg_uvpt.launch.jobs import STAGES
from mmseg_uvpt.launch.paper_runs import TARGET_SUFFIX

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN = STAGES['pretrain'].run_names()
ADAPT = STAGES['train'].run_names()

# docs/method.md §7: (standard, Source-GtA) pretraining LR per backbone and source set
PRETRAIN_LR = {
    ('swin-b', 'gta5'): (6e-6, 1e-5), ('swin-b', 'synthia'): (2e-6, 2e-6),
    ('mit-b5', 'gta5'): (2e-5, 8e-6), ('mit-b5', 'synthia'): (2e-6, 4e-6)}
SOURCE_SCALE = dict(gta5=(1280, 720), synthia=(1280, 760))
BACKBONE_TYPE = {'swin-b': 'SwinTransformer', 'mit-b5': 'MixVisionTransformer'}
TINY = {'SwinTransformer': 'swin-tiny', 'SwinPrompt': 'swin-tiny',
        'MixVisionTransformer': 'mit-tiny', 'MiTPrompt': 'mit-tiny'}
MODEL_KIND = dict(EncoderDecoder='daformer', SourceGtASegmentor='source-gta',
                  UVPTSegmentor='uvpt_daformer')


def load(stage, name):
    return Config.fromfile(osp.join(REPO, STAGES[stage].config_path(name)))


def parts(name):
    backbone, source_model, dataset = name.replace(TARGET_SUFFIX, '').split('_')
    return backbone, source_model, dataset


def step(pipeline, step_type):
    found = [s for s in pipeline if s['type'] == step_type]
    assert len(found) == 1, (step_type, [s['type'] for s in pipeline])
    return found[0]


def check_eval_split(cfg, dataset):
    """Cityscapes val, whole image at 1024x512, single scale; SYNTHIA: mIoU16/13."""
    for split in ('val', 'test'):
        ds = cfg.data[split]
        assert ds.type == 'UVPTCityscapesDataset' and ds.img_dir == 'leftImg8bit/val'
        aug = step(ds.pipeline, 'MultiScaleFlipAug')
        assert aug.img_scale == (1024, 512) and aug.flip is False
        assert ds.get('eval_subsets') == ('synthia' if dataset == 'synthia' else None)
    assert cfg.model.test_cfg.mode == 'whole'
    assert cfg.model.decode_head.num_classes == 19


@pytest.mark.parametrize('name', PRETRAIN)
def test_pretrain_config_values(name):
    backbone, source_model, dataset = parts(name)
    cfg = load('pretrain', name)
    gta = source_model == 'source-gta'
    assert cfg.optimizer.lr == PRETRAIN_LR[(backbone, dataset)][gta]
    assert cfg.optimizer.type == 'AdamW' and cfg.optimizer.betas == (0.9, 0.999)
    assert cfg.optimizer.paramwise_cfg.custom_keys == dict(head=dict(lr_mult=10.0))
    # the LR schedule is read off the running optimiser in tests/test_runner_lr.py
    assert cfg.runner.max_iters == (40000 if gta else 400000)
    assert cfg.model.type == ('SourceGtASegmentor' if gta else 'EncoderDecoder')
    assert cfg.model.backbone.type == BACKBONE_TYPE[backbone]
    assert cfg.model.backbone.init_cfg.checkpoint.startswith('model/')
    if gta:  # the release's fixed list (tests/test_pretrain_parity.py)
        assert cfg.model.train_cfg.class_weight_file is None
        assert len(cfg.model.train_cfg.class_weight) == 19
    assert cfg.data.samples_per_gpu == 2
    train = cfg.data.train
    assert train.type == ('GTADataset' if dataset == 'gta5' else 'SynthiaDataset')
    assert step(train.pipeline, 'Resize').img_scale == SOURCE_SCALE[dataset]
    assert step(train.pipeline, 'RandomCrop').crop_size == (512, 512)
    check_eval_split(cfg, dataset)


@pytest.mark.parametrize('name', ADAPT)
def test_pseudo_label_config_values(name):
    backbone, source_model, dataset = parts(name)
    cfg = load('pseudo_label', name)
    source = name[:-len(TARGET_SUFFIX)]
    assert cfg.source_checkpoint == f'model/{source}.pth'
    assert cfg.pseudo_label_dir == f'data/pseudo_labels/{name}'
    ds = cfg.data.pseudo_label
    assert ds.img_dir == 'leftImg8bit/train' and ds.data_root == 'data/cityscapes/'
    aug = step(ds.pipeline, 'MultiScaleFlipAug')
    assert aug.img_scale == (1024, 512) and aug.flip is False
    assert cfg.model.test_cfg.mode == 'whole'
    # the labelling model is the pretrained one (Source-GtA: its global head), so
    # the source checkpoint fits it key for key
    pretrain = load('pretrain', source)
    assert cfg.model.type == 'EncoderDecoder'
    for part in ('backbone', 'decode_head'):
        ours = {k: v for k, v in cfg.model[part].items() if k != 'init_cfg'}
        theirs = {k: v for k, v in pretrain.model[part].items() if k != 'init_cfg'}
        assert ours == theirs, part


@pytest.mark.parametrize('name', ADAPT)
def test_uvpt_config_values(name):
    backbone, _, dataset = parts(name)
    cfg = load('train', name)
    pseudo = load('pseudo_label', name)
    assert cfg.source_checkpoint == pseudo.source_checkpoint
    assert cfg.data.train.pseudo_label_dir == pseudo.pseudo_label_dir
    opt = cfg.optimizer
    assert opt.lr == (6e-6 if backbone == 'swin-b' else 4e-6)
    assert (opt.type, opt.betas, opt.weight_decay) == ('AdamW', (0.9, 0.999), 0.01)
    assert opt.constructor == 'UVPTOptimizerConstructor'
    assert opt.paramwise_cfg.norm_decay_mult == 1.0   # norms decay, as the release
    assert opt.paramwise_cfg.custom_keys == dict(
        prompt_adapter=dict(lr_mult=5.0), decode_head=dict(lr_mult=10.0))
    assert cfg.runner == dict(type='UVPTIterBasedRunner', max_iters=80000)
    hook = step(cfg.custom_hooks, 'AdaptiveCorrectionHook')
    assert (hook.num_classes, hook.interval, hook.queue_size, hook.quantile,
            hook.trigger) == (19, 200, 1000, 0.8, 0.95)
    assert cfg.model.type == 'UVPTSegmentor'
    prompted = {'swin-b': 'SwinPrompt', 'mit-b5': 'MiTPrompt'}
    assert cfg.model.backbone.type == prompted[backbone]
    assert cfg.model.backbone.get('freeze_backbone', True) is True  # contract default
    source_backbone = load('pretrain', name[:-len(TARGET_SUFFIX)]).model.backbone
    for key in ('embed_dims', 'num_heads', 'depths', 'num_layers', 'drop_path_rate'):
        assert cfg.model.backbone.get(key) == source_backbone.get(key), key

    assert cfg.data.samples_per_gpu == 1
    train = cfg.data.train
    assert train.type == 'PseudoLabelCityscapesDataset'
    assert train.img_dir == 'leftImg8bit/train'
    types = [s['type'] for s in train.pipeline]
    assert types[:6] == ['LoadImageFromFile', 'LoadCorrectedAnnotations', 'Resize',
                         'RandomCropWithBox', 'RandomFlip', 'PhotoMetricDistortion']
    assert step(train.pipeline, 'Resize').img_scale == (1024, 512)
    crop = step(train.pipeline, 'RandomCropWithBox')
    assert crop.crop_size == (512, 512) and crop.cat_max_ratio == 0.75
    meta_keys = step(train.pipeline, 'Collect').meta_keys
    assert {'crop_bbox', 'label_path', 'flip', 'ori_shape'} <= set(meta_keys)
    check_eval_split(cfg, dataset)


def with_tiny_model(cfg):
    """``cfg.model`` with the backbone and head of the tiny variant of its kind."""
    tiny = Config.fromfile(osp.join(
        REPO, 'configs/_base_/models',
        f'{MODEL_KIND[cfg.model.type]}_{TINY[cfg.model.backbone.type]}.py'))
    model = cfg.model.deepcopy()
    model.backbone = tiny.model.backbone
    model.decode_head = tiny.model.decode_head
    return model


def param_group(optimizer, param):
    return next(g for g in optimizer.param_groups if g['params'][0] is param)


def build_all(cfg):
    """Build the model, every pipeline and hook, and the optimizer of a config."""
    model_cfg = cfg.model
    if model_cfg.type == 'SourceGtASegmentor':
        # without train_cfg it needs neither AdaIN weights nor class statistics
        model_cfg = model_cfg.deepcopy()
        model_cfg.train_cfg = None
    model = build_segmentor(model_cfg)
    for split in ('train', 'val', 'test', 'pseudo_label'):
        if split in cfg.data:
            Compose(cfg.data[split].pipeline)
    for hook in cfg.get('custom_hooks', []):
        build_from_cfg(hook, HOOKS)
    optimizer = build_optimizer(model, cfg.optimizer) if 'optimizer' in cfg else None
    return model, optimizer


ALL_CONFIGS = ([('pretrain', n) for n in PRETRAIN]
               + [('pseudo_label', n) for n in ADAPT] + [('train', n) for n in ADAPT])


@pytest.mark.parametrize('stage,name', ALL_CONFIGS)
def test_paper_config_builds(stage, name):
    cfg = load(stage, name)
    cfg.model = with_tiny_model(cfg)
    model, optimizer = build_all(cfg)
    if optimizer is None:
        return
    base, wd = cfg.optimizer.lr, cfg.optimizer.weight_decay
    head = model.decode_head.conv_seg.weight
    assert param_group(optimizer, head)['lr'] == pytest.approx(10 * base)
    if stage == 'train':
        adapter = model.backbone.prompt_adapter
        weight = next(p for n, p in adapter.named_parameters() if n.endswith('weight'))
        norm = next(m for m in adapter.modules() if isinstance(m, torch.nn.LayerNorm))
        assert param_group(optimizer, weight)['lr'] == pytest.approx(5 * base)
        assert param_group(optimizer, norm.weight)['lr'] == pytest.approx(5 * base)
        # norms decay too, as in the reference release (docs/fidelity.md)
        assert param_group(optimizer, norm.weight)['weight_decay'] == pytest.approx(wd)
        mix_logits = param_group(optimizer, model.pred_mix_logits)
        assert mix_logits['lr'] == pytest.approx(base)
    else:
        norm = next(m for m in model.backbone.modules()
                    if isinstance(m, torch.nn.LayerNorm))
        assert param_group(optimizer, norm.weight)['weight_decay'] == 0
        assert param_group(optimizer, norm.weight)['lr'] == pytest.approx(base)
    assert param_group(optimizer, head)['weight_decay'] == pytest.approx(wd)


TOY = ['pretrain_mit-tiny', 'pseudo_label_mit-tiny', 'uvpt_mit-tiny',
       'test_source_mit-tiny']


def test_toy_configs_build_and_chain():
    cfgs = {n: Config.fromfile(osp.join(REPO, 'configs/toy', n + '.py')) for n in TOY}
    for cfg in cfgs.values():
        build_all(cfg)
        assert cfg.data.val.data_root == 'data/toy/target/'
        assert step(cfg.data.val.pipeline, 'MultiScaleFlipAug').img_scale == (512, 256)
    pretrain, pseudo, uvpt, test = (cfgs[n] for n in TOY)
    # each stage reads what the previous one writes, with the same source model
    assert pseudo.model == test.model == pretrain.model
    assert pseudo.source_checkpoint == uvpt.source_checkpoint
    assert pseudo.pseudo_label_dir == uvpt.data.train.pseudo_label_dir
    assert pretrain.data.train.data_root == 'data/toy/source/'
    assert pseudo.data.pseudo_label.img_dir == uvpt.data.train.img_dir
    crop = step(uvpt.data.train.pipeline, 'RandomCropWithBox')
    assert crop.crop_size[0] < 512
    assert pretrain.runner.max_iters < 1000 and uvpt.runner.max_iters < 1000
