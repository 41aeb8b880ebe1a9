"""Self-training, prediction-consistency and prompt-consistency losses against
values computed by hand on tiny tensors."""
import math

import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.models.losses import (PredictionConsistencyLoss,
                                      PromptConsistencyLoss, SelfTrainingLoss)


# --------------------------------------------------------------- self-training
# 3 pixels (1×3 image), 3 classes; the last pixel is ignored, class 2 is absent.
ST_PROBS = [[0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.2, 0.2, 0.6]]


def st_inputs():
    probs = torch.tensor(ST_PROBS).T.reshape(1, 3, 1, 3)
    return probs.log().requires_grad_(), torch.tensor([[[0, 1, 255]]])


def test_self_training_lovasz_by_hand():
    # class 0: fg=[1,0], p=[.7,.4] -> errors [.3,.4] sorted [.4 (bg), .3 (fg)];
    #   Jaccard 1-I/U along the order: [1-1/2, 1-0/2] = [.5, 1] -> grad [.5, .5]
    #   -> .4·.5 + .3·.5 = .35
    # class 1: fg=[0,1], p=[.2,.5] -> errors [.2,.5] sorted [.5 (fg), .2 (bg)];
    #   Jaccard [1-0/1, 1-0/2] = [1, 1] -> grad [1, 0] -> .5
    # class 2 absent -> skipped ('present'); mean = (.35 + .5) / 2
    logits, label = st_inputs()
    out = SelfTrainingLoss(entropy_weight=0.005)(logits, label)
    assert out['loss_lovasz'].item() == pytest.approx(0.425, abs=1e-6)


def test_self_training_entropy_by_hand():
    logits, label = st_inputs()
    out = SelfTrainingLoss(entropy_weight=0.005)(logits, label)
    # every pixel counts (the term needs no label), normalised by ln 3, 4th power
    terms = [(-sum(p * math.log(p) for p in px) / math.log(3)) ** 4 for px in ST_PROBS]
    assert out['loss_entropy'].item() == pytest.approx(0.005 * sum(terms) / 3,
                                                        rel=1e-5)


def test_self_training_all_ignored_is_a_differentiable_zero():
    logits, _ = st_inputs()
    out = SelfTrainingLoss(entropy_weight=0.)(logits, torch.full((1, 1, 3), 255))
    assert out['loss_lovasz'].shape == () and out['loss_lovasz'].item() == 0
    (out['loss_lovasz'] + out['loss_entropy']).backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))


# ------------------------------------------------------ prediction consistency
def two_class(p0):
    return [p0, 1 - p0]


def pc_inputs():
    """2 images × 3 pixels, 2 classes, 3 predictions as logits [2, 2, 1, 3] each.

    A probability 0 is the logit -100 (softmax 4e-44, 0 to the test's precision).
    """
    # per (image, pixel): the class-0 probability of predictions 1, 2, 3
    table = {
        (0, 0): (0.9, 0.8, 1.0),      # confident, labelled
        (0, 1): (0.99, 0.99, 0.99),   # confident but label 255
        (0, 2): (1.0, 1.0, 1.0),      # mixture [1, 0] clamped to [.999, .001]
        (1, 0): (0.6, 0.6, 0.6),      # not confident (image 0 is, at this pixel)
        (1, 1): (0.0, 0.1, 0.0),      # confident for class 1
        (1, 2): (0.5, 0.9, 0.5),      # mixture .7: not confident
    }
    probs = torch.zeros(3, 2, 2, 1, 3)
    for (b, x), values in table.items():
        for k, v in enumerate(values):
            probs[k, b, :, 0, x] = torch.tensor(two_class(v))
    label = torch.tensor([[[0, 255, 0]], [[0, 1, 1]]])
    mix_logits = torch.tensor([0., math.log(2.), 0.], requires_grad=True)  # ¼ ½ ¼
    logits = probs.double().log().clamp(min=-100).float()
    return [x.clone().requires_grad_() for x in logits], label, mix_logits


def kl(p, m):
    return sum(pi * math.log(pi / mi) for pi, mi in zip(p, m) if pi > 0)


def test_prediction_consistency_by_hand():
    logits, label, mix_logits = pc_inputs()
    loss = PredictionConsistencyLoss(conf_threshold=0.8)(logits, label, mix_logits)
    m_a = two_class(0.25 * 0.9 + 0.5 * 0.8 + 0.25 * 1.0)        # [.875, .125]
    kl_a = kl(two_class(0.9), m_a) + kl(two_class(0.8), m_a) + kl(two_class(1.0), m_a)
    kl_c = 3 * kl([1.0, 0.0], [0.999, 0.001])
    m_e = two_class(0.5 * 0.1)                                   # [.05, .95]
    kl_e = 2 * kl([0.0, 1.0], m_e) + kl(two_class(0.1), m_e)
    # the default divides by all 6 pixels of the batch (the reference release)
    assert loss.item() == pytest.approx((kl_a + kl_c + kl_e) / 6, rel=1e-5)
    confident = PredictionConsistencyLoss(conf_threshold=0.8, average_over='confident')
    assert confident(logits, label, mix_logits).item() == pytest.approx(
        (kl_a + kl_c + kl_e) / 3, rel=1e-5)
    loss.backward()
    assert mix_logits.grad.abs().sum() > 0
    # finite gradients although some probabilities are 0 (p·log p at p = 0)
    assert all(torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0 for x in logits)


