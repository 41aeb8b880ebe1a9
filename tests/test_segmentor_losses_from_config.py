"""UVPTSegmentor takes its three losses from the config (mmseg's convention): the
decode head's ``loss_decode`` is the self-training loss, ``loss_pred_consistency`` and
``loss_prompt_consistency`` the two consistency losses. The paper configs compute what
they computed when the segmentor built its losses itself, and a config can swap any
of them for a registered loss of one's own."""
import pytest
import torch
import torch.nn as nn
from mmcv import Config
from mmseg.models import build_segmentor
from mmseg.models.builder import LOSSES

import mmseg_uvpt  # noqa: F401
from test_release_settings import REPO

#: the losses of one training step on fixed weights and inputs (below), measured with
#: the segmentor that built its losses from scalar arguments (entropy_weight, ...),
#: before they moved to the config
BEFORE = {
    'swin-b_standard_gta52cityscapes': dict(
        loss_lovasz=0.9889591336250305, loss_entropy=4.037002781842602e-06,
        loss_pred_consistency=0.006549638696014881,
        loss_prompt_consistency=0.00032027342240326107),
    'mit-b5_standard_synthia2cityscapes': dict(
        loss_lovasz=0.9798513650894165, loss_entropy=1.2910719306091778e-05,
        loss_pred_consistency=0.0008572067599743605,
        loss_prompt_consistency=0.00031602001399733126),
}


def paper_model(run, head_loss=None, **model_overrides):
    """The paper run's model at depth 1 per stage, fixed random weights, a confident
    classifier (so the prediction consistency counts pixels), in eval mode (no drop
    path or dropout draws)."""
    cfg = Config.fromfile(str(REPO / 'configs' / 'uvpt' / f'{run}.py'))
    backbone = cfg.model.backbone
    if backbone.type == 'SwinPrompt':
        backbone.depths = (1, 1, 1, 1)
    else:
        backbone.num_layers = [1, 1, 1, 1]
    backbone.init_cfg = None
    cfg.model.update(model_overrides)
    if head_loss is not None:
        cfg.model.decode_head.loss_decode = head_loss
    torch.manual_seed(0)
    model = build_segmentor(cfg.model)
    model.init_weights()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.02 * torch.randn_like(p))
        model.decode_head.conv_seg.weight.mul_(40)
    return model.eval()


def one_step(model):
    img = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    label = torch.randint(0, 19, (1, 1, 64, 64), generator=torch.Generator().manual_seed(2))
    label[..., :8, :] = 255
    metas = [dict(img_shape=(64, 64, 3), ori_shape=(64, 64, 3), pad_shape=(64, 64, 3),
                  flip=False)]
    losses, correction = model.forward_train(img, metas, label, return_correction=True)
    return losses, correction


@pytest.mark.parametrize('run', sorted(BEFORE))
def test_paper_configs_compute_the_losses_they_computed_before(run):
    losses, correction = one_step(paper_model(run))
    assert (correction['prob'] > 0.8).any()  # the consistency mask is not empty
    for name, value in BEFORE[run].items():
        # float32 on other CPUs' kernels: a tolerance about rounding, not the machine
        assert losses[name].item() == pytest.approx(value, rel=1e-4, abs=1e-9), name
    assert set(BEFORE[run]) <= set(losses)


@LOSSES.register_module(force=True)
class ScaledCrossEntropy(nn.Module):
    """A loss of one's own: cross-entropy times a factor (as a researcher registers)."""

    def __init__(self, factor=2.0):
        super().__init__()
        self.factor = factor

    def forward(self, logits, label, ignore_index=255):
        return self.factor * nn.functional.cross_entropy(logits, label,
                                                         ignore_index=ignore_index)

    @property
    def loss_name(self):
        return 'loss_scaled_ce'


def test_each_loss_can_be_swapped_from_the_config():
    run = 'mit-b5_standard_synthia2cityscapes'
    model = paper_model(
        run,
        head_loss=dict(type='ScaledCrossEntropy', factor=3.0),
        loss_pred_consistency=dict(type='PredictionConsistencyLoss', conf_threshold=0.5,
                                   loss_weight=2.0, average_over='confident'),
        loss_prompt_consistency=dict(type='PromptConsistencyLoss', loss_weight=0.01,
                                     clamp=False))
    losses, _ = one_step(model)
    assert 'loss_lovasz' not in losses and 'loss_entropy' not in losses
    assert model.pred_consistency_loss.conf_threshold == 0.5
    # the swapped self-training loss is what the step computes, ignore label and all
    img = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    label = torch.randint(0, 19, (1, 64, 64), generator=torch.Generator().manual_seed(2))
    label[:, :8, :] = 255
    with torch.no_grad():
        logits = model._forward_scale(img, 1.0, (64, 64))[0]
        expected = 3.0 * nn.functional.cross_entropy(logits, label, ignore_index=255)
    assert losses['loss_scaled_ce'].item() == pytest.approx(expected.item(), rel=1e-5)
    # and the consistency terms moved with their new settings
    before = BEFORE[run]
    assert losses['loss_prompt_consistency'].item() != pytest.approx(
        before['loss_prompt_consistency'], rel=1e-2)
    assert losses['loss_pred_consistency'].item() != pytest.approx(
        before['loss_pred_consistency'], rel=1e-2)


def test_a_list_of_head_losses_adds_them_all():
    model = paper_model('mit-b5_standard_synthia2cityscapes', head_loss=[
        dict(type='SelfTrainingLoss', entropy_weight=0.005),
        dict(type='ScaledCrossEntropy', factor=1.0)])
    losses, _ = one_step(model)
    assert losses['loss_lovasz'].item() == pytest.approx(
        BEFORE['mit-b5_standard_synthia2cityscapes']['loss_lovasz'], rel=1e-4)
    assert losses['loss_scaled_ce'].item() > 0
