"""The paper's 8 adaptation configs, resolved by mmcv, carry the reference release's
training settings (docs/fidelity.md, "Adaptation: model, losses and training
settings"), and the release-compatible configs compute as the release's models."""
import inspect
from pathlib import Path

import pytest
import torch
from mmcv import Config
from mmseg.core import build_optimizer
from mmseg.models import build_segmentor
from mmseg.models.builder import BACKBONES, SEGMENTORS

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis.train_segmentor import optimizer_settings
from mmseg_uvpt.models.adapters import PromptAdapter
from mmseg_uvpt.launch.jobs import STAGES

REPO = Path(__file__).resolve().parents[1]
RUNS = STAGES['train'].run_names()

#: what the release's launcher_train.py / train.py / configs set, per backbone
RELEASE = {
    'swin-b': dict(lr=6e-6, drop_path_rate=0.3),
    'mit-b5': dict(lr=4e-6, drop_path_rate=0.1),
}


def load(folder, name):
    return Config.fromfile(REPO / 'configs' / folder / f'{name}.py')


def with_defaults(cls, cfg):
    """``cfg`` over the constructor defaults of ``cls``: what the model is built with."""
    defaults = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    return Config({**defaults, **cfg})


def resolved_model(cfg):
    model = with_defaults(SEGMENTORS.get(cfg.model.type), cfg.model)
    model.backbone = with_defaults(BACKBONES.get(model.backbone.type), model.backbone)
    model.backbone.prompt_cfg = with_defaults(PromptAdapter, model.backbone.prompt_cfg)
    return model


@pytest.mark.parametrize('name', RUNS)
def test_paper_config_has_the_release_training_settings(name):
    cfg = load('uvpt', name)
    release = RELEASE[name.split('_')[0]]
    # batch 1 per GPU, 80k iterations (train.py's --batch-size 1 --train-iter 80000)
    assert cfg.data.samples_per_gpu == 1
    assert cfg.runner.max_iters == 80000
    # AdamW (0.9, 0.999), LR per backbone, x5 adapter, x10 head, decay 0.01 on every
    # trainable tensor (mmcv's first matching custom key keeps the release's norms
    # decayed)
    opt = cfg.optimizer
    assert (opt.type, opt.lr, opt.betas, opt.weight_decay) == \
        ('AdamW', release['lr'], (0.9, 0.999), 0.01)
    assert opt.paramwise_cfg.custom_keys == dict(
        prompt_adapter=dict(lr_mult=5.0), decode_head=dict(lr_mult=10.0))
    assert opt.paramwise_cfg.norm_decay_mult == 1.0
    # the LR schedule (cosine to 1e-5 by iteration, no warm-up) is read off the
    # running optimiser in tests/test_runner_lr.py
    # evaluation every 2000 iterations keeping the best checkpoint by mIoU
    assert cfg.evaluation.interval == 2000 and cfg.evaluation.save_best == 'mIoU'
    # stochastic depth: the backbone's rate, also on the extractors' ConvFFN branch
    model = resolved_model(cfg)
    backbone = model.backbone
    assert backbone.drop_path_rate == release['drop_path_rate']
    assert backbone.frozen_drop_path is True
    assert backbone.prompt_cfg.drop_path_rate is None   # None: the backbone's
    # losses: weights, threshold, the consistency averaged over all pixels
    assert model.decode_head.loss_decode == dict(type='SelfTrainingLoss',
                                                 entropy_weight=0.005)
    assert model.loss_pred_consistency == dict(
        type='PredictionConsistencyLoss', conf_threshold=0.8, loss_weight=1.0,
        average_over='all')
    assert model.loss_prompt_consistency == dict(type='PromptConsistencyLoss',
                                                 loss_weight=0.001, clamp=True)
    assert model.scales == (1.0, 0.5, 2.0) and model.train_align_corners is True
    # the paper's model (the release differs here; configs/uvpt/release/)
    assert backbone.prompt_cfg.prompt_handover == 'updated'
    assert backbone.prompt_cfg.level_embed is True


