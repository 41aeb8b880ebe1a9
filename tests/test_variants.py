"""The ablations and PEFT baselines of docs/variants.md (``configs/variants/``).

Each variant config resolves to its adaptation config plus exactly the changes its
name says; the baselines' trainable-parameter counts equal hand-computed ones; every
variant trains two steps on random data (finite losses, frozen tensors untouched,
trained ones moved); the no-adapter backbone computes the stock backbone and LoRA
starts as the model it updates; and two real ``train.py`` runs: LoRA (prompt-only
checkpoint saved, loaded back on its source, same logits) and the variant without
the correction (the label pipeline works without the hook).
"""
import copy
import os
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmcv import Config
from mmcv.runner import HOOKS, Hook, build_optimizer
from mmseg.models import build_segmentor
from mmseg.models.backbones import MixVisionTransformer

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.checkpoints import load_checkpoint_file
from mmseg_uvpt.checkpoints.prompt_only import PROMPT_ONLY_KEY, is_prompt_only
from mmseg_uvpt.correction.configure import configure_correction
from mmseg_uvpt.models.backbones import MiTPrompt
from mmseg_uvpt.models.backbones.peft import (LoRALinear, LoRAMultiheadAttention,
                                              set_backbone_tuning)
from mmseg_uvpt.runtime import load_model_checkpoint
from mmseg_uvpt.utils.param_report import param_table
from test_apis_support import (dump_config, eval_pipeline, run_config,
                               save_source_checkpoint, train_pipeline, uvpt_models,
                               write_cityscapes_like)
from test_resolved_configs import canonical_lines

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
RUNS = {'uvpt_mit-tiny': 'configs/toy/uvpt_mit-tiny.py',
        'swin-b_standard_gta52cityscapes':
            'configs/uvpt/swin-b_standard_gta52cityscapes.py'}
NO_ADAPTER = {'.model.backbone.with_prompt_adapter', '.model.backbone.prompt_cfg',
              '.model.scales', '.model.loss_pred_consistency',
              '.model.loss_prompt_consistency', '.model.backbone_tuning'}
#: variant -> the resolved keys (paths of canonical_lines) that differ from the
#: adaptation config, besides ``.variant``: everything else (data, pseudo-labels,
#: source checkpoint, schedule, hooks) is the same pipeline
CHANGED = {
    'no-correction': {'.custom_hooks'},
    'no-pred-consistency': {'.model.loss_pred_consistency'},
    'no-prompt-consistency': {'.model.loss_prompt_consistency'},
    'single-scale': {'.model.scales', '.model.loss_pred_consistency',
                     '.model.loss_prompt_consistency'},
    'no-prompt-adapter': NO_ADAPTER,
    'head-only': NO_ADAPTER,
    'full-finetune': NO_ADAPTER | {'.model.backbone.freeze_backbone',
                                   '.prompt_only_checkpoints'},
    'bitfit': NO_ADAPTER | {'.optimizer.paramwise_cfg.custom_keys.backbone'},
    'lora': NO_ADAPTER | {'.model.lora_cfg',
                          '.optimizer.paramwise_cfg.custom_keys.lora_'},
}
VARIANTS = sorted(CHANGED)


def variant_path(variant, run):
    return osp.join(REPO, 'configs', 'variants', variant, f'{run}_{variant}.py')


def load(variant, run):
    return Config.fromfile(variant_path(variant, run))


def _flat(cfg):
    lines = canonical_lines(cfg._cfg_dict.to_dict())
    return dict(line.split(' = ', 1) for line in lines)


def _top(path, changed):
    """The entry of ``changed`` that ``path`` lies under, or None."""
    for prefix in changed:
        if path == prefix or path.startswith((prefix + '.', prefix + '[',
                                              prefix + '(')):
            return prefix
    return None


# --- the resolved configs ----------------------------------------------------------

def test_every_variant_folder_is_tested():
    folders = sorted(os.listdir(osp.join(REPO, 'configs', 'variants')))
    assert [f for f in folders if not f.endswith('.md')] == VARIANTS
    for variant in VARIANTS:
        assert sorted(os.listdir(osp.join(REPO, 'configs', 'variants', variant))) == \
            sorted(f'{run}_{variant}.py' for run in RUNS)


