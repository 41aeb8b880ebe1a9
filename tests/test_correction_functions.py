"""Pure functions of the pseudo-label correction, on hand-made tensors
(docs/method.md §5)."""
import math

import numpy as np
import pytest
import torch

from mmseg_uvpt.correction.frames import (crop_to_full, full_to_sample, resized_shape,
                                          sample_to_crop)
from mmseg_uvpt.correction.iou_queue import IoUQueue, intersection_union
from mmseg_uvpt.correction.label_update import correct_label
from mmseg_uvpt.correction.prob_histogram import (class_prob_histogram, quantile_bins,
                                                  quantise_prob)
from mmseg_uvpt.correction.store_format import NO_PREDICTION
from mmseg_uvpt.correction.trigger import should_trigger, slope_change


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
def _linear_slope_curve(n, end_slope):
    """IoU records at x = 1..n of a quadratic whose slope runs linearly from 1 at
    x = 1 to ``end_slope`` at x = n (a cubic fit reproduces it exactly)."""
    x = np.arange(1, n + 1, dtype=float)
    b = (end_slope - 1) / (2 * (n - 1))
    return 0.1 + (1 - 2 * b) * x + b * x**2


@pytest.mark.parametrize('end_slope,fires', [
    (0.04, True),  # change 0.96: the slope has all but vanished
    (0.06, False),  # change 0.94
    (-0.04, True),  # |slope| counts: a slight decline at the end
    (1.96, True),  # change 0.96 on the other side: the release fires here too
    (2.01, False),  # change just above 1 is outside
    (2.5, False),  # change 1.5
    (1.0, False),  # a straight line: change 0
])
def test_trigger_is_two_sided_between_threshold_and_one(end_slope, fires):
    ious = _linear_slope_curve(12, end_slope)
    # the release evaluates the slopes at 1 + 1e-6 and n + 1e-6
    b = (end_slope - 1) / 22
    slope = lambda v: (1 - 2 * b) + 2 * b * (v + 1e-6)  # noqa: E731
    expected = abs(abs(slope(12.0)) - abs(slope(1.0))) / abs(slope(1.0))
    assert slope_change(ious) == pytest.approx(expected, abs=1e-9)
    assert should_trigger(ious, 0.95) is fires


def test_trigger_windows_too_small_or_without_pixels_never_fire():
    assert math.isnan(slope_change([]))
    assert slope_change([0.3]) == pytest.approx(0.0)  # one point: f'(1) = f'(n)
    assert not should_trigger([0.3], 0.95)
    ious = list(_linear_slope_curve(8, 0.04))
    assert should_trigger(ious, 0.95)
    assert not should_trigger(ious, 0.95, min_points=9)
    ious[3] = float('nan')  # a record taken while no pixel had the class
    assert not should_trigger(ious, 0.95)


# --- thresholds -------------------------------------------------------------------------
def test_histogram_counts_by_hand():
    pred = np.array([[0, 0, 1], [NO_PREDICTION, 1, 1]], dtype=np.uint8)
    prob = np.array([[10, 10, 200], [99, 255, 200]], dtype=np.uint8)
    hist = class_prob_histogram(pred, prob, 2)
    assert hist.shape == (2, 256) and hist.sum() == 5
    assert hist[0, 10] == 2 and hist[1, 200] == 2 and hist[1, 255] == 1


def _release_threshold(probs, q):
    """The release's rule on raw probabilities: clamp to <= 0.999, sort, take index
    round(q * n) (the last value when that is n); 0 without pixels."""
    x = np.sort(np.minimum(np.asarray(probs, dtype=np.float64), 0.999))
    if x.size == 0:
        return 0.0
    index = int(np.round(x.size * q))
    return x[index] if index < x.size else x[-1]


def test_threshold_is_the_release_sorted_index_rule_within_a_bin():
    rng = np.random.default_rng(0)
    images = []
    for _ in range(6):  # per-image histograms summed = one global histogram
        pred = rng.integers(0, 4, size=(40, 50))
        pred[pred == 3] = 2  # class 3 is never predicted
        prob = np.clip(rng.beta(5, 2, size=(40, 50)) + 0.02, 0, 1)
        images.append((pred, prob))
    hist = sum(class_prob_histogram(p, quantise_prob(q), 4) for p, q in images)
    for q in (0.0, 0.3, 0.66, 0.8, 1.0):
        tau = quantile_bins(hist, q)
        for c in range(4):
            probs = np.concatenate([pr[pd == c] for pd, pr in images])
            exact = _release_threshold(probs, q)
            assert abs(tau[c] / 255 - exact) <= 1 / 255, (q, c)
            # and it is exactly the bin of the release's threshold
            assert tau[c] == quantise_prob(exact), (q, c)
    assert quantile_bins(hist, 0.8)[3] == 0.0


def test_threshold_of_small_hand_made_case_and_empty_class():
    hist = np.zeros((2, 256), dtype=np.int64)
    hist[0, [50, 100, 200]] = [1, 2, 1]  # values 50, 100, 100, 200
    # n = 4: q=0.8 -> round(3.2) = 3; q=0.625 -> round(2.5) = 2 (half to even);
    # q=0.9 -> round(3.6) = 4 = n, so the last value; q=0 -> the first
    assert quantile_bins(hist, 0.8)[0] == 200.0
    assert quantile_bins(hist, 0.625)[0] == 100.0
    assert quantile_bins(hist, 0.9)[0] == 200.0
    assert quantile_bins(hist, 0.0)[0] == 50.0
    assert quantile_bins(hist, 0.8)[1] == 0.0  # the release's value for no pixels


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
    # the crop alone (what the store keeps) and back into a sample frame
    assert sample_to_crop(crop, box, True).tolist() == [[3, 2, 1], [6, 5, 4]]
    back = full_to_sample(flipped, box, (3, 3), True, fill=255)
    assert back.tolist() == [[1, 2, 3], [4, 5, 6], [255, 255, 255]]


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