@pytest.mark.parametrize('name', [n for n in RUNS if n.startswith('mit-b5')])
def test_mit_b5_source_models_have_the_release_drop_path(name):
    source = name[:-len('2cityscapes')]
    for folder, config in (('pretrain', source), ('pseudo_label', name)):
        assert load(folder, config).model.backbone.drop_path_rate == 0.1, folder


@pytest.mark.parametrize('name', RUNS)
def test_release_configs_differ_only_in_the_forward(name):
    paper, release = load('uvpt', name), load('uvpt/release', name)
    prompt_cfg = release.model.backbone.prompt_cfg
    assert prompt_cfg.prompt_handover == 'input'
    assert prompt_cfg.level_embed is name.startswith('swin-b')
    # everything else is the paper config's
    release.model.backbone.prompt_cfg.update(
        prompt_handover='updated', level_embed=True)
    assert release.model == paper.model
    release_rest = {k: v for k, v in release._cfg_dict.items() if k != 'model'}
    assert release_rest == {k: v for k, v in paper._cfg_dict.items() if k != 'model'}


def tiny(cfg):
    """The tiny MiT of the toy configs in place of MiT-B5, keeping every switch."""
    tiny_cfg = Config.fromfile(REPO / 'configs/_base_/models/uvpt_daformer_mit-tiny.py')
    cfg.model.backbone.update({k: tiny_cfg.model.backbone[k] for k in (
        'embed_dims', 'num_layers', 'num_heads')})
    cfg.model.backbone.prompt_cfg.update(num_heads=4, inplanes=16)
    cfg.model.decode_head = tiny_cfg.model.decode_head
    return cfg


def test_weight_decay_reaches_every_trainable_tensor():
    cfg = tiny(load('uvpt', 'mit-b5_standard_gta52cityscapes'))
    model = build_segmentor(cfg.model)
    optimizer = build_optimizer(model, optimizer_settings(cfg))
    names = {id(p): n for n, p in model.named_parameters()}
    groups = [(names[id(g['params'][0])], g) for g in optimizer.param_groups
              if g['params'][0].requires_grad]
    norms = [n for n, _ in groups if 'norm' in n or '.bn.' in n]
    assert norms and len(groups) == sum(p.requires_grad for p in model.parameters())
    for name, group in groups:
        assert group['weight_decay'] == pytest.approx(0.01), name
        mult = 5 if 'prompt_adapter' in name else 10 if 'decode_head' in name else 1
        assert group['lr'] == pytest.approx(4e-6 * mult), name


def test_extractor_drop_path_is_the_backbones_and_active_in_training():
    cfg = tiny(load('uvpt', 'mit-b5_source-gta_synthia2cityscapes'))
    model = build_segmentor(cfg.model)
    rates = [i.extractor.drop_path.drop_prob
             for i in model.backbone.prompt_adapter.interactors]
    assert rates == [0.1] * 4
    # an explicit prompt_cfg.drop_path_rate wins; 0 means no stochastic depth
    cfg.model.backbone.prompt_cfg.drop_path_rate = 0.
    plain = build_segmentor(cfg.model)
    assert all(isinstance(i.extractor.drop_path, torch.nn.Identity)
               for i in plain.backbone.prompt_adapter.interactors)
    # in training the ConvFFN branch of a sample is dropped (and the rest scaled)
    # with the backbone's rate: with rate 0.5 over many samples about half are
    extractor = model.backbone.prompt_adapter.interactors[0].extractor
    extractor.drop_path.drop_prob = 0.5
    branch = torch.ones(4000, 3, 2)
    extractor.train()
    kept = (extractor.drop_path(branch) != 0).all(dim=(1, 2)).float().mean()
    assert 0.45 < kept < 0.55
    extractor.eval()
    assert torch.equal(extractor.drop_path(branch), branch)