@pytest.mark.parametrize('run', sorted(RUNS))
@pytest.mark.parametrize('variant', VARIANTS)
def test_variant_changes_only_what_its_name_says(variant, run):
    base, cfg = Config.fromfile(osp.join(REPO, RUNS[run])), load(variant, run)
    assert cfg.variant.name == variant and cfg.variant.description
    a, b = _flat(base), _flat(cfg)
    differ = {p for p in set(a) | set(b) if a.get(p) != b.get(p)}
    differ = {p for p in differ if not p.startswith('.variant')}
    # every difference is under an expected key, and every expected key changed
    assert {p for p in differ if _top(p, CHANGED[variant]) is None} == set()
    assert {_top(p, CHANGED[variant]) for p in differ} == CHANGED[variant]


@pytest.mark.parametrize('run', sorted(RUNS))
def test_variant_values(run, tmp_path):
    cfg = load('no-correction', run)
    assert not any(h['type'] == 'AdaptiveCorrectionHook' for h in cfg.custom_hooks)
    # train.py's wiring gives the label loader no store: it reads the pseudo-labels
    configure_correction(cfg, str(tmp_path))
    loaders = [s for s in cfg.data.train.pipeline
               if s['type'] == 'LoadCorrectedAnnotations']
    assert loaders and all(s['store_dir'] is None for s in loaders)
    assert load('no-pred-consistency', run).model.loss_pred_consistency is None
    assert load('no-prompt-consistency', run).model.loss_prompt_consistency is None
    single = load('single-scale', run).model
    assert single.scales == (1.0, ) and single.backbone.prompt_cfg is not None
    for variant in ('no-prompt-adapter', 'head-only', 'full-finetune', 'bitfit',
                    'lora'):
        model = load(variant, run).model
        assert model.backbone.with_prompt_adapter is False
        assert model.scales == (1.0, )
        assert model.loss_pred_consistency is None
        assert model.loss_prompt_consistency is None
    assert load('head-only', run).model == load('no-prompt-adapter', run).model
    full = load('full-finetune', run)
    assert full.model.backbone_tuning == 'full'
    assert full.model.backbone.freeze_backbone is False
    assert full.prompt_only_checkpoints is False
    assert load('bitfit', run).model.backbone_tuning == 'bitfit'
    lora = load('lora', run)
    assert lora.model.backbone_tuning == 'lora'
    assert lora.model.lora_cfg == dict(rank=8, alpha=8)
    assert lora.optimizer.paramwise_cfg.custom_keys['lora_'] == dict(lr_mult=5.0)


# --- models: tiny builds -------------------------------------------------------------

def tiny_model_cfg(cfg):
    """``cfg.model`` (num classes kept), Swin-B swapped for the tiny Swin of
    configs/_base_/models/uvpt_daformer_swin-tiny.py, the variant's backbone
    switches kept."""
    model = cfg.model.deepcopy()
    if model.backbone.type != 'SwinPrompt':
        return model
    tiny = Config.fromfile(osp.join(REPO, 'configs/_base_/models/'
                                          'uvpt_daformer_swin-tiny.py')).model
    backbone = tiny.backbone
    for key in ('with_prompt_adapter', 'freeze_backbone'):
        if key in model.backbone:
            backbone[key] = model.backbone[key]
    if model.backbone.get('with_prompt_adapter', True) is False:
        backbone.prompt_cfg = None
    model.backbone, model.decode_head = backbone, tiny.decode_head
    return model


