"""Prompt-only checkpoints: the trained part of an adapted model, tied to its source.

Adaptation trains the prompt adapter, the decode head and the mixture logits; the
backbone stays as the source checkpoint left it (for Swin-B about 87 M of 115 M
parameters). A prompt-only checkpoint keeps every buffer (BN statistics change in
training; the rest are small) and the trainable parameters, and leaves out the frozen
parameters. In their place it records where the source checkpoint was and a sha256
per frozen tensor, so that loading can rebuild the full state dict from the source
file and refuse a source whose frozen tensors differ, naming the tensor.

Layout (beside ``meta``, ``optimizer`` and ``runtime``, which are as in a full
checkpoint)::

    state_dict   trainable parameters + buffers
    prompt_only  dict(source_checkpoint=<real path>, frozen_sha256=<hex>,
                      frozen_tensors={key: <hex sha256 of dtype, shape and bytes>})
"""
import hashlib
import os.path as osp

import torch

from .checkpoint_files import CheckpointError, atomic_save, load_checkpoint_file
from .state_keys import unwrap_state_dict

PROMPT_ONLY_KEY = 'prompt_only'


def tensor_sha256(tensor):
    """Hex sha256 of a tensor's dtype, shape and bytes (any dtype, bf16 included)."""
    tensor = tensor.detach().cpu().contiguous()
    digest = hashlib.sha256(f'{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
    if tensor.numel():
        # a uint8 view gives the raw bytes of dtypes numpy lacks (bfloat16)
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def combined_sha256(hashes):
    """One hex sha256 over ``{key: tensor hash}``, independent of dict order."""
    digest = hashlib.sha256()
    for key in sorted(hashes):
        digest.update(f'{key}={hashes[key]}\n'.encode())
    return digest.hexdigest()


def frozen_parameter_names(model):
    """State-dict keys of the parameters that do not train (``requires_grad`` off)."""
    model = getattr(model, 'module', model)
    return [name for name, param in model.named_parameters() if not param.requires_grad]


class FrozenHashCache:
    """Per-tensor hashes of a model's frozen parameters, recomputed only for a tensor
    that was modified in place since (its ``_version`` counter moved).

    Hashing the frozen Swin-B backbone takes about a second; a run saves a checkpoint
    every few thousand iterations and the frozen tensors never change, so the hashes
    are computed once.
    """

    def __init__(self):
        self._cache = {}

    def hashes(self, model):
        """``{key: hex sha256}`` of the model's frozen parameters."""
        model = getattr(model, 'module', model)
        params = dict(model.named_parameters())
        out = {}
        for name in frozen_parameter_names(model):
            param = params[name]
            stamp = (param.data_ptr(), param._version)
            cached = self._cache.get(name)
            if cached is None or cached[0] != stamp:
                cached = (stamp, tensor_sha256(param))
                self._cache[name] = cached
            out[name] = cached[1]
        return out


def split_prompt_only(state_dict, frozen_hashes, source_checkpoint):
    """``(state_dict without the frozen tensors, prompt_only record)``.

    Args:
        state_dict (dict): a full state dict.
        frozen_hashes (dict): ``{key: tensor_sha256}`` of its frozen tensors (from
            :class:`FrozenHashCache` or :func:`frozen_hashes_of`).
        source_checkpoint (str): the source checkpoint holding those tensors.
    """
    kept = type(state_dict)((k, v) for k, v in state_dict.items()
                            if k not in frozen_hashes)
    # the real path: a link such as latest.pth moves on when its run goes on
    record = dict(source_checkpoint=osp.realpath(source_checkpoint),
                  frozen_sha256=combined_sha256(frozen_hashes),
                  frozen_tensors=dict(frozen_hashes))
    return kept, record


def frozen_hashes_of(state_dict, frozen_names):
    """``{key: tensor_sha256}`` of ``state_dict[key]`` for the frozen keys."""
    return {k: tensor_sha256(state_dict[k]) for k in frozen_names}


def is_prompt_only(checkpoint):
    """True for a checkpoint written with :func:`split_prompt_only`."""
    return isinstance(checkpoint, dict) and isinstance(checkpoint.get(PROMPT_ONLY_KEY),
                                                       dict)


def _source_state(path):
    return unwrap_state_dict(load_checkpoint_file(path), path)


def _frozen_from(source_path, record, checkpoint_path):
    """The frozen tensors of ``record`` read from ``source_path``, each hash checked.

    Returns the tensors, or raises CheckpointError naming both files and the first
    tensors that are missing or differ.
    """
    state = _source_state(source_path)
    expected = record['frozen_tensors']
    missing = [k for k in expected if k not in state]
    changed = [k for k in expected
               if k in state and tensor_sha256(state[k]) != expected[k]]
    if missing or changed:
        parts = []
        if changed:
            parts.append(f'{len(changed)} frozen tensor(s) differ, e.g. '
                         + ', '.join(changed[:3]))
        if missing:
            parts.append(f'{len(missing)} frozen tensor(s) are missing, e.g. '
                         + ', '.join(missing[:3]))
        raise CheckpointError(
            f'the frozen tensors of {checkpoint_path} are not those of source '
            f'checkpoint {source_path}: ' + '; '.join(parts)
            + f'. It needs the file recorded as {record["source_checkpoint"]}; '
            'point to it with --source-checkpoint PATH')
    return {k: state[k] for k in expected}


def source_candidates(record, source_checkpoint=None):
    """Where to look for the source: ``source_checkpoint`` (given by the caller,
    e.g. ``--source-checkpoint`` or the config), then the recorded path."""
    candidates = []
    for path in (source_checkpoint, record['source_checkpoint']):
        if path and path not in candidates:
            candidates.append(path)
    return candidates


def assemble_state_dict(checkpoint, checkpoint_path, source_checkpoint=None,
                        logger=None):
    """``(full state dict, source used)`` of a prompt-only checkpoint.

    The first existing candidate of :func:`source_candidates` whose frozen tensors
    match the recorded hashes is used. A candidate that exists but does not match
    is an error (naming both files and the tensors) unless a later candidate
    matches, so a stale config default does not hide the recorded source.

    Args:
        checkpoint (dict): the loaded prompt-only checkpoint.
        checkpoint_path (str): its file, for messages.
        source_checkpoint (str | None): a source to try first.
        logger: gets a line naming the source used.

    Raises:
        CheckpointError: no candidate exists or none matches.
    """
    record = checkpoint[PROMPT_ONLY_KEY]
    candidates = source_candidates(record, source_checkpoint)
    existing = [p for p in candidates if osp.isfile(p)]
    if not existing:
        raise CheckpointError(
            f'prompt-only checkpoint {checkpoint_path} needs its source checkpoint '
            f'{record["source_checkpoint"]}, which does not exist'
            + (f' (nor does {source_checkpoint})' if source_checkpoint
               and source_checkpoint != record['source_checkpoint'] else '')
            + '; point to it with --source-checkpoint PATH, or export a full '
            'checkpoint with tools/model_converters/prompt_only.py where it exists')
    first_error = None
    for path in existing:
        try:
            frozen = _frozen_from(path, record, checkpoint_path)
        except CheckpointError as err:
            first_error = first_error or err
            continue
        if logger is not None:
            from mmcv.utils import print_log
            if first_error is not None:
                # an earlier candidate (e.g. --source-checkpoint) did not fit: say so
                # rather than pass it over in silence
                print_log(f'{first_error}; using {path} instead', logger=logger,
                          level=30)
            print_log(f'prompt-only checkpoint {checkpoint_path}: {len(frozen)} frozen '
                      f'tensors from {path} (hashes match)', logger=logger)
        state = dict(frozen)
        state.update(checkpoint['state_dict'])
        return state, path
    raise first_error


def check_source_matches(record, source_path, what):
    """Raise CheckpointError unless ``source_path`` holds the frozen tensors of
    ``record`` (``what`` names the checkpoint in the message)."""
    if not osp.isfile(source_path):
        raise CheckpointError(f'source checkpoint {source_path} of {what} does not exist')
    _frozen_from(source_path, record, what)


def load_full_state(path, source_checkpoint=None, logger=None):
    """``(checkpoint dict, full state dict, source used or None)`` of any model
    checkpoint file, prompt-only ones assembled with their source."""
    checkpoint = load_checkpoint_file(path)
    if is_prompt_only(checkpoint):
        state, used = assemble_state_dict(checkpoint, path, source_checkpoint, logger)
        return checkpoint, state, used
    return checkpoint, unwrap_state_dict(checkpoint, path), None


#: entries of a training checkpoint that only resuming needs
TRAINING_STATE_KEYS = ('optimizer', 'runtime')


def export_full(src, dst, source_checkpoint=None, keep_training_state=True,
                logger=None):
    """Write the full checkpoint of prompt-only ``src`` to ``dst`` (atomically).

    Args:
        src (str): a prompt-only checkpoint.
        dst (str): output.
        source_checkpoint (str | None): tried before the recorded source.
        keep_training_state (bool): keep ``optimizer`` and ``runtime`` (the output
            can then resume the run); False for a file to share.

    Returns:
        dict: the written checkpoint.
    """
    checkpoint = load_checkpoint_file(src)
    if not is_prompt_only(checkpoint):
        raise CheckpointError(f'{src} is not a prompt-only checkpoint (it has no '
                              f'"{PROMPT_ONLY_KEY}" entry); it is full already')
    state, used = assemble_state_dict(checkpoint, src, source_checkpoint, logger)
    out = {k: v for k, v in checkpoint.items() if k != PROMPT_ONLY_KEY
           and (keep_training_state or k not in TRAINING_STATE_KEYS)}
    out['state_dict'] = state
    out.setdefault('meta', {})['source_checkpoint'] = used
    atomic_save(out, dst)
    return out


def export_prompt_only(src, dst, frozen_names, source_checkpoint):
    """Write the prompt-only form of full checkpoint ``src`` to ``dst`` (atomically).

    Args:
        src (str): a full adapted checkpoint.
        dst (str): output.
        frozen_names (Sequence[str]): keys of the frozen parameters (from the model
            of the config, see :func:`frozen_parameter_names`).
        source_checkpoint (str): must hold the same frozen tensors as ``src``.

    Returns:
        dict: the written checkpoint.
    """
    checkpoint = load_checkpoint_file(src)
    if is_prompt_only(checkpoint):
        raise CheckpointError(f'{src} is prompt-only already')
    state = unwrap_state_dict(checkpoint, src)
    missing = [k for k in frozen_names if k not in state]
    if missing:
        raise CheckpointError(f'{src} lacks {len(missing)} frozen tensors of the config '
                              f'model, e.g. {", ".join(missing[:3])}')
    kept, record = split_prompt_only(state, frozen_hashes_of(state, frozen_names),
                                     source_checkpoint)
    check_source_matches(record, source_checkpoint, src)
    out = dict(checkpoint) if 'state_dict' in checkpoint else dict(meta={})
    out['state_dict'] = kept
    out[PROMPT_ONLY_KEY] = record
    atomic_save(out, dst)
    return out
