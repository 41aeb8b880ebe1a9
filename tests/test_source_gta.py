"""SourceGtASegmentor: one training step, held-out head, checkpoint keys, class weights."""
import copy
import json
import math
import os.path as osp

import pytest
import torch
from mmcv import Config, ConfigDict
from mmseg.models import build_segmentor

import mmseg_uvpt  # noqa: F401  (registers the segmentor, head and augmentations)
from mmseg_uvpt.augmentations import write_random_weights, write_style_images
from mmseg_uvpt.models.segmentors.source_gta import class_weight_from_stats
from mmseg_uvpt.checkpoints import CheckpointError

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
GROUPS_CFG = osp.join(REPO, 'configs/_base_/models/source-gta_aug-groups.py')
NUM_CLASSES = 4
CLASS_WEIGHT = [1.0, 2.0, 0.5, 1.5]
NORM = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

BACKBONE = dict(type='MixVisionTransformer', in_channels=3, embed_dims=8, num_stages=4,
                num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8], patch_sizes=[7, 3, 3, 3],
                sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=2)
BN = dict(type='BN', requires_grad=True)
HEAD = dict(type='DAFormerHead', in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3],
            channels=16, dropout_ratio=0.1, num_classes=NUM_CLASSES, norm_cfg=BN,
            align_corners=False,
            decoder_params=dict(embed_dims=16, fusion_cfg=dict(
                type='aspp', sep=True, dilations=(1, 2), pool=False,
                act_cfg=dict(type='ReLU'), norm_cfg=BN)),
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                             class_weight=CLASS_WEIGHT))


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp('model'))
    write_random_weights(folder)
    return folder


def gta_cfg(model_dir, train_cfg=None, **head_changes):
    head = copy.deepcopy(HEAD)
    head.update(head_changes)
    return dict(type='SourceGtASegmentor', backbone=copy.deepcopy(BACKBONE), decode_head=head,
                aug_groups=Config.fromfile(GROUPS_CFG).gta_aug_groups,
                aug_model_dir=model_dir, train_cfg=train_cfg, test_cfg=ConfigDict(mode='whole'))


@pytest.fixture(scope='module')
def train_model(model_dir):
    """One training-mode model shared by the tests that do not change its config."""
    return build_segmentor(gta_cfg(model_dir, train_cfg=dict()))


def batch(size=32):
    torch.manual_seed(0)
    img = torch.randn(2, 3, size, size)
    label = torch.randint(0, NUM_CLASSES, (2, 1, size, size))
    label[:, :, :2] = 255  # some ignored pixels
    shape = (size, size, 3)
    metas = [dict(img_norm_cfg=NORM, ori_shape=shape, img_shape=shape, pad_shape=shape,
                  flip=False, scale_factor=1.0) for _ in range(2)]
    return dict(img=img, img_metas=metas, gt_semantic_seg=label)


def grads(module):
    return [p.grad for p in module.parameters()]


@pytest.mark.parametrize('group', range(5))
def test_one_step_trains_all_heads_but_the_drawn_groups(group, train_model, monkeypatch):
    torch.manual_seed(group)
    model = train_model
    model.zero_grad(set_to_none=True)
    assert len(model.aug_heads) == 5
    monkeypatch.setattr(model.aug_groups, 'draw', lambda: group)
    model.train()
    out = model.train_step(batch(), optimizer=None)
    out['loss'].backward()
    log = out['log_vars']
    names = model.aug_groups.names
    assert math.isfinite(log['loss']) and log['decode.loss_ce'] > 0
    assert [log[f'drawn.{n}'] for n in names] == [float(i == group) for i in range(5)]
    # the global head and the backbone always train
    assert all(g is not None and torch.isfinite(g).all() for g in grads(model.decode_head))
    assert all(g is not None for g in grads(model.backbone))
    for index, (name, head) in enumerate(zip(names, model.aug_heads)):
        if index == group:
            assert log[f'aug_{name}.loss_ce'] == 0.0
            assert all(g is None for g in grads(head)), f'held-out head {name} got gradients'
        else:
            assert log[f'aug_{name}.loss_ce'] > 0
            assert all(g is not None for g in grads(head)), f'head {name} got no gradient'
    expected_total = log['decode.loss_ce'] + sum(log[f'aug_{n}.loss_ce'] for n in names)
    assert log['loss'] == pytest.approx(expected_total, rel=1e-5)


