"""The key rules of this project's state dicts: which keys a source checkpoint lacks
(the prompt adapter and the mixture weights, trained from scratch) and where the
state dict sits inside a checkpoint file."""
from .checkpoint_files import CheckpointError

#: keys of the adaptation model that a source checkpoint does not have
FRESH_PREFIXES = ('backbone.prompt_adapter.', 'pred_mix_logits', 'prompt_mix_logits')
#: the last name component of the LoRA baseline's low-rank updates
#: (``models/backbones/peft.py``), also fresh
LORA_PARAM_NAMES = ('lora_A', 'lora_B')


def is_lora_key(key):
    """True for a LoRA update's key (``...qkv.lora_A``)."""
    return key.rsplit('.', 1)[-1] in LORA_PARAM_NAMES


def is_fresh_key(key):
    """True for adapter, mixture and LoRA keys, which are trained from scratch."""
    return key.startswith(FRESH_PREFIXES) or is_lora_key(key)


def unwrap_state_dict(checkpoint, path):
    """The state dict inside a checkpoint (``state_dict``/``model`` wrappers and a
    ``module.`` prefix tolerated)."""
    state = checkpoint
    for wrapper in ('state_dict', 'model'):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
            break
    if not isinstance(state, dict) or not state:
        raise CheckpointError(f'checkpoint {path} holds no state dict')
    if all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    return state
