"""Pure functions of the pseudo-label correction, on hand-made tensors (DESIGN §3.5)."""
import math

import numpy as np
import pytest
import torch

from mmseg_uvpt.correction.iou_queue import IoUQueue, intersection_union
from mmseg_uvpt.correction.pixel_update import correct_label, crop_to_full, resized_shape
from mmseg_uvpt.correction.threshold import (NO_PREDICTION, class_prob_histogram,
                                             quantile_bins, quantise_prob)
from mmseg_uvpt.correction.trigger import should_trigger, slope_drop


# --- intersection / union and the queue -------------------------------------------
def test_intersection_union_by_hand():
    pred = torch.tensor([[[0, 0, 1], [1, 2, 2]], [[2, 2, 2], [2, 2, 2]]],
                        dtype=torch.uint8)
    label = torch.tensor([[[0, 1, 1], [1, 255, 0]], [[255, 255, 255], [2, 2, 1]]],
                         dtype=torch.uint8)
    inter, union = intersection_union(pred, label, num_classes=3)
    # sample 0 (pixel 11 has label 255, ignored):
    #   class 0: pred {00,01}, label {00,12}: I=1, U=3
    #   class 1: pred {02,10}, label {01,02,10}: I=2, U=3
    #   class 2: pred {12}, label {}: I=0, U=1
    assert inter[0].tolist() == [1, 2, 0]
    assert union[0].tolist() == [3, 3, 1]
    # sample 1: row 0 ignored; class 2 pred 3 px, label 2 px, I=2, U=3; class 1 U=1
    assert inter[1].tolist() == [0, 0, 2]
    assert union[1].tolist() == [0, 1, 3]


def test_queue_keeps_last_samples_and_ratio_of_sums():
    queue = IoUQueue(num_classes=2, size=3)
    queue.push(torch.tensor([[1, 0]]), torch.tensor([[2, 0]]))
    assert torch.isnan(queue.iou()[1]) and queue.iou()[0] == pytest.approx(0.5)
    queue.push(torch.tensor([[3, 1], [0, 1], [4, 2]]),
               torch.tensor([[4, 4], [4, 2], [4, 2]]))
    # the first sample dropped out: sums over the last three only
    assert queue.count == 3
    assert queue.iou().tolist() == pytest.approx([7 / 12, 4 / 8])
    restored = IoUQueue(num_classes=2, size=3)
    restored.load_state_dict(queue.state_dict())
    restored.push(torch.tensor([[0, 0]]), torch.tensor([[4, 0]]))
    queue.push(torch.tensor([[0, 0]]), torch.tensor([[4, 0]]))
    assert torch.equal(restored.iou(), queue.iou())


# --- trigger ------------------------------------------------------------------------
ITERS = np.arange(200, 12001, 200, dtype=float)


def _first_trigger(curve, trigger=0.95):
    for n in range(1, len(ITERS) + 1):
        if should_trigger(ITERS[:n], curve[:n], trigger):
            return ITERS[n - 1]
    return None


def test_trigger_on_saturating_cubic_fires_where_slope_is_five_percent():
    # IoU rises as 1-(1-t/T)^3 until T, so the slope is 5% of its start value at
    # (1-t/T)^2 = 0.05*(1-t0/T)^2; a cubic fit represents this curve exactly
    T, t0 = 6000.0, ITERS[0]
    curve = 0.6 * (1 - (1 - np.minimum(ITERS, T) / T)**3)
    expected = T - math.sqrt(0.05) * (T - t0)  # 4702.5
    assert _first_trigger(curve) == 4800.0
    assert 4800.0 - 200 < expected <= 4800.0
    assert slope_drop(ITERS[ITERS <= 4600], curve[ITERS <= 4600]) < 0.95


def test_trigger_on_saturating_exponential_tracks_the_true_slope():
    # IoU = a(1 - exp(-t/tau)). A cubic cannot follow the exponential's tail, so
    # its slope drop peaks near 0.88 (at ~3 tau) and the paper's 0.95 never fires on
    # this noise-free curve; a lower trigger fires close to where the true slope
    # has fallen by that much.
    tau = 2000.0
    curve = 0.6 * (1 - np.exp(-ITERS / tau))
    assert _first_trigger(curve, 0.95) is None
    fired = _first_trigger(curve, 0.8)
    true_drop = 1 - math.exp(-(fired - ITERS[0]) / tau)
    assert 0.8 <= true_drop <= 0.86, (fired, true_drop)


def test_trigger_never_on_a_line_or_too_few_points():
    line = 0.1 + 4e-5 * ITERS
    assert abs(slope_drop(ITERS, line)) < 1e-6
    assert _first_trigger(line) is None
    # a saturating cubic whose slope is already 0 at the 4th point: four points fit it
    # exactly (drop 1.0) but are too few for a meaningful fit, so it must not fire
    fast = 0.6 * (1 - (1 - np.minimum(ITERS, 800.0) / 800.0)**3)
    assert slope_drop(ITERS[:4], fast[:4]) == pytest.approx(1.0)
    for n in range(1, 5):
        assert not should_trigger(ITERS[:n], fast[:n])
    assert math.isnan(slope_drop(ITERS[:3], fast[:3]))


