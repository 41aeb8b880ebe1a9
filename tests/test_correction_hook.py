"""AdaptiveCorrectionHook driven by a fake runner on a 2-image store (DESIGN §3.5)."""
import copy
import io
import logging
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.runner import CheckpointHook

from mmseg_uvpt.correction import AdaptiveCorrectionHook
from mmseg_uvpt.correction.threshold import class_prob_histogram, quantise_prob
from mmseg_uvpt.datasets.file_io import write_png_atomic

H, W = 16, 24  # resized training resolution (originals are twice that)
CROP = (12, 18)  # 216 pixels
IMAGES = ('c/a_leftImg8bit.png', 'c/b_leftImg8bit.png')
# per visit t = 1, 2, ...: the image, its crop box (y1, y2, x1, x2) and flip
BOXES = {
    1: (0, 12, 0, 18),
    2: (4, 16, 6, 24),
    3: (2, 14, 3, 21),
    4: (1, 13, 5, 23),
    5: (3, 15, 2, 20),
    6: (0, 12, 6, 24),
    7: (4, 16, 0, 18),
    8: (2, 14, 1, 19),
    9: (1, 13, 4, 22)
}
FLIPPED = {2, 4, 7}  # visits whose sample was flipped horizontally


class FakeRunner:

    def __init__(self, work_dir, hooks, meta=None, max_iters=100):
        self.work_dir = work_dir
        self.meta = meta
        self.iter = 0
        self.outputs = {}
        self.logger = logging.getLogger('test_correction_hook')
        self.data_loader = [None] * 7  # the hook's epoch_iters overrides its length
        self._max_iters = max_iters
        self.hooks = hooks


def _original_small(index):
    rng = np.random.default_rng(10 + index)
    return rng.integers(0, 3, (H, W)).astype(np.uint8)


@pytest.fixture
def dataset(tmp_path):
    """Originals at 2x the training resolution, in 2x2 blocks (exact nearest resize)."""
    paths = []
    for i in range(2):
        path = str(tmp_path / 'ann' / f'{i}_labelTrainIds.png')
        write_png_atomic(path, np.kron(_original_small(i), np.ones((2, 2), np.uint8)))
        paths.append(path)
    return paths


def _sample(t, label_paths):
    """The segmentor's correction output at visit t. IoU of class 1 follows
    k(t)/216 with k(t) = 216 - (6 - t)^3, an exact cubic whose slope at t=5 is 1/25
    of that at t=1 (drop 0.96), so class 1 triggers at the check of iteration 5."""
    index = (t - 1) % 2
    k = 216 - max(6 - t, 0)**3
    pred = np.zeros(CROP, np.uint8)
    pred.flat[:k] = 1
    prob = np.linspace(0.3, 1.0, CROP[0] * CROP[1],
                       dtype=np.float32).reshape(CROP)[::-1].copy()
    meta = dict(ori_filename=IMAGES[index],
                ori_shape=(2 * H, 2 * W, 3),
                scale_factor=np.full(4, 0.5, np.float32),
                flip=t in FLIPPED,
                flip_direction='horizontal',
                crop_bbox=BOXES[t],
                label_path=label_paths[index])
    out = dict(pred=torch.from_numpy(pred)[None],
               prob=torch.from_numpy(prob)[None],
               label=torch.ones(1, *CROP, dtype=torch.uint8),
               img_metas=[meta])
    return out, pred, prob


def _in_full(crop, box, flip, fill):
    y1, y2, x1, x2 = box
    full = np.full((H, W), fill, crop.dtype)
    full[y1:y2, x1:x2] = crop[:, ::-1] if flip else crop
    return full


def _make_hook(work_dir):
    hook = AdaptiveCorrectionHook(num_classes=3,
                                  work_dir=work_dir,
                                  interval=1,
                                  queue_size=1,
                                  quantile=0.5,
                                  trigger=0.95,
                                  epoch_iters=2)
    ckpt = CheckpointHook(interval=4, by_epoch=False, max_keep_ckpts=1)
    return hook, ckpt


