"""Augmentation memory that lives outside a model's parameters and buffers.

Source-GtA's style-swap augmentations (``FDAStyleSwap``, ``AdaINStyleTransfer``)
pick style partners among the styles of recent batches, which each keeps in a
:class:`~mmseg_uvpt.augmentations.StyleBank`. A resumed run starting with empty banks
would pair its images with other styles than the uninterrupted run did, so the
runner keeps the banks' contents in its checkpoints and puts them back on resume.
"""
import torch
from torch import nn

from ..augmentations import StyleBank

#: the walk below only enters objects of this package (augmentation groups and
#: augmentations), never third-party ones (loggers, file clients, torch internals)
_PACKAGE = __name__.split('.')[0]


def find_style_banks(model):
    """``[(path, bank)]`` of every :class:`StyleBank` held by the model's modules
    (through lists, tuples and attributes of this package's objects), in a stable
    order, e.g. ``('aug_groups.augs[0][1].bank', bank)``.

    Args:
        model (nn.Module): the segmentor (unwrapped or in a data-parallel wrapper).
    """
    model = getattr(model, 'module', model)
    found, seen = [], set()

    def visit(obj, path):
        if id(obj) in seen or isinstance(obj, (nn.Module, torch.Tensor)):
            return
        seen.add(id(obj))
        if isinstance(obj, StyleBank):
            found.append((path, obj))
        elif isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj):
                visit(item, f'{path}[{i}]')
        elif type(obj).__module__.split('.')[0] == _PACKAGE and hasattr(obj, '__dict__'):
            for name, value in vars(obj).items():
                visit(value, f'{path}.{name}')

    for module_name, module in model.named_modules():
        prefix = f'{module_name}.' if module_name else ''
        for name, value in vars(module).items():
            if not name.startswith('_'):  # parameters, buffers, hooks, submodules
                visit(value, prefix + name)
    return found


def style_bank_state(banks):
    """``{path: remembered descriptors on the CPU}`` of the non-empty banks of a
    :func:`find_style_banks` list."""
    return {path: bank.items.detach().cpu().clone()
            for path, bank in banks if bank.items is not None}


def load_style_bank_state(banks, state, device):
    """Refill the banks of a :func:`find_style_banks` list from
    :func:`style_bank_state` output (banks it does not name start empty).

    Args:
        banks (list[tuple[str, StyleBank]]): the model's banks.
        state (dict[str, Tensor]): saved descriptors by path.
        device (torch.device): where the banks' next batches will be (the model's).

    Raises:
        KeyError: the state names a bank this model does not have.
    """
    banks = dict(banks)
    unknown = sorted(set(state) - set(banks))
    if unknown:
        raise KeyError(f'the checkpoint holds style banks {unknown} that this model '
                       f'does not have (it has {sorted(banks)})')
    for path, bank in banks.items():
        items = state.get(path)
        bank.items = None if items is None else items.to(device)
