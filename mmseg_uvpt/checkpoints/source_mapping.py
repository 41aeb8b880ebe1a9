"""Checkpoints from outside an adaptation run: source models and converted weights.

``load_source_checkpoint``: a source model trained by ``pretrain.py`` has the keys
``backbone.*`` and ``decode_head.*``. The adaptation model has the same keys plus the
prompt adapter (``backbone.prompt_adapter.*``) and the scale-mixing logits, which start
fresh. Any other difference means the checkpoint does not fit the config, and is an
error that names the keys and the file before training starts.

``KeyRule``/``map_state_dict``/``convert_checkpoint_file``: the rename engine of
``tools/model_converters/``. Every key is renamed by a rule, dropped with a stated
reason, or reported as unmapped; nothing disappears silently.
"""
import argparse
import os
import re
from collections import OrderedDict
from typing import Callable, NamedTuple, Optional, Union

from mmcv.utils import print_log

from .fit import fit_error, summarise_keys
from .checkpoint_files import CheckpointError, atomic_save, load_checkpoint_file
from .state_keys import is_fresh_key, unwrap_state_dict

#: key prefix of the Source-GtA segmentor's augmentation-tied heads
SOURCE_GTA_TRAINING_HEADS = 'aug_heads.'


def load_source_checkpoint(model, path, logger=None):
    """Load backbone and head weights from a source checkpoint; adapter stays fresh.

    Args:
        model (nn.Module): the adaptation segmentor (e.g. UVPTSegmentor).
        path (str): the source checkpoint.
        logger (logging.Logger | str | None): where the key report goes.

    Returns:
        dict: ``loaded``, ``fresh`` and ``unused`` key lists (``unused`` holds the
        Source-GtA training heads ``aug_heads.*``, which only pretraining uses).

    Raises:
        CheckpointError: a non-adapter key of the model missing from the file, a key
            of the file the model lacks, a shape mismatch, or adapter keys in the file
            (an adapted model is not a source model).
    """
    state = unwrap_state_dict(load_checkpoint_file(path), path)
    if hasattr(model, 'init_weights') and not getattr(model, 'is_init', True):
        # initialise everything (the adapter included) now, so that a later
        # init_weights() call cannot overwrite the loaded weights
        model.init_weights()
    own = model.state_dict()
    # A Source-GtA checkpoint carries its five augmentation-tied heads beside the
    # global head (``decode_head``); adaptation and testing use the global head only.
    training_heads = [k for k in state if k.startswith(SOURCE_GTA_TRAINING_HEADS)
                      and k not in own]
    state = {k: v for k, v in state.items() if k not in training_heads}
    adapter_in_file = [k for k in state if is_fresh_key(k)]
    missing = [k for k in own if k not in state and not is_fresh_key(k)]
    unused = [k for k in state if k not in own]
    mismatched = [f'{k} (file {tuple(state[k].shape)}, model {tuple(own[k].shape)})'
                  for k in own if k in state and state[k].shape != own[k].shape]
    if adapter_in_file or missing or unused or mismatched:
        raise fit_error(path, state, own, role='source', missing=missing,
                        unexpected=unused + adapter_in_file, mismatched=mismatched)

    loaded = [k for k in own if k in state]
    fresh = [k for k in own if k not in state]
    model.load_state_dict({k: state[k] for k in loaded}, strict=False)
    print_log(f'source checkpoint {path}: loaded {len(loaded)} keys, '
              f'{len(fresh)} new (adapter, mixture or LoRA, freshly initialised), '
              f'{len(training_heads)} unused (Source-GtA training heads)', logger=logger)
    print_log('new keys: ' + summarise_keys(fresh, limit=10), logger=logger)
    return dict(loaded=loaded, fresh=fresh, unused=training_heads)


class KeyRule(NamedTuple):
    """Rename keys matching ``pattern`` (``re.match``, i.e. anchored at the start).

    ``target`` is a ``Match.expand`` template or a function of the match giving the
    new text for the matched part; the rest of the key is kept. ``transform``, if
    given, maps the tensor (e.g. a reshape or a channel reorder).
    """
    pattern: str
    target: Union[str, Callable]
    transform: Optional[Callable] = None


def map_state_dict(state, rules, drops=()):
    """Apply the first matching rule to every key.

    Args:
        state (dict): source state dict.
        rules (Sequence[KeyRule]): renames, first match wins.
        drops (Sequence[tuple[str, str]]): ``(pattern, reason)`` of keys that are
            deliberately left out; checked before the rules.

    Returns:
        tuple: ``(converted OrderedDict, dropped {key: reason}, unmapped [key])``.
    """
    converted, dropped, unmapped = OrderedDict(), {}, []
    for key, value in state.items():
        reason = next((r for p, r in drops if re.match(p, key)), None)
        if reason is not None:
            dropped[key] = reason
            continue
        for rule in rules:
            match = re.match(rule.pattern, key)
            if match:
                head = rule.target(match) if callable(rule.target) \
                    else match.expand(rule.target)
                new_key = head + key[match.end():]
                if new_key in converted:
                    raise CheckpointError(f'keys {key} and another both map to {new_key}')
                converted[new_key] = rule.transform(value) if rule.transform else value
                break
        else:
            unmapped.append(key)
    return converted, dropped, unmapped


def convert_checkpoint_file(src, dst, convert, allow_unmapped=False, logger=None):
    """Read ``src``, convert its state dict, report, and save ``dst`` atomically.

    Args:
        src (str): checkpoint to convert (``state_dict``/``model`` wrappers tolerated).
        dst (str): output, saved as ``dict(state_dict=..., meta=dict(converted_from))``.
        convert (callable): state dict → ``(converted, dropped, unmapped)``.
        allow_unmapped (bool): write the mapped keys even when some have no mapping
            (they are still listed); otherwise that is an error and nothing is written.

    Returns:
        tuple: ``(converted, dropped, unmapped)``.
    """
    state = unwrap_state_dict(load_checkpoint_file(src), src)
    converted, dropped, unmapped = convert(state)
    for key in sorted(dropped):
        print_log(f'dropped {key}: {dropped[key]}', logger=logger)
    if unmapped:
        message = (f'{src}: {len(unmapped)} keys have no mapping: '
                   + summarise_keys(unmapped, limit=len(unmapped)))
        if not allow_unmapped:
            raise CheckpointError(message + '. Nothing was written; pass '
                                  '--allow-unmapped to write the mapped keys only.')
        print_log(message + ' (left out, --allow-unmapped)', logger=logger)
    atomic_save(dict(state_dict=converted,
                     meta=dict(converted_from=os.path.basename(src))), dst)
    print_log(f'{src} -> {dst}: {len(converted)} keys written, {len(dropped)} dropped, '
              f'{len(unmapped)} unmapped', logger=logger)
    return converted, dropped, unmapped


def converter_main(argv, convert, description, report=None):
    """Command line of every ``tools/model_converters`` script: ``SRC DST
    [--allow-unmapped]``. Returns 0, or 1 after printing the error. ``report(src,
    dst, converted)``, if given, returns text printed after a successful write."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='output checkpoint (written atomically)')
    parser.add_argument('--allow-unmapped', action='store_true',
                        help='write the mapped keys even if some keys have no mapping')
    args = parser.parse_args(argv)
    try:
        converted, _, _ = convert_checkpoint_file(args.src, args.dst, convert,
                                                  args.allow_unmapped)
    except CheckpointError as err:
        print(f'error: {err}')
        return 1
    if report is not None:
        print(report(args.src, args.dst, converted))
    return 0