def test_heads_use_the_class_weights(train_model):
    for head in [train_model.decode_head, *train_model.aug_heads]:
        assert head.loss_decode.class_weight == CLASS_WEIGHT


def test_state_dict_matches_a_standard_encoder_decoder(model_dir):
    model = build_segmentor(gta_cfg(model_dir, train_cfg=dict()))  # own copy: edited below
    standard = build_segmentor(dict(type='EncoderDecoder', backbone=copy.deepcopy(BACKBONE),
                                    decode_head=copy.deepcopy(HEAD), train_cfg=dict(),
                                    test_cfg=ConfigDict(mode='whole')))
    state = model.state_dict()
    shared = {k: v for k, v in state.items() if not k.startswith('aug_heads.')}
    assert set(shared) == set(standard.state_dict())
    assert any(k.startswith('decode_head.') for k in shared)
    assert {k.split('.')[0] for k in state} == {'backbone', 'decode_head', 'aug_heads'}
    # the source checkpoint loads strictly and predicts the same with the global head
    standard.load_state_dict(shared, strict=True)
    model.eval(), standard.eval()
    data = batch()
    with torch.no_grad():
        ours = model.encode_decode(data['img'], data['img_metas'])
        for p in model.aug_heads.parameters():  # test path must not touch the group heads
            p.add_(1.0)
        assert torch.allclose(model.encode_decode(data['img'], data['img_metas']), ours)
        assert torch.allclose(standard.encode_decode(data['img'], data['img_metas']), ours,
                              atol=1e-5)


def test_init_weights_reaches_every_head(tmp_path):
    model = build_segmentor(gta_cfg(str(tmp_path), loss_decode=dict(type='CrossEntropyLoss')))
    model.init_weights()
    heads = [model.decode_head, *model.aug_heads]
    # DAFormerHead's init_cfg: conv_seg ~ N(0, 0.01); torch's default would be ~0.14 here
    assert all(h.conv_seg.weight.std() < 0.02 for h in heads)
    assert not torch.equal(heads[1].conv_seg.weight, heads[2].conv_seg.weight)


def test_inference_build_needs_no_training_resources(tmp_path):
    # test.py builds with train_cfg=None: no weight files, no class weights needed
    model = build_segmentor(gta_cfg(str(tmp_path / 'nothing'), loss_decode=dict(
        type='CrossEntropyLoss')))
    assert len(model.aug_heads) == 5
    model.eval()
    data = batch()
    with torch.no_grad():
        pred = model.simple_test(data['img'], data['img_metas'])
    assert len(pred) == 2 and pred[0].shape == (32, 32)
    with pytest.raises(RuntimeError, match='inference only'):
        model.train()
        model.forward_train(**data)


def test_training_build_fails_early_with_clear_messages(tmp_path, model_dir):
    with pytest.raises(FileNotFoundError, match='style image folder .*styles is missing'):
        build_segmentor(gta_cfg(str(tmp_path), train_cfg=dict()))
    write_style_images(str(tmp_path / 'styles'))
    with pytest.raises(CheckpointError, match='vgg_normalised.pth is missing'):
        build_segmentor(gta_cfg(str(tmp_path), train_cfg=dict()))
    with pytest.raises(ValueError, match='class_weight_file'):
        build_segmentor(gta_cfg(model_dir, train_cfg=dict(),
                                loss_decode=dict(type='CrossEntropyLoss')))
    with pytest.raises(FileNotFoundError, match='no_stats.json'):
        build_segmentor(gta_cfg(model_dir, train_cfg=dict(
            class_weight_file=str(tmp_path / 'no_stats.json'))))


