"""configs/_base_/models: every model config builds; the full-size ones have the
paper's trainable counts; source and adaptation configs share the stock backbone, so
a source checkpoint loads; the backbones agree with the prompted-backbone presets."""
import inspect

import pytest
import torch
from mmcv import Config
from mmseg.models import build_segmentor
from mmseg.models.backbones import MixVisionTransformer, SwinTransformer
from mmseg.models.builder import BACKBONES

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.models.adapters import PromptAdapter
from mmseg_uvpt.models.backbones import presets
from mmseg_uvpt.utils.param_report import param_table
from mmseg_uvpt.checkpoints.state_keys import is_fresh_key

MODELS = 'configs/_base_/models'
PAIRS = ['swin-b', 'mit-b5', 'swin-tiny', 'mit-tiny']
STOCK_CLASSES = {'SwinPrompt': SwinTransformer, 'MiTPrompt': MixVisionTransformer}


def load(name):
    return Config.fromfile(f'{MODELS}/{name}.py')


def counts(model):
    return {r['group']: r for r in param_table(model)[0]}


def defaults_of(*classes):
    """Keyword defaults of the classes' constructors (earlier classes win)."""
    defaults = {}
    for cls in reversed(classes):
        defaults.update({k: p.default for k, p in inspect.signature(cls).parameters.items()
                         if p.default is not inspect.Parameter.empty})
    return plain(defaults)


def plain(value):
    """Config values with tuples as lists, for comparing with the presets."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@pytest.fixture(scope='module')
def built():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # avoids thread-pool spinning on the shared 2 cores
    yield {name: build_segmentor(load(name).model)
           for pair in PAIRS for name in (f'daformer_{pair}', f'uvpt_daformer_{pair}')}
    torch.set_num_threads(threads)


@pytest.mark.parametrize('backbone,adapter,head,frozen', [
    ('swin-b', 24_076_128, 3_941_651, 86.7e6),
    ('mit-b5', 7_995_328, 3_712_275, 81.4e6),
])
def test_full_size_trainable_counts(built, backbone, adapter, head, frozen):
    c = counts(built[f'uvpt_daformer_{backbone}'])
    assert abs(c['prompt adapter']['trainable'] - adapter) <= 0.005 * adapter
    assert c['decode head']['trainable'] == head
    assert c['mixture logits']['trainable'] == 3 + 4 * 3
    assert c['backbone']['trainable'] == 0
    assert abs(c['backbone']['frozen'] - frozen) < 0.05e6
    assert c['other']['total'] == 0 and c['prompt adapter']['frozen'] == 0
    assert c['total']['trainable'] == c['prompt adapter']['trainable'] + head + 15
    source = counts(built[f'daformer_{backbone}'])
    assert source['decode head']['trainable'] == head
    assert source['backbone']['trainable'] == c['backbone']['frozen']   # all trained


@pytest.mark.parametrize('pair', PAIRS)
def test_source_checkpoint_keys_fit_the_adaptation_model(built, pair):
    source = built[f'daformer_{pair}'].state_dict()
    adapted = built[f'uvpt_daformer_{pair}'].state_dict()
    stock = {k: v.shape for k, v in adapted.items() if not is_fresh_key(k)}
    assert stock == {k: v.shape for k, v in source.items()}


@pytest.mark.parametrize('name,preset', [
    ('uvpt_daformer_swin-b', presets.SWIN_B_PROMPT),
    ('uvpt_daformer_mit-b5', presets.MIT_B5_PROMPT),
    ('uvpt_daformer_swin-tiny', presets.SWIN_TINY_PROMPT),
    ('uvpt_daformer_mit-tiny', presets.MIT_TINY_PROMPT),
])
def test_backbones_agree_with_presets(name, preset):
    # what a config leaves out takes the constructor defaults
    stock_class = STOCK_CLASSES[preset['type']]
    backbone = {**defaults_of(BACKBONES.get(preset['type']), stock_class),
                **plain(load(name).model.backbone)}
    for key, value in plain(preset).items():
        if key == 'prompt_cfg':
            defaults = defaults_of(PromptAdapter)
            assert {**defaults, **backbone[key]} == {**defaults, **value}
        else:
            assert backbone[key] == value, key
    source = {**defaults_of(stock_class),
              **plain(load(name.replace('uvpt_', '')).model.backbone)}
    for key, value in presets.stock_kwargs(plain(preset)).items():
        assert source[key] == value, key


@pytest.mark.parametrize('pair', ['swin-tiny', 'mit-tiny'])
def test_tiny_models_run(built, pair):
    img = torch.randn(1, 3, 64, 64)
    for name in (f'daformer_{pair}', f'uvpt_daformer_{pair}'):
        model = built[name]
        model.eval()
        with torch.no_grad():
            out = model.forward_dummy(img)
        assert out.shape == (1, 19, 64, 64) and torch.isfinite(out).all()
