"""The frozen DINOv2 ViT runs (not the paper's): four source models, their
pseudo-labels and adaptations, and the ViT cases of tools/benchmark.py.

Values are asserted on the resolved configs. What trains is checked on models built
from these configs with the ViT and the head at the tiny size (every other key, the
freezing switches included, as the config has it): a full ViT-B/14 or ViT-L/14 takes
long to build on the CPU, and the size does not change which parameters train.
"""
import contextlib
import io
import os.path as osp

import pytest
import torch
from mmcv import Config
from mmcv.runner import build_optimizer

import mmseg_uvpt  # noqa: F401  (registers the project's components)
from mmseg.models import build_segmentor
from mmseg_uvpt.benchmarking import harness as bench
from test_benchmark import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TARGET = '2cityscapes'
SOURCE_RUNS = [f'vit-{size}_standard_{dataset}' for size in ('b14', 'l14')
               for dataset in ('gta5', 'synthia')]
ADAPTED_RUNS = [run + TARGET for run in SOURCE_RUNS]
# The tiny ViT's sizes, swapped into a config's backbone and head before building
TINY_MODELS = {'EncoderDecoder': 'daformer_vit-tiny.py',
               'UVPTSegmentor': 'uvpt_daformer_vit-tiny.py'}
TINY_BACKBONE_KEYS = ('img_size', 'embed_dim', 'depth', 'num_heads', 'drop_path_rate',
                      'group_depths', 'pyramid_channels')
TINY_HEAD_KEYS = ('in_channels', 'channels', 'decoder_params')
PYRAMID = dict(lr_mult=10.0)
# what the benchmark's ViT cases must be: three settings of each ViT size
VIT_CASES = [f'uvpt_vit-{size}{suffix}' for size in ('b14', 'l14')
             for suffix in ('', '_opt', '_opt_cp')]


def load(stage, name):
    return Config.fromfile(osp.join(REPO, 'configs', stage, name + '.py'))


def twin(stage, run):
    """The paper's MiT-B5 run that ``run`` is built like (datasets, schedule,
    losses): both ViT sizes follow it."""
    return load(stage, run.replace(run.split('_')[0], 'mit-b5'))


def without(cfg_dict, *keys):
    return {k: v for k, v in cfg_dict.items() if k not in keys}


def build_tiny(cfg, overrides=None):
    """``(model, optimizer)`` of ``cfg`` with the tiny ViT's sizes (random init)."""
    model_cfg = cfg.model.deepcopy()
    tiny = Config.fromfile(osp.join(REPO, 'configs/_base_/models',
                                    TINY_MODELS[model_cfg.type])).model
    for key in TINY_BACKBONE_KEYS:
        model_cfg.backbone[key] = tiny.backbone[key]
    if model_cfg.backbone.get('prompt_cfg') is not None:
        model_cfg.backbone.prompt_cfg.update(
            num_heads=tiny.backbone.prompt_cfg.num_heads,
            inplanes=tiny.backbone.prompt_cfg.inplanes)
    for key in TINY_HEAD_KEYS:
        model_cfg.decode_head[key] = tiny.decode_head[key]
    model_cfg.backbone.init_cfg = None  # no DINOv2 file in the tests
    model_cfg.backbone.update(overrides or {})
    model = build_segmentor(model_cfg)
    return model, build_optimizer(model, cfg.optimizer)


def part(name):
    """'decode_head', 'backbone.pyramid', 'backbone.blocks', ... of a parameter name."""
    top, _, rest = name.partition('.')
    return f'{top}.{rest.split(".")[0]}' if top == 'backbone' else top


def lrs(model, optimizer):
    """name -> learning rate of every parameter with a gradient."""
    group_lr = {id(p): g['lr'] for g in optimizer.param_groups for p in g['params']}
    return {n: group_lr[id(p)] for n, p in model.named_parameters() if p.requires_grad}


def test_every_stage_has_its_four_configs():
    for stage, runs in (('pretrain', SOURCE_RUNS), ('pseudo_label', ADAPTED_RUNS),
                        ('uvpt', ADAPTED_RUNS)):
        for run in runs:
            path = osp.join(REPO, 'configs', stage, run + '.py')
            assert osp.isfile(path), path


