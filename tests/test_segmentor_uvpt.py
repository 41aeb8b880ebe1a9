"""UVPTSegmentor on the tiny Swin and MiT adaptation configs: one optimiser step
touches only the trainable parameters, the correction output, bf16 autocast and the
single-scale test path."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmcv import Config
from mmseg.models import build_segmentor

import mmseg_uvpt  # noqa: F401

CONFIGS = {
    'swin': 'configs/_base_/models/uvpt_daformer_swin-tiny.py',
    'mit': 'configs/_base_/models/uvpt_daformer_mit-tiny.py',
}
NUM_CLASSES = 5
H, W = 64, 72   # non-square (MiT-tiny needs ≥ 64 px on each side at 0.5×)
TRAINABLE_PREFIXES = ('backbone.prompt_adapter.', 'decode_head.', 'pred_mix_logits',
                      'prompt_mix_logits')


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    # on the shared 2-core machine torch's thread pool spins under contention: one
    # thread makes these steps ~20x cheaper in CPU time
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build(kind, **overrides):
    cfg = Config.fromfile(CONFIGS[kind])
    cfg.model.decode_head.num_classes = NUM_CLASSES
    cfg.model.update(overrides)
    torch.manual_seed(0)
    model = build_segmentor(cfg.model)
    model.init_weights()
    with torch.no_grad():
        # a confident classifier, so the prediction consistency has pixels to use
        model.decode_head.conv_seg.bias.copy_(torch.tensor([4., 0., 0., 0., 0.]))
    return model


def batch(num=2):
    g = torch.Generator().manual_seed(1)
    img = torch.randn(num, 3, H, W, generator=g)
    label = torch.randint(0, NUM_CLASSES, (num, 1, H, W), generator=g)
    label[:, :, :4] = 255
    metas = [dict(ori_shape=(H, W, 3), img_shape=(H, W, 3), pad_shape=(H, W, 3),
                  flip=False, filename=f'img{i}.png') for i in range(num)]
    return dict(img=img, img_metas=metas, gt_semantic_seg=label)


@pytest.mark.parametrize('kind', ['swin', 'mit'])
def test_one_step_changes_only_trainable_tensors(kind):
    model = build(kind).train()
    with torch.no_grad():
        # equal mixture weights are a stationary point of both consistency losses
        # (see test_losses.py), so start unequal for the mixture to get gradients
        model.pred_mix_logits.copy_(torch.tensor([0.3, -0.2, 0.1]))
        model.prompt_mix_logits.copy_(torch.linspace(-0.5, 0.5, 12).reshape(4, 3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(TRAINABLE_PREFIXES) for n in trainable)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=1e-3)

    # Two steps: deformable attention starts with zero offset and attention-weight
    # matrices, so its query (and the query LayerNorms) only get gradients once the
    # first step has moved them.
    for _ in range(2):
        out = model.train_step(batch(), optimizer)
        assert set(out) >= {'loss', 'log_vars', 'num_samples', 'correction'}
        for name in ['loss_lovasz', 'loss_entropy', 'loss_pred_consistency',
                     'loss_prompt_consistency', 'loss']:
            assert math.isfinite(out['log_vars'][name]), name
        assert out['log_vars']['loss_pred_consistency'] > 0
        assert out['log_vars']['loss_prompt_consistency'] > 0
        optimizer.zero_grad()
        out['loss'].backward()
        optimizer.step()
    for name, param in model.named_parameters():
        if name in trainable:
            assert param.grad is not None and torch.isfinite(param.grad).all(), name
            assert param.grad.abs().sum() > 0, f'{name} got no gradient'
        else:
            assert param.grad is None, name

    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    trainable_buffers = {k for k in before if k.startswith(TRAINABLE_PREFIXES)}
    assert changed <= trainable | trainable_buffers, sorted(changed - trainable)
    assert trainable <= changed, sorted(trainable - changed)


@pytest.mark.parametrize('kind', ['swin', 'mit'])
def test_correction_is_the_mixture_argmax(kind):
    model = build(kind).eval()   # eval: no dropout, so the passes can be recomputed
    with torch.no_grad():
        model.pred_mix_logits.copy_(torch.tensor([0.5, -1.0, 0.2]))
    data = batch()
    out = model.train_step(data, None)
    corr = out['correction']
    assert set(corr) == {'pred', 'prob', 'label', 'img_metas'}
    assert corr['pred'].shape == corr['prob'].shape == corr['label'].shape == (2, H, W)
    assert corr['pred'].dtype == corr['label'].dtype == torch.uint8
    assert corr['prob'].dtype == torch.float32
    assert all(t.device.type == 'cpu' and not t.requires_grad
               for t in (corr['pred'], corr['prob'], corr['label']))
    assert torch.equal(corr['label'], data['gt_semantic_seg'][:, 0].to(torch.uint8))
    assert corr['img_metas'] == data['img_metas']

    with torch.no_grad():
        weights = torch.tensor([0.5, -1.0, 0.2]).softmax(0)
        mixture = 0
        for w, scale in zip(weights, (1.0, 0.5, 2.0)):
            img = F.interpolate(data['img'], scale_factor=scale, mode='bilinear',
                                align_corners=True)
            logits = model.decode_head(model.backbone(img))
            # the stored prediction's logits are resized as the release's are
            logits = F.interpolate(logits, size=(H, W), mode='bilinear',
                                   align_corners=False)
            mixture = mixture + w * logits.softmax(1)
    prob, pred = mixture.max(1)
    assert (corr['pred'] == pred.to(torch.uint8)).float().mean() > 0.999
    torch.testing.assert_close(corr['prob'], prob, atol=1e-5, rtol=1e-5)


def test_bf16_autocast_matches_fp32_and_trains():
    model = build('swin').eval()
    img = batch()['img']
    fp32 = model.encode_decode(img, None)
    model.amp_dtype = torch.bfloat16
    bf16 = model.encode_decode(img, None)
    assert bf16.dtype == torch.float32
    assert not torch.equal(bf16, fp32)   # autocast did run in bf16
    assert (bf16 - fp32).abs().max() <= 0.05 * fp32.abs().max()
    assert (bf16.argmax(1) == fp32.argmax(1)).float().mean() > 0.95

    model.train()
    # oneDNN's bf16 weight gradient of a 3x3 stride-2 conv on a 1x1 map (the last
    # hand-over of the 0.5x pass at this tiny size) is uninitialised memory, now and
    # then non-finite (benchmarks/README.md, "oneDNN bf16 bugs on the CPU"); ATen's kernels test
    # this model's own arithmetic. GPU runs use cuDNN.
    with torch.backends.mkldnn.flags(enabled=False):
        out = model.train_step(batch(), None)
        assert all(math.isfinite(v) for v in out['log_vars'].values())
        out['loss'].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters()
               if p.requires_grad)
    assert out['correction']['prob'].dtype == torch.float32


def test_amp_config_switch_builds():
    assert build('mit', amp_dtype='bfloat16').amp_dtype == torch.bfloat16


def test_test_path_is_single_scale_mmseg_inference():
    model = build('mit').eval()
    data = batch()
    with torch.no_grad():
        preds = model(img=[data['img']], img_metas=[data['img_metas']],
                      return_loss=False)
        logits = model.decode_head(model.backbone(data['img']))
        logits = F.interpolate(logits, size=(H, W), mode='bilinear',
                               align_corners=False)
    assert len(preds) == 2 and preds[0].shape == (H, W)
    assert (torch.from_numpy(preds[0]) == logits[0].argmax(0)).all()


@pytest.mark.parametrize('overrides,error', [
    (dict(scales=(0.5, 1.0, 2.0)), 'scales must start with 1.0'),
    (dict(amp_dtype='float16'), 'amp_dtype'),
])
def test_bad_config_is_refused(overrides, error):
    with pytest.raises(ValueError, match=error):
        build('mit', **overrides)


def test_stock_backbone_is_refused():
    cfg = Config.fromfile('configs/_base_/models/uvpt_daformer_mit-tiny.py')
    cfg.model.backbone = Config.fromfile(
        'configs/_base_/models/daformer_mit-tiny.py').model.backbone
    with pytest.raises(TypeError, match='forward_with_injected'):
        build_segmentor(cfg.model)