# --- thresholds -------------------------------------------------------------------------
def test_histogram_counts_by_hand():
    pred = np.array([[0, 0, 1], [NO_PREDICTION, 1, 1]], dtype=np.uint8)
    prob = np.array([[10, 10, 200], [99, 255, 200]], dtype=np.uint8)
    hist = class_prob_histogram(pred, prob, 2)
    assert hist.shape == (2, 256) and hist.sum() == 5
    assert hist[0, 10] == 2 and hist[1, 200] == 2 and hist[1, 255] == 1


def test_quantile_matches_numpy_within_one_bin():
    rng = np.random.default_rng(0)
    images = []
    for _ in range(4):  # per-image histograms summed = one global histogram
        pred = rng.integers(0, 3, size=(6, 7))
        prob = rng.beta(5, 2, size=(6, 7))
        images.append((pred, prob))
    hist = sum(class_prob_histogram(p, quantise_prob(q), 3) for p, q in images)
    for q in (0.0, 0.3, 0.8, 1.0):
        tau = quantile_bins(hist, q)
        for c in range(3):
            probs = np.concatenate([pr[pd == c] for pd, pr in images])
            assert abs(tau[c] / 255 - np.quantile(probs, q)) <= 1 / 255
            quantised = np.concatenate([quantise_prob(pr[pd == c]) for pd, pr in images])
            assert tau[c] == pytest.approx(np.quantile(quantised.astype(float), q))


def test_quantile_of_small_hand_made_case_and_empty_class():
    hist = np.zeros((2, 256), dtype=np.int64)
    hist[0, [50, 100, 200]] = [1, 2, 1]  # values 50, 100, 100, 200
    tau = quantile_bins(hist, 0.8)  # index 0.8*3 = 2.4 -> 100 + 0.4*(200-100)
    assert tau[0] == pytest.approx(140.0)
    assert math.isinf(tau[1])


# --- crop / flip mapping and the pixel update ---------------------------------------
def test_crop_to_full_places_pixels_exactly_under_flip_and_padding():
    crop = np.array([[1, 2, 3], [4, 5, 6], [9, 9, 9]],
                    dtype=np.uint8)  # last row: padding by Pad
    box = (1, 3, 2, 5)  # y1, y2, x1, x2 in a 4x6 image
    plain = crop_to_full(crop, box, (4, 6), flip=False, fill=255)
    assert plain[1, 2:5].tolist() == [1, 2, 3] and plain[2, 2:5].tolist() == [4, 5, 6]
    assert (plain == 255).sum() == 24 - 6
    flipped = crop_to_full(crop,
                           box, (4, 6),
                           flip=True,
                           flip_direction='horizontal',
                           fill=255)
    # the sample's column 0 was image column 4
    assert flipped[1, 2:5].tolist() == [3, 2, 1] and flipped[2, 4] == 4
    vertical = crop_to_full(crop, box, (4, 6), True, 'vertical', fill=255)
    assert vertical[1, 2:5].tolist() == [4, 5, 6] and vertical[2,
                                                               2:5].tolist() == [1, 2, 3]
    with pytest.raises(ValueError):
        crop_to_full(crop, (1, 3, 4, 7), (4, 6))


def test_resized_shape_from_meta():
    meta = dict(ori_shape=(1024, 2048, 3),
                scale_factor=np.array([0.5, 0.5, 0.5, 0.5], dtype=np.float32))
    assert resized_shape(meta) == (512, 1024)
    assert resized_shape(dict(ori_shape=(7, 9, 3))) == (7, 9)


def test_correct_label_only_active_confident_predicted_pixels():
    label = np.array([[0, 0, 1, 1], [2, 2, 255, 255]], dtype=np.uint8)
    pred = np.array([[1, 1, 1, 0], [0, NO_PREDICTION, 1, 2]], dtype=np.uint8)
    prob = np.array([[200, 100, 250, 255], [255, 255, 150, 255]], dtype=np.uint8)
    active = np.array([True, True, False])
    thresholds = np.array([254.5, 150.0, 0.0])
    new, changed = correct_label(label, pred, prob, active, thresholds)
    # (0,0) class 1, 200>=150 -> 1; (0,1) 100<150 stays; (0,2) already 1;
    # (0,3) class 0, 255>=254.5 -> 0; (1,0) -> 0; (1,1) no prediction;
    # (1,2) 150>=150 -> 1; (1,3) class 2 inactive
    assert new.tolist() == [[1, 0, 1, 0], [0, 2, 1, 255]]
    assert changed == 4
    assert label.tolist() == [[0, 0, 1, 1], [2, 2, 255, 255]]  # input untouched