def _step(runner, hook, t, label_paths):
    runner.iter = t - 1
    out, pred, prob = _sample(t, label_paths)
    runner.outputs = dict(loss=torch.tensor(0.0), correction=out)
    hook.after_train_iter(runner)
    return pred, prob


def _store_files(root):
    files = {}
    for folder in ('labels', 'preds'):
        for dirpath, _, names in os.walk(osp.join(root, folder)):
            for name in names:
                with open(osp.join(dirpath, name), 'rb') as f:
                    files[osp.relpath(osp.join(dirpath, name), root)] = f.read()
    return files


def test_labels_change_exactly_where_expected_and_state_round_trips(tmp_path, dataset):
    work_dir = str(tmp_path / 'work')
    hook, ckpt = _make_hook(work_dir)
    runner = FakeRunner(work_dir, [hook, ckpt], meta=dict())
    hook.before_run(runner)
    store = hook.store
    visits = {}
    for t in range(1, 5):
        visits[t] = _step(runner, hook, t, dataset)
        assert not hook.controller.active
        # no class is active yet, so no label is written; predictions are stored
        assert store.read_label(IMAGES[0]) is None
    pred, prob = store.read_prediction(IMAGES[1])  # from visit 4
    assert np.array_equal(pred, _in_full(visits[4][0], BOXES[4], True, 255))
    assert np.array_equal(prob, _in_full(quantise_prob(visits[4][1]), BOXES[4], True, 0))

    visits[5] = _step(runner, hook, 5, dataset)
    assert hook.controller.active == {1: 5}
    assert osp.isfile(osp.join(work_dir, 'correction', 'iou_curves.png'))
    # tau_1: median of the quantised probs of class-1 pixels in both images' latest
    # predictions (visit 4 for b, visit 5 for a)
    probs = np.concatenate(
        [quantise_prob(visits[t][1])[visits[t][0] == 1] for t in (4, 5)])
    tau = np.quantile(probs.astype(float), 0.5)
    assert hook.controller.threshold_bins[1] == pytest.approx(tau)

    # visit 6 (image b) corrects b with its previous prediction (visit 4, flipped)
    _step(runner, hook, 6, dataset)
    prev_pred = _in_full(visits[4][0], BOXES[4], True, 255)
    prev_prob = _in_full(quantise_prob(visits[4][1]), BOXES[4], True, 0)
    expected_b = _original_small(1).copy()
    take = (prev_pred == 1) & (prev_prob >= tau)
    expected_b[take] = 1
    assert 0 < take.sum() < (prev_pred == 1).sum()  # the threshold matters
    assert np.array_equal(store.read_label(IMAGES[1]), expected_b)
    assert store.read_label(IMAGES[0]) is None

    # visit 7 (image a) corrects a with visit 5; class 1 then ends after one epoch
    _step(runner, hook, 7, dataset)
    prev_pred = _in_full(visits[5][0], BOXES[5], False, 255)
    prev_prob = _in_full(quantise_prob(visits[5][1]), BOXES[5], False, 0)
    expected_a = _original_small(0).copy()
    expected_a[(prev_pred == 1) & (prev_prob >= tau)] = 1
    assert np.array_equal(store.read_label(IMAGES[0]), expected_a)
    assert hook.controller.active == {}

    # visit 8: nothing active, b's label stays; the checkpoint is due (interval 4)
    _step(runner, hook, 8, dataset)
    assert np.array_equal(store.read_label(IMAGES[1]), expected_b)
    # the global histogram is exactly that of the stored predictions
    stored_hist = sum(
        class_prob_histogram(*store.read_prediction(name), 3) for name in IMAGES)
    assert np.array_equal(hook.controller.hist, stored_hist)
    saved = runner.meta['hook_msgs']['correction']
    assert saved['snapshot'] == 'iter_8'
    assert store.list_snapshots() == ['iter_8']  # iter_4 pruned (max_keep_ckpts=1)
    frozen_state = copy.deepcopy(hook.controller.state_dict())
    frozen_files = _store_files(store.root)

    # the run goes on past the checkpoint, then is killed and resumed from it
    _step(runner, hook, 9, dataset)
    assert _store_files(store.root) != frozen_files
    buffer = io.BytesIO()
    torch.save(dict(meta=runner.meta), buffer)
    buffer.seek(0)
    meta = torch.load(buffer, weights_only=True)['meta']

    resumed, ckpt2 = _make_hook(work_dir)
    runner2 = FakeRunner(work_dir, [resumed, ckpt2], meta=meta)
    resumed.before_run(runner2)
    assert _store_files(store.root) == frozen_files
    _assert_state_equal(resumed.controller.state_dict(), frozen_state)
    # and it continues identically: the same visit gives the same store and state
    _step(runner2, resumed, 9, dataset)
    again = _store_files(store.root)
    # the original run redoes visit 9 from the snapshot: same store, same state
    hook.store.restore('iter_8')
    hook.controller.load_state_dict(frozen_state)
    _step(runner, hook, 9, dataset)
    assert _store_files(store.root) == again
    _assert_state_equal(resumed.controller.state_dict(), hook.controller.state_dict())