def build(variant, run, **overrides):
    cfg = load(variant, run) if variant != 'uvpt' else Config.fromfile(
        osp.join(REPO, RUNS[run]))
    model_cfg = tiny_model_cfg(cfg)
    model_cfg.update(overrides)
    torch.manual_seed(0)
    model = build_segmentor(model_cfg)
    model.init_weights()
    return model, cfg


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def mit_tiny_counts():
    """Hand counts for the toy tiny MiT (configs/_base_/models/daformer_mit-tiny.py):
    embed dims 16, 2 blocks a stage, heads (1, 2, 4, 8) so widths C = 16, 32, 64,
    128, patch kernels 7, 3, 3, 3 on 3, 16, 32, 64 input channels, spatial
    reduction 8, 4, 2, 1, MLP ratio 4, biases everywhere; and its DAFormer head."""
    # the decode head: 19 classes, embed 64 per level, 64 channels, BN
    embeds = (16 + 32 + 64 + 128) * 64 + 4 * 64          # Linear(C_i, 64) x 4 = 15616
    aspp_1x1 = 256 * 64 + 2 * 64                          # 1x1 conv, no bias, BN = 16512
    aspp_sep = 3 * ((256 * 9 + 2 * 256) + (256 * 64 + 2 * 64))  # 3 dilated dw+pw: 57984
    bottleneck = 256 * 64 * 9 + 2 * 64                    # 3x3 conv + BN = 147584
    classifier = 64 * 19 + 19                             # 1x1 conv = 1235
    head = embeds + aspp_1x1 + aspp_sep + bottleneck + classifier
    assert head == 238931

    # every parameter of the backbone, per stage (C, C_in, kernel, sr)
    def block(c, sr):
        # norm1 2C, in_proj 3C²+3C, out_proj C²+C, norm2 2C, fc1 4C²+4C,
        # depthwise 3x3 on 4C 36C+4C, fc2 4C²+C = 12C² + 53C;
        # spatial reduction (sr > 1): conv C²·sr² + C and its LayerNorm 2C
        return 12 * c * c + 53 * c + (c * c * sr * sr + 3 * c if sr > 1 else 0)

    def stage(c, c_in, k, sr):
        # patch embedding conv C·C_in·k² + C and its LN 2C, two blocks, stage LN 2C
        return c * c_in * k * k + 3 * c + 2 * block(c, sr) + 2 * c
    backbone = (stage(16, 3, 7, 8) + stage(32, 16, 3, 4) + stage(64, 32, 3, 2)
                + stage(128, 64, 3, 1))
    assert backbone == 43136 + 65696 + 156992 + 481152 == 746976

    # BitFit: per block the biases in_proj 3C, out_proj C, fc1 4C, dw 4C, fc2 C and
    # the norms 2C + 2C = 17C (+ sr conv bias C and its norm 2C); per stage the patch
    # conv bias C, its LN 2C and the stage LN 2C = 5C
    bitfit = sum(5 * c + 2 * (17 * c + (3 * c if sr > 1 else 0))
                 for c, sr in ((16, 8), (32, 4), (64, 2), (128, 1)))
    assert bitfit == 45 * (16 + 32 + 64) + 39 * 128 == 10032

    # LoRA rank 8: in_proj A [8, C] + B [3C, 8], out_proj A [8, C] + B [C, 8]
    # = 6·8·C per block, two blocks a stage
    lora = sum(2 * 6 * 8 * c for c in (16, 32, 64, 128))
    assert lora == 96 * 240 == 23040
    return dict(head=head, backbone=backbone, bitfit=bitfit, lora=lora)


def test_baseline_trainable_counts_equal_hand_counts():
    hand = mit_tiny_counts()
    run = 'uvpt_mit-tiny'
    expected = {
        'no-prompt-adapter': hand['head'],
        'head-only': hand['head'],
        'full-finetune': hand['head'] + hand['backbone'],
        'bitfit': hand['head'] + hand['bitfit'],
        'lora': hand['head'] + hand['lora'],
    }
    for variant, count in expected.items():
        model, _ = build(variant, run)
        assert trainable(model) == count, variant
        total = param_table(model)[0][-1]
        assert total['trainable'] == count
        # the model is the source model (+ LoRA): backbone and head
        assert total['total'] == hand['head'] + hand['backbone'] + (
            hand['lora'] if variant == 'lora' else 0)
    # the ablations keep the adapter and drop the mixture logits of the loss left out:
    # pred_mix_logits [3 scales], prompt_mix_logits [4 stages, 3 scales]
    uvpt = trainable(build('uvpt', run)[0])
    assert uvpt == 665014   # README: 665,014 of 1,411,990 trained
    assert trainable(build('no-correction', run)[0]) == uvpt
    assert trainable(build('no-pred-consistency', run)[0]) == uvpt - 3
    assert trainable(build('no-prompt-consistency', run)[0]) == uvpt - 4 * 3
    assert trainable(build('single-scale', run)[0]) == uvpt - 3 - 4 * 3


