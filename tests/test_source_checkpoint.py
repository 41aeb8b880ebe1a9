"""load_source_checkpoint: a stock source model's backbone and head load into the
adaptation model, the adapter stays fresh, and any other mismatch is an error that
names the keys and the file."""
import logging

import pytest
import torch
from mmcv import Config
from mmseg.models import build_segmentor

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.checkpoints import CheckpointError, atomic_save
from mmseg_uvpt.checkpoints.source_mapping import load_source_checkpoint
from mmseg_uvpt.checkpoints.state_keys import is_fresh_key

MODELS = 'configs/_base_/models'


def build(name, num_classes=5, init=True):
    cfg = Config.fromfile(f'{MODELS}/{name}.py')
    cfg.model.decode_head.num_classes = num_classes
    model = build_segmentor(cfg.model)
    if init:
        model.init_weights()
    return model


@pytest.fixture(scope='module')
def source():
    torch.manual_seed(0)
    model = build('daformer_mit-tiny')
    for p in model.parameters():   # weights unlike any fresh init
        p.data.add_(0.05 * torch.randn_like(p))
    model.eval()
    return model


def save(tmp_path, state, name='source.pth', wrapper='state_dict'):
    path = tmp_path / name
    atomic_save({wrapper: state, 'meta': dict(iter=10)} if wrapper else state, path)
    return path


@pytest.mark.parametrize('wrapper', ['state_dict', 'model', None])
def test_loads_backbone_and_head_keeps_adapter_fresh(tmp_path, source, wrapper, caplog):
    path = save(tmp_path, source.state_dict(), wrapper=wrapper)
    torch.manual_seed(1)
    model = build('uvpt_daformer_mit-tiny')
    fresh_before = {k: v.clone() for k, v in model.state_dict().items() if is_fresh_key(k)}
    logger = logging.getLogger('test_source_checkpoint')
    with caplog.at_level(logging.INFO, logger='test_source_checkpoint'):
        report = load_source_checkpoint(model, path, logger=logger)

    state = model.state_dict()
    assert sorted(report['loaded']) == sorted(source.state_dict())
    assert sorted(report['fresh']) == sorted(fresh_before)
    assert report['fresh'] and all(
        k.startswith(('backbone.prompt_adapter.', 'pred_mix_logits', 'prompt_mix_logits'))
        for k in report['fresh'])
    for key, value in source.state_dict().items():
        assert torch.equal(state[key], value), key
    for key, value in fresh_before.items():
        assert torch.equal(state[key], value), key
    assert f'loaded {len(report["loaded"])} keys' in caplog.text and str(path) in caplog.text

    # with the injection switched off the adapted model is the source model (up to
    # the fused attention's rounding)
    model.eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('injector.gamma'):
                p.zero_()
        x = torch.randn(1, 3, 64, 64)
        torch.testing.assert_close(model.encode_decode(x, None),
                                   source.encode_decode(x, None), rtol=1e-4, atol=1e-4)


def test_uninitialised_model_gets_initialised_first(tmp_path, source):
    path = save(tmp_path, source.state_dict())
    model = build('uvpt_daformer_mit-tiny', init=False)
    load_source_checkpoint(model, path)
    assert model.is_init
    level_embed = model.backbone.prompt_adapter.generator.level_embed
    assert level_embed.abs().sum() > 0   # zeros until the adapter's init ran
    assert torch.equal(model.decode_head.conv_seg.weight, source.decode_head.conv_seg.weight)


def _broken(source, kind):
    state = dict(source.state_dict())
    if kind == 'missing':
        del state['backbone.layers.0.0.projection.weight']
        return state, 'backbone.layers.0.0.projection.weight'
    if kind == 'unexpected':
        state['decode_head.extra.weight'] = torch.zeros(1)
        return state, 'decode_head.extra.weight'
    if kind == 'adapter':
        state['backbone.prompt_adapter.generator.level_embed'] = torch.zeros(3, 16)
        return state, 'not a source model'
    state['decode_head.conv_seg.weight'] = torch.zeros(19, 64, 1, 1)   # 19 classes
    return state, r'decode_head.conv_seg.weight \(file \(19, 64, 1, 1\), model \(5, 64'


@pytest.mark.parametrize('kind', ['missing', 'unexpected', 'adapter', 'shape'])
def test_mismatch_is_an_error_naming_keys_and_file(tmp_path, source, kind):
    state, expected = _broken(source, kind)
    path = save(tmp_path, state, name=f'{kind}.pth')
    model = build('uvpt_daformer_mit-tiny')
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError, match=expected) as err:
        load_source_checkpoint(model, path)
    assert str(path) in str(err.value)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CheckpointError, match='does not exist'):
        load_source_checkpoint(build('uvpt_daformer_mit-tiny'), tmp_path / 'none.pth')


def test_source_gta_training_heads_are_dropped(tmp_path, source, caplog):
    # a Source-GtA checkpoint: the global head is decode_head, the augmentation-tied
    # heads (aug_heads.*) only matter for pretraining
    state = dict(source.state_dict())
    heads = {f'aug_heads.{i}.{k[len("decode_head."):]}': v.clone()
             for i in range(2) for k, v in source.state_dict().items()
             if k.startswith('decode_head.')}
    state.update(heads)
    path = save(tmp_path, state, name='gta.pth')
    model = build('uvpt_daformer_mit-tiny')
    logger = logging.getLogger('test_source_checkpoint')
    with caplog.at_level(logging.INFO, logger='test_source_checkpoint'):
        report = load_source_checkpoint(model, path, logger=logger)
    assert sorted(report['unused']) == sorted(heads)
    assert sorted(report['loaded']) == sorted(source.state_dict())
    assert f'{len(heads)} unused (Source-GtA training heads)' in caplog.text
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
