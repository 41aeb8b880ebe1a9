"""The correction's release rules in isolation: the stored prediction's file, the
same-visit update of one label, and the controller's IoU records and fit windows."""
import numpy as np
import pytest
import torch

from mmseg_uvpt.correction import controller as controller_module
from mmseg_uvpt.correction.controller import CorrectionController
from mmseg_uvpt.correction.label_update import correct_with_prediction
from mmseg_uvpt.correction.store_format import (Prediction, decode_prediction,
                                                encode_prediction, read_prediction_file)


def test_prediction_file_round_trips_exactly_and_names_a_bad_file(tmp_path):
    rng = np.random.default_rng(0)
    prediction = Prediction(17, (2, 7, 3, 9), (10, 12),
                            rng.integers(0, 19, (5, 6)).astype(np.uint8),
                            rng.integers(0, 256, (5, 6)).astype(np.uint8))
    data = encode_prediction(prediction)
    back = decode_prediction(data)
    assert back.iteration == 17 and back.box == (2, 7, 3, 9) and back.full_shape == (
        10, 12)
    assert np.array_equal(back.pred, prediction.pred)
    assert np.array_equal(back.prob, prediction.prob)
    path = tmp_path / 'x.pred'
    path.write_bytes(data[:-3])
    with pytest.raises(OSError, match='x.pred'):
        read_prediction_file(str(path))
    assert read_prediction_file(str(tmp_path / 'missing.pred')) is None
    with pytest.raises(ValueError, match='box'):
        encode_prediction(prediction._replace(box=(2, 8, 3, 9)))


def test_label_is_updated_only_where_the_previous_crop_holds_an_active_class():
    label = np.zeros((4, 6), np.uint8)
    label[:, 3:] = 2
    pred = np.ones((2, 3), np.uint8)  # class 1 predicted, confidently, everywhere
    prob = np.full((2, 3), 250, np.uint8)
    prob[0, 0] = 100
    active = np.array([False, True, False])
    thresholds = np.array([0.0, 200.0, 0.0])
    # the previous crop (rows 1-2, columns 0-2) holds only class 0: the release
    # leaves it alone although the prediction is an active class
    unchanged, changed = correct_with_prediction(
        label, Prediction(1, (1, 3, 0, 3), (4, 6), pred, prob), active, thresholds)
    assert changed == 0 and unchanged is label
    label[2, 1] = 1  # now class 1 is in that crop
    new, changed = correct_with_prediction(
        label, Prediction(1, (1, 3, 0, 3), (4, 6), pred, prob), active, thresholds)
    expected = label.copy()
    expected[1:3, 0:3] = 1
    expected[1, 0] = 0  # below tau
    assert new.tolist() == expected.tolist() and changed == 4
    assert label[1, 1] == 0  # input untouched
    with pytest.raises(ValueError, match='shape'):
        correct_with_prediction(label[:3], Prediction(1, (1, 3, 0, 3), (4, 6), pred,
                                                      prob), active, thresholds)


def _controller(queue_size=2):
    controller = CorrectionController(num_classes=2, queue_size=queue_size,
                                      quantile=0.5, trigger=0.95)
    controller.epoch_iters = 4
    return controller


def _push(controller, iou_class0):
    """One sample whose class-0 IoU is iou_class0/100 (class 1 always 0.5)."""
    controller.queue.push(torch.tensor([[iou_class0, 50]]), torch.tensor([[100, 100]]))


def test_iou_is_recorded_only_once_the_queue_is_full():
    controller = _controller(queue_size=3)
    for iteration in (1, 2):
        _push(controller, 10)
        assert controller.check(iteration)['iou'] is None
    _push(controller, 40)
    assert controller.check(3)['iou'].tolist() == pytest.approx([0.2, 0.5])
    assert controller.log_iters == [3]


def test_fit_window_starts_at_the_last_start_keeps_active_records_and_expiry_refits(
        monkeypatch):
    """Class 0 (IoU records (2i - 1)/200) is made to start at the checks of
    iterations 4 and 9; class 1 (always 0.5) never."""
    controller = _controller()
    fits = []
    now = [0]

    def fake_trigger(window, trigger, min_points):
        if window and window[0] != 0.5:
            fits.append((now[0], [round(v * 200) for v in window]))
            return now[0] in (4, 9)
        return False

    monkeypatch.setattr(controller_module, 'should_trigger', fake_trigger)
    _push(controller, 0)
    results = {}
    for iteration in range(1, 11):
        _push(controller, iteration)
        now[0] = iteration
        results[iteration] = controller.check(iteration)
    assert controller.log_iters == list(range(1, 11))  # full queue from the start
    assert fits == [
        (4, [1, 3, 5, 7]),  # first fit after one epoch, on every record so far
        # active 4..7: not fitted; its records 5..8 stay in its next window
        (8, [9, 11, 13, 15]),  # ended at 8 (one epoch) and fitted at that check
        (9, [9, 11, 13, 15, 17]),  # starts again
    ]
    assert results[4]['started'] == [0] and results[8]['ended'] == [0]
    assert results[9]['started'] == [0] and controller.window_start == [9, 0]
    assert controller.starts == [[4, 0], [9, 0]]