@pytest.mark.parametrize('run', SOURCE_RUNS)
def test_pretrain_freezes_the_vit_and_trains_pyramid_and_head(run):
    cfg = load('pretrain', run)
    size = run.split('_')[0].split('-')[1]
    backbone = cfg.model.backbone
    assert cfg.model.type == 'EncoderDecoder' and backbone.type == 'ViTPrompt'
    assert backbone.freeze_backbone is True and backbone.with_prompt_adapter is False
    assert backbone.init_cfg.checkpoint == f'model/dinov2_vit{size[0]}14_pretrain.pth'
    custom_keys = cfg.optimizer.paramwise_cfg.custom_keys
    assert custom_keys == dict(head=dict(lr_mult=10.0), pyramid=PYRAMID)

    base = cfg.optimizer.lr
    model, optimizer = build_tiny(cfg)
    trained = lrs(model, optimizer)
    assert {part(n) for n in trained} == {'backbone.pyramid', 'decode_head'}
    assert all(lr == pytest.approx(10 * base) for lr in trained.values())

    # the full fine-tuning switch of the header comment: the ViT trains at the base
    # LR, the pyramid and the head stay at 10x
    model, optimizer = build_tiny(cfg, dict(freeze_backbone=False))
    trained = lrs(model, optimizer)
    assert len(trained) == len(list(model.parameters()))
    for name, lr in trained.items():
        fast = part(name) in ('backbone.pyramid', 'decode_head')
        assert lr == pytest.approx(10 * base if fast else base), name


@pytest.mark.parametrize('run', SOURCE_RUNS)
def test_pretrain_is_the_mit_standard_recipe(run):
    cfg, mit = load('pretrain', run), twin('pretrain', run)
    for key in ('data', 'lr_config', 'runner', 'checkpoint_config', 'evaluation'):
        assert cfg[key] == mit[key], key
    # the LR is MiT-B5's standard run's (the header comment says why)
    assert without(cfg.optimizer, 'paramwise_cfg') == without(mit.optimizer,
                                                              'paramwise_cfg')
    mit_keys = dict(mit.optimizer.paramwise_cfg.custom_keys, pyramid=PYRAMID)
    assert cfg.optimizer.paramwise_cfg == dict(mit.optimizer.paramwise_cfg,
                                               custom_keys=mit_keys)


@pytest.mark.parametrize('run', ADAPTED_RUNS)
def test_pseudo_label_reads_its_source_model(run):
    cfg = load('pseudo_label', run)
    source = run[:-len(TARGET)]
    assert cfg.source_checkpoint == f'model/{source}.pth'
    assert cfg.pseudo_label_dir == f'data/pseudo_labels/{run}'
    assert cfg.data == twin('pseudo_label', run).data
    # the labelling model is the pretrained one, so the checkpoint fits key for key
    pretrain = load('pretrain', source)
    assert cfg.model.type == 'EncoderDecoder'
    assert without(cfg.model.backbone, 'init_cfg') == without(pretrain.model.backbone,
                                                              'init_cfg')
    assert cfg.model.decode_head == pretrain.model.decode_head