def test_equal_mixture_weights_are_stationary():
    # the arithmetic mean minimises Σ_k KL(p_k‖m) and Σ_k ‖f_k − m‖², so at the
    # equal initial weights both mixtures get exactly zero gradient (the method's
    # property, not a detached graph: unequal weights do get gradients above)
    logits, label, _ = pc_inputs()
    equal = torch.zeros(3, requires_grad=True)
    PredictionConsistencyLoss(conf_threshold=0.8, eps=1e-6)(
        [x[1:, :, :, 1:2] for x in logits], label[1:, :, 1:2], equal).backward()
    torch.testing.assert_close(equal.grad, torch.zeros(3), atol=1e-6, rtol=0)
    injected, _ = prompt_inputs()
    equal = torch.zeros(2, 3, requires_grad=True)
    PromptConsistencyLoss(clamp=False)(injected, equal).backward()
    torch.testing.assert_close(equal.grad, torch.zeros(2, 3), atol=1e-9, rtol=0)


def test_prediction_consistency_mask_is_per_image():
    # image 1's pixel 0 is unconfident although image 0 is confident there: taking
    # the max over the batch (the reference release's bug) would count it
    logits, label, mix_logits = pc_inputs()
    loss_fn = PredictionConsistencyLoss(conf_threshold=0.8)
    full = loss_fn(logits, label, mix_logits)
    only_image_1 = loss_fn([x[1:] for x in logits], label[1:], mix_logits)
    m_e = two_class(0.05)
    expected = 2 * kl([0.0, 1.0], m_e) + kl(two_class(0.1), m_e)
    assert only_image_1.item() == pytest.approx(expected / 3, rel=1e-5)  # 3 pixels
    assert full.item() != pytest.approx(only_image_1.item())


def test_prediction_consistency_no_pixel_is_a_differentiable_zero():
    logits, label, mix_logits = pc_inputs()
    loss = PredictionConsistencyLoss(conf_threshold=0.9999)(logits, label, mix_logits)
    assert loss.item() == 0
    loss.backward()
    assert torch.equal(mix_logits.grad, torch.zeros(3))


# ---------------------------------------------------------- prompt consistency
def prompt_inputs():
    f1 = torch.tensor([[0.2, 0.4], [0.6, 2.0]])
    f05 = torch.tensor([[0.5]])
    # 2×2 block means 0.2, -0.4, 0.8, 0.9: a bilinear ½ resize averages each block
    f2 = torch.tensor([[0.1, 0.3, -0.4, -0.4],
                       [0.1, 0.3, -0.4, -0.4],
                       [0.8, 0.8, 0.7, 1.1],
                       [0.8, 0.8, 0.9, 0.9]])
    same = torch.full((1, 1, 2, 2), 0.3)
    injected = [[f.reshape(1, 1, *f.shape).requires_grad_(), same]
                for f in (f1, f05, f2)]
    mix_logits = torch.tensor([[0., 0., math.log(2.)], [0., 0., 0.]],
                              requires_grad=True)   # stage 0: ¼ ¼ ½
    return injected, mix_logits


def expected_prompt_loss(clamp):
    hi, lo = (0.999, 0.001) if clamp else (2.0, -0.4)
    f1 = torch.tensor([[0.2, 0.4], [0.6, hi]], dtype=torch.float64)
    f05 = torch.full((2, 2), 0.5, dtype=torch.float64)
    f2 = torch.tensor([[0.2, lo], [0.8, 0.9]], dtype=torch.float64)
    mix = 0.25 * f1 + 0.25 * f05 + 0.5 * f2
    # stage 1 has equal features in every pass: 0
    return 0.001 * sum(((f - mix) ** 2).mean() for f in (f1, f05, f2)).item() / 3


@pytest.mark.parametrize('clamp', [True, False])
def test_prompt_consistency_by_hand(clamp):
    injected, mix_logits = prompt_inputs()
    loss = PromptConsistencyLoss(loss_weight=0.001, clamp=clamp)(injected, mix_logits)
    assert loss.item() == pytest.approx(expected_prompt_loss(clamp), rel=1e-5)
    loss.backward()
    assert mix_logits.grad[0].abs().sum() > 0
    grad_f1 = injected[0][0].grad[0, 0]
    # the clamp cuts the gradient of the clamped value (f1 = 2.0), and only there
    assert (grad_f1[1, 1] == 0) == clamp
    assert (grad_f1[0, 0] != 0)


def test_prompt_consistency_checks_logit_shape():
    injected, _ = prompt_inputs()
    with pytest.raises(ValueError, match='stages'):
        PromptConsistencyLoss()(injected, torch.zeros(3, 3))