def test_swin_lora_count_and_targets():
    """Tiny Swin (widths 32, 64, 128, 256, 2 blocks a stage): qkv [3C, C] and proj
    [C, C] get A [8, C] + B [3C, 8] and A [8, C] + B [C, 8] = 6·8·C a block."""
    model, _ = build('lora', 'swin-b_standard_gta52cityscapes')
    lora = {n: p for n, p in model.named_parameters() if 'lora_' in n}
    assert sum(p.numel() for p in lora.values()) == 2 * 6 * 8 * (32 + 64 + 128 + 256)
    assert len(lora) == 2 * 2 * 2 * 4   # A and B, qkv and proj, 2 blocks, 4 stages
    assert all(p.requires_grad for p in lora.values())
    base = [p for n, p in model.backbone.named_parameters() if 'lora_' not in n]
    assert base and not any(p.requires_grad for p in base)
    assert isinstance(model.backbone.stages[0].blocks[0].attn.w_msa.qkv, LoRALinear)


def test_lora_on_mit_targets_and_frozen_base():
    model, _ = build('lora', 'uvpt_mit-tiny')
    attn = model.backbone.layers[0][1][0].attn
    assert isinstance(attn.attn, LoRAMultiheadAttention)
    assert isinstance(attn.attn.out_proj, LoRALinear)
    assert attn.attn.lora_A.shape == (8, 16) and attn.attn.lora_B.shape == (48, 8)
    for name, param in model.backbone.named_parameters():
        assert param.requires_grad == ('lora_' in name), name
    # the base keys are the source model's: only lora_A/lora_B are new
    source, _ = build('no-prompt-adapter', 'uvpt_mit-tiny')
    assert set(model.state_dict()) - set(source.state_dict()) == {
        n for n in model.state_dict() if n.endswith(('lora_A', 'lora_B'))}
    assert set(source.state_dict()) <= set(model.state_dict())


def test_lora_starts_as_the_model_and_its_update_is_low_rank():
    x = torch.randn(2, 3, 64, 64)
    lora, _ = build('lora', 'uvpt_mit-tiny')
    plain, _ = build('no-prompt-adapter', 'uvpt_mit-tiny')
    plain.load_state_dict({k: v for k, v in lora.state_dict().items()
                           if k in plain.state_dict()})
    lora.eval(), plain.eval()
    with torch.no_grad():
        # B = 0: the same logits bit for bit
        assert torch.equal(lora.encode_decode(x, None), plain.encode_decode(x, None))
        linear = lora.backbone.layers[1][1][0].attn.attn.out_proj
        linear.lora_B.normal_()
        y = torch.randn(5, linear.in_features)
        merged = linear.weight + linear.lora_scaling * linear.lora_B @ linear.lora_A
        torch.testing.assert_close(linear(y), F.linear(y, merged, linear.bias))


def test_backbone_without_adapter_computes_the_stock_backbone():
    kwargs = dict(embed_dims=16, num_layers=[2, 2, 2, 2], num_heads=[1, 2, 4, 8],
                  drop_path_rate=0.)
    torch.manual_seed(0)
    stock = MixVisionTransformer(**kwargs).eval()
    ours = MiTPrompt(with_prompt_adapter=False, fused_attention=False, **kwargs).eval()
    assert ours.prompt_adapter is None
    ours.load_state_dict(stock.state_dict())   # same keys, nothing else
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(stock(x), ours(x)):
            assert torch.equal(a, b)
        fused = MiTPrompt(with_prompt_adapter=False, **kwargs).eval()
        fused.load_state_dict(stock.state_dict())
        for a, b in zip(stock(x), fused(x)):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='prompt_cfg must be None'):
        MiTPrompt(with_prompt_adapter=False, prompt_cfg=dict(num_heads=4), **kwargs)


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match='single scale'):
        build('uvpt', 'uvpt_mit-tiny', scales=(1.0, ))
    with pytest.raises(ValueError, match='backbone_tuning'):
        build('no-prompt-adapter', 'uvpt_mit-tiny', backbone_tuning='half')
    with pytest.raises(ValueError, match="lora_cfg"):
        build('no-prompt-adapter', 'uvpt_mit-tiny', lora_cfg=dict(rank=4))
    # LoRA on MiT needs the fused attention; the stock MHA forward would drop it
    with pytest.raises(ValueError, match='fused'):
        set_backbone_tuning(MixVisionTransformer(embed_dims=16, num_layers=[1] * 4),
                            'lora')


