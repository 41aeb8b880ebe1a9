"""What a checkpoint looks like, and why it does not fit a model, in one message.

A checkpoint that does not fit its config usually is the right file for another
step: a source model given to ``test.py`` with an adaptation config, an adapted model
given as ``--source-checkpoint``, a checkpoint of the reference release that needs
converting, or a model with another backbone. Listing its ~200 missing keys does not
say which; :func:`fit_error` names what the file is, what the config builds, counts
the key differences with a few examples, and says which config or option fits.
"""
import re

from .checkpoint_files import CheckpointError
from .state_keys import is_fresh_key
from .prompt_only import is_prompt_only

#: examples of keys per list in a message
EXAMPLES = 3

# key signatures of files from elsewhere
_RELEASE_KEYS = re.compile(r'backbone\.(spm|interactions|patch_embed\d|block\d)\.')
_SWIN_IMAGENET_KEYS = re.compile(r'(layers\.\d+\.blocks|patch_embed\.proj|'
                                 r'stages\.\d+\.blocks)\.')
_MIT_IMAGENET_KEYS = re.compile(r'(patch_embed\d|block\d|layers\.\d+\.\d+)\.')
_GTA_HEADS = 'aug_heads.'


def summarise_keys(keys, limit=EXAMPLES):
    """``a, b, c ... and N more`` of the sorted keys."""
    keys = sorted(keys)
    more = f' ... and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def backbone_of(state):
    """``'Swin (embed dims 128)'``, ``'MiT (embed dims 64)'``, ``'ViT (embed dims
    768)'`` or None, from the keys of mmseg's Swin (``backbone.stages``) and MiT
    (``backbone.layers``) and timm's ViT (``backbone.blocks``)."""
    for name, key in (('Swin', 'backbone.patch_embed.projection.weight'),
                      ('MiT', 'backbone.layers.0.0.projection.weight'),
                      ('ViT', 'backbone.patch_embed.proj.weight')):
        if key in state and hasattr(state[key], 'shape'):
            return f'{name} (embed dims {state[key].shape[0]})'
    return None


def num_classes_of(state):
    """Classes of the decode head's classifier, or None."""
    weight = state.get('decode_head.conv_seg.weight')
    return None if weight is None else int(weight.shape[0])


def kind_of(state, checkpoint=None):
    """One of ``prompt-only``, ``adapted``, ``source``, ``release``, ``imagenet``,
    ``unknown``: what the file is for."""
    if checkpoint is not None and is_prompt_only(checkpoint):
        return 'prompt-only'
    keys = list(state)
    if any(_RELEASE_KEYS.match(k) for k in keys) or 'weight' in state:
        return 'release'
    if any(is_fresh_key(k) for k in keys):
        return 'adapted'
    if any(k.startswith(('backbone.', 'decode_head.')) for k in keys):
        return 'source'
    if any(_SWIN_IMAGENET_KEYS.match(k) or _MIT_IMAGENET_KEYS.match(k) for k in keys):
        return 'imagenet'
    return 'unknown'


_KIND_TEXT = {
    'prompt-only': 'a prompt-only adapted checkpoint',
    'adapted': 'an adapted model (prompt adapter and mixture logits)',
    'source': 'a source model (backbone and decode head, no adapter)',
    'release': 'a checkpoint of the reference release (its own key names)',
    'imagenet': 'ImageNet backbone weights (no decode head)',
    'unknown': 'a state dict of some other model',
}


def describe(state, checkpoint=None):
    """A phrase saying what the state dict is: kind, backbone, classes."""
    kind = kind_of(state, checkpoint)
    text = _KIND_TEXT[kind]
    if kind == 'source' and any(k.startswith(_GTA_HEADS) for k in state):
        text = 'a Source-GtA source model (backbone, decode head, aug heads)'
    details = [d for d in (backbone_of(state),
                           num_classes_of(state) and f'{num_classes_of(state)} classes')
               if d]
    return text + (f', {", ".join(details)}' if details else '')


def _hint(file_kind, model_kind, file_state, model_state, role):
    """Which config or option fits the file."""
    if file_kind == 'release':
        return ('convert it first: python tools/model_converters/uvpt_release2mmseg.py '
                'SRC DST')
    if file_kind == 'imagenet':
        return ('ImageNet weights start pretraining (the model\'s pretrained/init_cfg, '
                'after tools/model_converters/swin2mmseg.py or mit2mmseg.py; DINOv2 '
                'and timm ViT weights as they are, model/README.md)')
    file_backbone, model_backbone = backbone_of(file_state), backbone_of(model_state)
    if file_backbone and model_backbone and file_backbone != model_backbone:
        return f'use a config whose backbone is {file_backbone}'
    file_classes, model_classes = num_classes_of(file_state), num_classes_of(model_state)
    if file_classes and model_classes and file_classes != model_classes:
        return f'it predicts {file_classes} classes, the config {model_classes}; use ' \
               'the config it was trained with'
    if role == 'source' and file_kind in ('adapted', 'prompt-only'):
        return ('an adapted model is not a source model: continue its run with '
                '--resume-from, or test it with test.py and its adaptation config')
    if file_kind == 'source' and model_kind == 'adapted':
        return ('to adapt it, give it to train.py as --source-checkpoint; to test it, '
                'use a source-model config (configs/toy/test_source_*.py, or '
                'configs/_base_/models/daformer_*.py as the model)')
    if file_kind in ('adapted', 'prompt-only') and model_kind == 'source':
        return ('test it with the adaptation config it was trained with '
                '(configs/uvpt/*.py, configs/toy/uvpt_*.py)')
    return 'use the config the checkpoint was trained with'


def fit_error(path, file_state, model_state, role='model', checkpoint=None,
              missing=None, unexpected=None, mismatched=None):
    """A :class:`CheckpointError` saying why ``file_state`` does not fit the model.

    Args:
        path (str): the checkpoint file.
        file_state (dict): its (assembled) state dict.
        model_state (dict): the model's state dict.
        role (str): ``'model'`` (the file should be the whole model) or ``'source'``
            (a source checkpoint for adaptation).
        checkpoint (dict | None): the whole file, to recognise prompt-only ones.
        missing, unexpected, mismatched (list | None): key differences when the
            caller computed them by its own rule; strict comparison otherwise.
    """
    if missing is None:
        missing = [k for k in model_state if k not in file_state]
    if unexpected is None:
        unexpected = [k for k in file_state if k not in model_state]
    if mismatched is None:
        mismatched = [
            f'{k} (file {tuple(file_state[k].shape)}, model '
            f'{tuple(model_state[k].shape)})' for k in model_state
            if k in file_state and hasattr(file_state[k], 'shape')
            and file_state[k].shape != model_state[k].shape]
    file_kind = kind_of(file_state, checkpoint)
    model_kind = 'adapted' if any(is_fresh_key(k) for k in model_state) else 'source'
    counts = []
    for name, keys in (('missing', missing), ('unexpected', unexpected),
                       ('with another shape', mismatched)):
        if keys:
            counts.append(f'{len(keys)} keys {name} (e.g. {summarise_keys(keys)})')
    what = 'source checkpoint' if role == 'source' else 'checkpoint'
    model_text = 'an adapted model' if model_kind == 'adapted' else 'a source model'
    backbone = backbone_of(model_state)
    return CheckpointError(
        f'{what} {path} does not fit the model of the config: the file is '
        f'{describe(file_state, checkpoint)}; the config builds {model_text}'
        + (f', {backbone}' if backbone else '') + '. ' + '; '.join(counts)
        + f'. Hint: {_hint(file_kind, model_kind, file_state, model_state, role)}.')