@pytest.mark.parametrize('run', ADAPTED_RUNS)
def test_uvpt_config(run):
    cfg, pseudo, mit = load('uvpt', run), load('pseudo_label', run), twin('uvpt', run)
    assert cfg.source_checkpoint == pseudo.source_checkpoint
    assert cfg.data.train.pseudo_label_dir == pseudo.pseudo_label_dir
    source = osp.splitext(osp.basename(cfg.source_checkpoint))[0]
    assert source in SOURCE_RUNS and osp.isfile(
        osp.join(REPO, 'configs', 'pretrain', source + '.py'))

    # datasets (SYNTHIA's evaluation subsets included), schedule and losses as MiT-B5's
    mit.data.train.pseudo_label_dir = cfg.data.train.pseudo_label_dir
    assert cfg.data == mit.data
    for key in ('lr_config', 'runner', 'checkpoint_config', 'evaluation',
                'custom_hooks'):
        assert cfg[key] == mit[key], key
    mit_keys = dict(mit.optimizer.paramwise_cfg.custom_keys, pyramid=PYRAMID)
    assert cfg.optimizer == dict(mit.optimizer, paramwise_cfg=dict(
        mit.optimizer.paramwise_cfg, custom_keys=mit_keys))
    assert without(cfg.model, 'backbone', 'decode_head') == without(
        mit.model, 'backbone', 'decode_head')
    assert without(cfg.model.decode_head, 'in_channels') == without(
        mit.model.decode_head, 'in_channels')

    # the source model's ViT, frozen, with the adapter
    backbone = cfg.model.backbone
    source_backbone = load('pretrain', source).model.backbone
    assert backbone.type == 'ViTPrompt' and backbone.freeze_backbone is True
    assert backbone.with_prompt_adapter is True
    for key in TINY_BACKBONE_KEYS + ('patch_size', 'reg_tokens', 'no_embed_class',
                                     'init_values'):
        assert backbone[key] == source_backbone[key], key

    # the ViT frozen; adapter x5, pyramid and head x10, the mixture logits x1
    model, optimizer = build_tiny(cfg)
    trained = lrs(model, optimizer)
    lr_mult = {'backbone.prompt_adapter': 5, 'backbone.pyramid': 10, 'decode_head': 10}
    assert {part(n) for n in trained if n.startswith('backbone.')} == {
        'backbone.prompt_adapter', 'backbone.pyramid'}
    for name, lr in trained.items():
        assert lr == pytest.approx(lr_mult.get(part(name), 1) * cfg.optimizer.lr), name


def test_benchmark_has_the_vit_cases():
    assert set(VIT_CASES) <= set(bench.CASES)
    for name in VIT_CASES:
        size = name.split('_')[1]
        case = bench.CASES[name]
        assert case['config'] == f'configs/_base_/models/uvpt_daformer_{size}.py'
        assert case['toy_config'] == 'configs/_base_/models/uvpt_daformer_vit-tiny.py'
        # the same settings as every backbone's case of that suffix
        other = bench.CASES[name.replace(size, 'swin-b')]
        assert (case['overrides'], case['tf32'], case['schedule']) == (
            other['overrides'], other['tf32'], other['schedule'])
    assert bench.CASES['uvpt_vit-b14_opt']['overrides'] == {
        'model.amp_dtype': 'bfloat16', 'model.backbone.fused_attention': True}
    # their configs and schedule exist, full size and tiny
    for toy in (False, True):
        bench.select_cases(VIT_CASES, toy=toy)

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert load_tool().main(['--list']) == 0
    listed = [line.split()[0] for line in printed.getvalue().splitlines()
              if line and not line[0].isspace()]
    assert set(VIT_CASES) <= set(listed)


def test_benchmark_vit_overrides_reach_the_model():
    fp32, _ = bench.build_case(bench.select_cases(['uvpt_vit-b14'], toy=True)[0], 'cpu')
    assert fp32.amp_dtype is None
    assert not any(block.attn.fused_attn for block in fp32.backbone.blocks)
    opt, _ = bench.build_case(bench.select_cases(['uvpt_vit-l14_opt_cp'], toy=True)[0],
                              'cpu')
    assert opt.amp_dtype is torch.bfloat16 and opt.backbone.with_cp
    assert all(block.attn.fused_attn for block in opt.backbone.blocks)
    assert all(i.with_cp for i in opt.backbone.prompt_adapter.interactors)


def test_benchmark_vit_case_runs_a_step():
    # the tiny twin through the harness: three scales, losses, backward, AdamW step,
    # whole-image inference (fp32: oneDNN's bf16 convolutions are wrong at some toy
    # shapes on the CPU, see benchmarks/README.md)
    case = bench.select_cases(['uvpt_vit-b14'], toy=True)[0]
    result, = bench.run_cases([case], 'cpu', 1, 64, (64, 32), iters=1, warmup=0)
    assert result['status'] == 'ok', result['status']
    assert 0 < result['trainable_params'] < result['total_params']
    assert torch.isfinite(torch.tensor(result['last_loss']))