@pytest.mark.parametrize('variant, backbone_mult', [
    ('full-finetune', 1.0), ('bitfit', 5.0), ('lora', 5.0)])
def test_lr_multipliers(variant, backbone_mult):
    """The head at x10 as always; what trains in the backbone at x1 (full
    fine-tuning, as in pretraining) or at the adapter's x5 (BitFit, LoRA)."""
    model, cfg = build(variant, 'uvpt_mit-tiny')
    optimizer = build_optimizer(model, cfg.optimizer)
    base = cfg.optimizer.lr
    lrs = {id(g['params'][0]): g['lr'] for g in optimizer.param_groups}
    names = dict(model.named_parameters())
    trained = [n for n, p in names.items() if p.requires_grad]
    assert trained
    for name in trained:
        mult = 10.0 if name.startswith('decode_head.') else backbone_mult
        assert lrs[id(names[name])] == pytest.approx(base * mult), name


# --- two training steps of every variant ------------------------------------------

def batch(num=2, size=64, num_classes=19):
    g = torch.Generator().manual_seed(1)
    img = torch.randn(num, 3, size, size, generator=g)
    label = torch.randint(0, num_classes, (num, 1, size, size), generator=g)
    label[:, :, :4] = 255
    metas = [dict(ori_shape=(size, size, 3), img_shape=(size, size, 3),
                  pad_shape=(size, size, 3), flip=False, filename=f'img{i}.png')
             for i in range(num)]
    return dict(img=img, img_metas=metas, gt_semantic_seg=label)


LOSSES = {'loss_lovasz', 'loss_entropy'}
CONSISTENCY = {'loss_pred_consistency', 'loss_prompt_consistency'}
EXPECTED_LOSSES = dict(
    {v: LOSSES for v in VARIANTS},
    **{'no-correction': LOSSES | CONSISTENCY,
       'no-pred-consistency': LOSSES | {'loss_prompt_consistency'},
       'no-prompt-consistency': LOSSES | {'loss_pred_consistency'}})
#: trainable tensors that may stay put: the mixture logits start at a stationary
#: point of both consistency losses (docs/method.md §4) and AdamW's decay keeps 0
MAY_STAY = ('pred_mix_logits', 'prompt_mix_logits')


@pytest.mark.parametrize('variant, run', [(v, 'uvpt_mit-tiny') for v in VARIANTS]
                         + [('lora', 'swin-b_standard_gta52cityscapes'),
                            ('bitfit', 'swin-b_standard_gta52cityscapes')])
def test_two_train_steps(variant, run):
    model, cfg = build(variant, run)
    model.train()
    optimizer = build_optimizer(model, cfg.optimizer)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    data = batch()
    for _ in range(2):
        out = model.train_step(data, optimizer)
        optimizer.zero_grad()
        out['loss'].backward()
        optimizer.step()
        assert torch.isfinite(out['loss'])
        assert {k for k in out['log_vars'] if k.startswith('loss_')} == \
            EXPECTED_LOSSES[variant]
        assert all(torch.isfinite(torch.tensor(v)) for v in out['log_vars'].values())
        corr = out['correction']   # what the AdaptiveCorrectionHook reads
        assert corr['pred'].shape == corr['prob'].shape == (2, 64, 64)
        assert corr['pred'].dtype == torch.uint8 and len(corr['img_metas']) == 2
    for name, param in model.named_parameters():
        moved = not torch.equal(param.detach(), before[name])
        if not param.requires_grad:
            assert not moved, f'frozen {name} changed'
        elif not name.startswith(MAY_STAY):
            assert moved, f'trainable {name} did not change'


# --- real runs: train.py ------------------------------------------------------------

FLAGS = ['--seed', '0', '--deterministic', '--no-validate']
SIZE = (128, 64)
CORRECTION = dict(type='AdaptiveCorrectionHook', num_classes=19, interval=1,
                  queue_size=2, quantile=0.5, trigger=-1e9, min_points=2,
                  epoch_iters=3, plot=False)
KEPT = {}


