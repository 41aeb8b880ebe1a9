"""The style banks of the Source-GtA augmentations are found in a model, saved and
put back, so a resumed run pairs its images with the same styles."""
import pytest
import torch
from torch import nn

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.runtime.augmentation_state import (find_style_banks,
                                                   load_style_bank_state,
                                                   style_bank_state)
from mmseg_uvpt.augmentations import AugmentationGroups

GROUPS = [dict(name='amplitude', prob=1.0, augs=[dict(type='FDARandomAmplitude')]),
          dict(name='swap', prob=1.0, augs=[dict(type='FDARandomAmplitude'),
                                            dict(type='FDAStyleSwap', bank_size=3)])]


class Inner(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        self.aug_groups = AugmentationGroups(GROUPS)


class Holder(nn.Module):

    def __init__(self):
        super().__init__()
        self.inner = Inner()
        self.aug_groups = AugmentationGroups(GROUPS[1:])


def swap(model):
    return model.inner.aug_groups.augs[1][1]


def test_banks_are_found_by_path_in_nested_modules():
    model = Holder()
    found = find_style_banks(model)
    assert [path for path, _ in found] == ['aug_groups.augs[0][1].bank',
                                           'inner.aug_groups.augs[1][1].bank']
    assert found[1][1] is swap(model).bank
    wrapped = nn.Module()
    wrapped.module = model  # as MMDataParallel / DDP hold it
    assert [b for _, b in find_style_banks(wrapped)] == [b for _, b in found]


def test_bank_state_round_trip_gives_the_same_partners():
    torch.manual_seed(0)
    model, fresh = Holder(), Holder()
    for _ in range(2):
        swap(model)(torch.rand(2, 3, 16, 16) * 255)
    state = style_bank_state(find_style_banks(model))
    assert list(state) == ['inner.aug_groups.augs[1][1].bank']  # the other is empty
    assert state['inner.aug_groups.augs[1][1].bank'].shape[0] == 3  # bank_size
    load_style_bank_state(find_style_banks(fresh), state, torch.device('cpu'))
    batch = torch.rand(2, 3, 16, 16) * 255
    torch.manual_seed(1)
    expected = swap(model)(batch)
    torch.manual_seed(1)
    assert torch.equal(swap(fresh)(batch), expected)
    empty = Holder()
    torch.manual_seed(1)
    assert not torch.equal(swap(empty)(batch), expected), \
        'an empty bank gives the same partners: the check above would prove nothing'


def test_a_bank_the_model_lacks_is_named():
    with pytest.raises(KeyError, match=r'nope\.bank'):
        load_style_bank_state(find_style_banks(Holder()), {'nope.bank': torch.zeros(1)},
                              torch.device('cpu'))
