"""param_table: per-group trainable/frozen counts equal hand sums."""
import torch
import torch.nn as nn

from mmseg_uvpt.utils.param_report import param_table


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.stem = nn.Linear(4, 3)             # 15, frozen
        self.backbone.prompt_adapter = nn.Linear(3, 2)   # 8, trainable
        self.backbone.stem.requires_grad_(False)
        self.decode_head = nn.Conv2d(2, 5, 1)            # 15, trainable
        self.decode_head.bias.requires_grad_(False)      # 5 of them frozen
        self.pred_mix_logits = nn.Parameter(torch.zeros(3))
        self.prompt_mix_logits = nn.Parameter(torch.zeros(4, 3))
        self.extra = nn.Linear(2, 2)                     # 6, other


def test_counts_equal_hand_sums():
    rows, text = param_table(Tiny())
    table = {r['group']: (r['trainable'], r['frozen'], r['total']) for r in rows}
    assert table == {
        'prompt adapter': (8, 0, 8),
        'backbone': (0, 15, 15),
        'decode head': (10, 5, 15),
        'mixture logits': (15, 0, 15),
        'other': (6, 0, 6),
        'total': (39, 20, 59),
    }
    assert [r['group'] for r in rows][-1] == 'total'
    lines = text.splitlines()
    assert lines[0].split() == ['group', 'trainable', 'frozen', 'total']
    assert lines[-1].split() == ['total', '39', '20', '59']
    assert 'decode head' in text and '10' in text


def test_wrapped_model_is_unwrapped():
    wrapper = nn.Module()
    wrapper.module = Tiny()
    assert param_table(wrapper)[0] == param_table(wrapper.module)[0]


def test_thousands_are_separated():
    model = nn.Module()
    model.decode_head = nn.Linear(1000, 1000)
    assert '1,001,000' in param_table(model)[1]