@HOOKS.register_module(force=True)
class KeepVariantModelHook(Hook):
    """Keeps a copy of the trained model at the end of the run in ``KEPT``."""

    def after_run(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        KEPT[runner.work_dir] = copy.deepcopy(model).cpu().eval()


def variant_run(root, variant, hooks):
    """A 2-iteration train.py run of the tiny MiT with the variant's model and
    optimizer settings, on a tiny Cityscapes-layout set with the correction's
    pipeline; returns (config path, work dir, source checkpoint, summary)."""
    from mmseg_uvpt.apis import train_main
    data = write_cityscapes_like(str(root / 'data'), size=SIZE)
    source_model, _ = uvpt_models()
    source = save_source_checkpoint(source_model, root / 'source.pth')
    cfg = load(variant, 'uvpt_mit-tiny')
    model = cfg.model.to_dict()
    model['backbone'].pop('init_cfg', None)
    model.pop('pretrained', None)
    train = dict(type='UVPTCityscapesDataset', data_root=data,
                 img_dir='leftImg8bit/train', ann_dir='gtFine/train',
                 pipeline=train_pipeline('LoadCorrectedAnnotations',
                                         'RandomCropWithBox', ('crop_bbox', 'label_path'),
                                         img_scale=SIZE, crop_size=(64, 64)))
    run = run_config(data, model, max_iters=2, ckpt_interval=2, eval_interval=2,
                     samples_per_gpu=1, train=train, source_checkpoint=source,
                     custom_hooks=hooks + [dict(type='KeepVariantModelHook')])
    run['optimizer'] = cfg.optimizer.to_dict()
    run['data']['val'] = run['data']['test'] = dict(
        run['data']['val'], pipeline=eval_pipeline(SIZE))
    config = dump_config(run, root / f'{variant}.py')
    work = str(root / 'run')
    torch.set_num_threads(1)
    out = train_main([config, '--work-dir', work] + FLAGS)
    return config, work, source, out


def test_lora_run_saves_a_prompt_only_checkpoint_that_loads_back(tmp_path):
    config, work, source, out = variant_run(tmp_path, 'lora', [CORRECTION])
    assert out['iters'] == 2
    path = osp.join(work, 'iter_2.pth')
    checkpoint = load_checkpoint_file(path)
    trained = KEPT[work]
    assert is_prompt_only(checkpoint)
    names = set(checkpoint['state_dict'])
    # what trains (LoRA and head) and the buffers; no frozen base weight
    assert {n for n, p in trained.named_parameters() if p.requires_grad} <= names
    assert any(n.endswith('lora_A') for n in names)
    assert not any(n.startswith('backbone.') and not n.endswith(('lora_A', 'lora_B'))
                   for n in names)
    assert set(checkpoint[PROMPT_ONLY_KEY]['frozen_tensors']) == {
        n for n, p in trained.named_parameters() if not p.requires_grad}
    # the run recorded what trained, and the correction hook ran on its outputs
    params = checkpoint['meta']['parameters']
    assert params['trainable'] == 238931 + 23040 and params['frozen'] == 746976
    assert checkpoint['meta']['hook_msgs']['correction']['visits']
    # the LoRA updates moved, and the frozen weights are the source's
    source_state = load_checkpoint_file(source)['state_dict']
    for name, param in trained.named_parameters():
        if name.endswith('lora_B'):
            assert param.abs().sum() > 0, name
        elif not param.requires_grad:
            assert torch.equal(param, source_state[name]), name
    # loaded into a model built from the config: the trained model's logits
    cfg = Config.fromfile(config)
    fresh = build_segmentor(cfg.model)
    load_model_checkpoint(fresh, path)
    fresh.eval()
    x = torch.randn(1, 3, 64, 128)
    with torch.no_grad():
        assert torch.equal(fresh.encode_decode(x, None), trained.encode_decode(x, None))


def test_run_without_correction_trains_on_the_pseudo_labels(tmp_path):
    _, work, _, out = variant_run(tmp_path, 'no-correction', [])
    assert out['iters'] == 2 and out['last_checkpoint']
    # nothing wrote a label store, and the checkpoint is prompt-only as for Uni-UVPT
    assert not osp.exists(osp.join(work, 'correction'))
    checkpoint = load_checkpoint_file(osp.join(work, 'iter_2.pth'))
    assert is_prompt_only(checkpoint)
    assert 'correction' not in checkpoint['meta'].get('hook_msgs', {})