def _same(a, b):
    """Deep equality of a correction state (tensors, containers, NaN == NaN)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return a == b


def _assert_state_equal(a, b):
    for key in a:
        assert _same(a[key], b[key]), key
    assert a.keys() == b.keys()


def test_fresh_run_clears_an_old_store(tmp_path, dataset):
    work_dir = str(tmp_path / 'work')
    hook, ckpt = _make_hook(work_dir)
    hook_runner = FakeRunner(work_dir, [hook, ckpt], meta=None)
    hook.before_run(hook_runner)
    hook.store.write_label(IMAGES[0], np.zeros((H, W), np.uint8))
    again, ckpt = _make_hook(work_dir)
    again.before_run(FakeRunner(work_dir, [again, ckpt], meta=dict()))
    assert again.store.read_label(IMAGES[0]) is None


def test_hook_after_checkpoint_hook_is_refused(tmp_path):
    hook, ckpt = _make_hook(str(tmp_path))
    with pytest.raises(RuntimeError, match='ABOVE_NORMAL'):
        hook.before_run(FakeRunner(str(tmp_path), [ckpt, hook], meta=dict()))


def test_missing_outputs_or_meta_keys_are_named(tmp_path, dataset):
    hook, ckpt = _make_hook(str(tmp_path))
    runner = FakeRunner(str(tmp_path), [hook, ckpt], meta=dict())
    hook.before_run(runner)
    runner.outputs = dict(loss=torch.tensor(0.0))
    with pytest.raises(KeyError, match="outputs\\['correction'\\]"):
        hook.after_train_iter(runner)
    out, _, _ = _sample(1, dataset)
    del out['img_metas'][0]['crop_bbox']
    runner.outputs = dict(correction=out)
    with pytest.raises(KeyError, match='crop_bbox'):
        hook.after_train_iter(runner)


def test_unannounced_save_gets_the_current_state(tmp_path, dataset):
    """UVPTIterBasedRunner calls before_save_checkpoint on every save, also one the
    CheckpointHook's interval did not predict."""
    work_dir = str(tmp_path / 'work')
    hook, ckpt = _make_hook(work_dir)
    runner = FakeRunner(work_dir, [hook, ckpt], meta=dict())
    hook.before_run(runner)
    for t in range(1, 4):
        _step(runner, hook, t, dataset)
    assert 'correction' not in runner.meta.get('hook_msgs', {})  # interval 4: not due
    runner.completed_iters = 3
    checkpoint = dict(meta=dict())
    hook.before_save_checkpoint(runner, checkpoint)
    state = checkpoint['meta']['hook_msgs']['correction']
    assert state['snapshot'] == 'iter_3' and state['log_iters'] == [1, 2, 3]
    snapshot = tmp_path / 'work/correction/snapshots/iter_3/preds/c'
    assert sorted(p.name for p in snapshot.iterdir()) == [
        'a_leftImg8bit_pred.png', 'a_leftImg8bit_prob.png', 'b_leftImg8bit_pred.png',
        'b_leftImg8bit_prob.png'
    ]