def test_class_weights_from_converter_statistics(tmp_path, model_dir):
    stats = dict(num_classes=19, ignore_index=255, stats=[
        {'file': 'labels/a_labelTrainIds.png', '0': 500, '1': 100},
        {'file': 'labels/b_labelTrainIds.png', '0': 250, '3': 150}])
    path = tmp_path / 'sample_class_stats.json'
    path.write_text(json.dumps(stats))
    # shares 0.75, 0.1, 0, 0.15; weight 1/ln(1.02 + p), scaled to pixel-average 1
    raw = [1 / math.log(1.02 + p) for p in (0.75, 0.1, 0.0, 0.15)]
    scale = 0.75 * raw[0] + 0.1 * raw[1] + 0.15 * raw[3]
    expected = [w / scale for w in raw]
    weights = class_weight_from_stats(str(path), NUM_CLASSES)
    assert weights == pytest.approx(expected)
    assert weights[2] == max(weights) and weights[0] == min(weights)
    # DAFormer's bare list gives the same
    bare = tmp_path / 'bare.json'
    bare.write_text(json.dumps(stats['stats']))
    assert class_weight_from_stats(str(bare), NUM_CLASSES) == pytest.approx(expected)
    # the file's weights replace the config list on every head
    model = build_segmentor(gta_cfg(model_dir, train_cfg=dict(class_weight_file=str(path))))
    for head in [model.decode_head, *model.aug_heads]:
        assert head.loss_decode.class_weight == pytest.approx(expected)


def test_augment_keeps_normalised_range_and_changes_input(train_model):
    model = train_model
    data = batch()
    pixels = torch.rand(2, 3, 32, 32) * 255
    mean = torch.tensor(NORM['mean'])[:, None, None]
    std = torch.tensor(NORM['std'])[:, None, None]
    img = (pixels - mean) / std
    for group in range(5):
        out = model.augment(img, data['img_metas'], group)
        assert out.shape == img.shape and not out.requires_grad
        back = out * std + mean
        assert back.min() > -1e-3 and back.max() < 255 + 1e-3
        assert (out - img).abs().mean() > 0.01


def stats_file(folder):
    path = osp.join(folder, 'sample_class_stats.json')
    counts = {str(c): 1000 * (c + 1) for c in range(19)}
    with open(path, 'w') as f:
        json.dump(dict(stats=[dict(file='labels/a_labelTrainIds.png', **counts)]), f)
    return path


@pytest.mark.parametrize('name', ['mit-tiny', 'swin-tiny'])
def test_tiny_configs_build_and_train_one_step(name, model_dir, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, f'configs/_base_/models/source-gta_{name}.py'))
    assert cfg.find_unused_parameters is True
    cfg.dump(str(tmp_path / 'dumped.py'))  # runs save their config: it must serialise
    cfg.model.aug_model_dir = model_dir
    cfg.model.train_cfg.class_weight_file = stats_file(str(tmp_path))
    model = build_segmentor(cfg.model)
    model.init_weights()
    model.train()
    data = batch(size=64)
    data['gt_semantic_seg'] = data['gt_semantic_seg'] % 19
    out = model.train_step(data, optimizer=None)
    out['loss'].backward()
    assert math.isfinite(out['log_vars']['loss'])
    drawn = [n for n in model.aug_groups.names if out['log_vars'][f'drawn.{n}'] == 1.0]
    assert len(drawn) == 1
    held_out = model.aug_heads[model.aug_groups.names.index(drawn[0])]
    assert all(p.grad is None for p in held_out.parameters())
    assert all(p.grad is not None for p in model.decode_head.parameters())


@pytest.mark.parametrize('name', ['mit-b5', 'swin-b'])
def test_full_configs_parse(name):
    cfg = Config.fromfile(osp.join(REPO, f'configs/_base_/models/source-gta_{name}.py'))
    assert cfg.model.type == 'SourceGtASegmentor'
    assert [g['name'] for g in cfg.model.aug_groups] == [
        'fourier', 'adain', 'style_augmentor', 'weather', 'cartoon']
    assert cfg.model.decode_head.type == 'DAFormerHead' and cfg.model.aug_head is None
