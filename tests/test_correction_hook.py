"""AdaptiveCorrectionHook with the real label loader on a 2-image dataset
(docs/method.md §5):
the same-visit correction, the redo of a prefetched sample, state and store
round trips."""
import copy
import errno
import io
import logging
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.parallel import collate
from mmcv.runner import CheckpointHook
from mmseg.datasets.pipelines import Compose

from mmseg_uvpt.correction import AdaptiveCorrectionHook, StoreWriteError
from mmseg_uvpt.correction import label_store as label_store_module
from mmseg_uvpt.correction.frames import crop_to_full, full_to_sample
from mmseg_uvpt.correction.prob_histogram import class_prob_histogram, quantise_prob
from mmseg_uvpt.utils.atomic_write import write_png_atomic

H, W = 16, 24  # resized training resolution (originals are twice that)
CROP = (12, 18)  # 216 pixels
IMAGES = ('c/a_leftImg8bit.png', 'c/b_leftImg8bit.png')
META_KEYS = ('filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'crop_bbox', 'label_path',
             'correction')


class FakeRunner:

    def __init__(self, work_dir, hooks, meta=None, max_iters=100):
        self.work_dir = work_dir
        self.meta = meta
        self.iter = 0
        self.outputs = {}
        self.data_batch = None
        self.logger = logging.getLogger('test_correction_hook')
        self.data_loader = [None] * 7  # the hook's epoch_iters overrides its length
        self._max_iters = max_iters
        self.hooks = hooks


def _original_small(index):
    rng = np.random.default_rng(10 + index)
    return rng.integers(0, 3, (H, W)).astype(np.uint8)


@pytest.fixture
def dataset(tmp_path):
    """Images and labels at 2x the training resolution, labels in 2x2 blocks (so
    the nearest resize is exact)."""
    rng = np.random.default_rng(0)
    for i, name in enumerate(IMAGES):
        write_png_atomic(str(tmp_path / 'img' / name),
                         rng.integers(0, 255, (2 * H, 2 * W, 3), np.uint8))
        write_png_atomic(str(tmp_path / 'ann' / name.replace('leftImg8bit', 'gt')),
                         np.kron(_original_small(i), np.ones((2, 2), np.uint8)))
    return tmp_path


def _load(root, work_dir, t):
    """The data loader's batch of visit t (image a on odd, b on even visits)."""
    name = IMAGES[(t - 1) % 2]
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='LoadCorrectedAnnotations',
             store_dir=osp.join(work_dir, 'correction', 'labels')),
        dict(type='Resize', img_scale=(W, H), keep_ratio=True),
        dict(type='RandomCropWithBox', crop_size=CROP, cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='DefaultFormatBundle'),
        dict(type='Collect', keys=['img', 'gt_semantic_seg'], meta_keys=META_KEYS),
    ])
    np.random.seed(t)  # the visit's crop and flip
    seg = name.replace('leftImg8bit', 'gt')
    sample = pipeline(
        dict(img_info=dict(filename=name, ann=dict(seg_map=seg)),
             ann_info=dict(seg_map=seg), seg_fields=[],
             img_prefix=str(root / 'img'), seg_prefix=str(root / 'ann')))
    return collate([sample], samples_per_gpu=1)


def _outputs(batch, t):
    """The segmentor's correction output at visit t. IoU of class 1 follows
    k(t)/216 with k(t) = 216 - (6 - t)^3, an exact cubic whose slope at t=5 is 1/25
    of that at t=1 (change 0.96), so class 1 starts at the check of iteration 5."""
    k = 216 - max(6 - t, 0)**3
    pred = np.zeros(CROP, np.uint8)
    pred.flat[:k] = 1
    prob = np.linspace(0.3, 1.0, CROP[0] * CROP[1],
                       dtype=np.float32).reshape(CROP)[::-1].copy()
    return dict(pred=torch.from_numpy(pred)[None], prob=torch.from_numpy(prob)[None],
                label=torch.ones(1, *CROP, dtype=torch.uint8),
                img_metas=batch['img_metas'].data[0])


def _make_hook(work_dir):
    hook = AdaptiveCorrectionHook(num_classes=3, work_dir=work_dir, interval=1,
                                  queue_size=1, quantile=0.5, trigger=0.95,
                                  min_points=4, epoch_iters=2)
    ckpt = CheckpointHook(interval=4, by_epoch=False, max_keep_ckpts=1)
    return hook, ckpt


def _step(runner, hook, t, batch):
    """One training step of visit t on ``batch``; returns the labels it trained on."""
    runner.iter = t - 1
    runner.data_batch = batch
    hook.before_train_iter(runner)
    trained = batch['gt_semantic_seg'].data[0][0, 0].numpy().copy()
    runner.outputs = dict(loss=torch.tensor(0.0), correction=_outputs(batch, t))
    hook.after_train_iter(runner)
    return trained


def _store_files(root):
    files = {}
    for folder in ('labels', 'preds'):
        for dirpath, _, names in os.walk(osp.join(root, folder)):
            for name in names:
                with open(osp.join(dirpath, name), 'rb') as f:
                    files[osp.relpath(osp.join(dirpath, name), root)] = f.read()
    return files


def _frame(batch):
    meta = batch['img_metas'].data[0][0]
    return meta['crop_bbox'], meta['flip']


def _previous(batch, t):
    """Full-image pred and prob of visit t's output (what the store keeps)."""
    box, flip = _frame(batch)
    out = _outputs(batch, t)
    pred = crop_to_full(out['pred'][0].numpy(), box, (H, W), flip, fill=255)
    prob = crop_to_full(quantise_prob(out['prob'][0].numpy()), box, (H, W), flip, fill=0)
    return pred, prob


def _start(root, work_dir, visits):
    """A fresh run of the test hook after ``visits`` steps."""
    hook, ckpt = _make_hook(work_dir)
    runner = FakeRunner(work_dir, [hook, ckpt], meta=dict())
    hook.before_run(runner)
    for t in range(1, visits + 1):
        _step(runner, hook, t, _load(root, work_dir, t))
    return hook, runner


def _release_tau(previous, q=0.5):
    """The release's tau_1 over the latest predictions: sorted quantised probs of
    class-1 pixels, the value at index round(q n)."""
    probs = np.sort(np.concatenate([prob[pred == 1] for pred, prob in previous]))
    return float(probs[int(np.round(q * probs.size))])


def _run_until_active(root, work_dir):
    hook, ckpt = _make_hook(work_dir)
    runner = FakeRunner(work_dir, [hook, ckpt], meta=dict())
    hook.before_run(runner)
    batches = {}
    for t in range(1, 6):
        batches[t] = _load(root, work_dir, t)
        trained = _step(runner, hook, t, batches[t])
        box, flip = _frame(batches[t])
        original = full_to_sample(_original_small((t - 1) % 2), box, CROP, flip)
        assert np.array_equal(trained, original)  # nothing is corrected yet
        assert hook.store.read_label(IMAGES[0]) is None
    assert hook.controller.active == {1: 5}
    return hook, runner, batches


def test_sample_trains_on_its_label_corrected_in_the_same_visit(dataset):
    work_dir = str(dataset / 'work')
    hook, runner, batches = _run_until_active(dataset, work_dir)
    assert osp.isfile(osp.join(work_dir, 'correction', 'iou_curves.png'))
    # tau_1 (release rule): sorted quantised probs of class-1 pixels in both images'
    # latest predictions (visit 4 for b, visit 5 for a) at index round(0.5 n)
    tau = _release_tau([_previous(batches[t], t) for t in (4, 5)])
    assert hook.controller.threshold_bins[1] == tau

    # visit 6 (image b): the loader corrects b with its prediction of visit 4, and
    # this very step trains on the corrected label
    batches[6] = _load(dataset, work_dir, 6)
    pred, prob = _previous(batches[4], 4)
    expected_b = _original_small(1).copy()
    take = (pred == 1) & (prob >= tau)
    expected_b[take] = 1
    assert 0 < take.sum() < (pred == 1).sum()  # the threshold matters
    assert (expected_b != _original_small(1)).any()
    box, flip = _frame(batches[6])
    # the loader (the data-loader worker) made the correction, from the published state
    assert batches[6]['img_metas'].data[0][0]['correction']['changed'] == np.count_nonzero(
        expected_b != _original_small(1))
    trained = _step(runner, hook, 6, batches[6])
    assert np.array_equal(trained, full_to_sample(expected_b, box, CROP, flip))
    hook._writer.flush()
    assert np.array_equal(hook.store.read_label(IMAGES[1]), expected_b)
    assert hook.store.read_label(IMAGES[0]) is None

    # visit 7 (image a) is corrected with visit 5, at the threshold of the check of
    # iteration 6; class 1 then ends after one epoch
    tau = _release_tau([_previous(batches[t], t) for t in (5, 6)])
    assert hook.controller.threshold_bins[1] == tau
    batches[7] = _load(dataset, work_dir, 7)
    pred, prob = _previous(batches[5], 5)
    expected_a = _original_small(0).copy()
    expected_a[(pred == 1) & (prob >= tau)] = 1
    box, flip = _frame(batches[7])
    assert np.array_equal(_step(runner, hook, 7, batches[7]),
                          full_to_sample(expected_a, box, CROP, flip))
    hook._writer.flush()
    assert np.array_equal(hook.store.read_label(IMAGES[0]), expected_a)
    assert hook.controller.active == {}

    # visit 8: nothing active, b trains on its stored label; checkpoint (interval 4)
    batches[8] = _load(dataset, work_dir, 8)
    box, flip = _frame(batches[8])
    assert np.array_equal(_step(runner, hook, 8, batches[8]),
                          full_to_sample(expected_b, box, CROP, flip))
    # the global histogram is exactly that of the stored predictions
    stored = [hook.store.read_prediction(name) for name in IMAGES]
    assert [p.iteration for p in stored] == [7, 8]
    assert np.array_equal(hook.controller.hist,
                          sum(class_prob_histogram(p.pred, p.prob, 3) for p in stored))
    saved = runner.meta['hook_msgs']['correction']
    assert saved['snapshot'] == 'iter_8' and saved['visits'] == {IMAGES[0]: 7,
                                                                  IMAGES[1]: 8}
    assert hook.store.list_snapshots() == ['iter_8']  # iter_4 pruned (max_keep_ckpts=1)
    hook.after_run(runner)


def test_prefetched_sample_is_redone_exactly_on_the_training_thread(dataset):
    """A worker that loaded visit 6 before the check that started class 1 (and before
    visit 5's prediction was stored) gave an uncorrected label; the hook notices and
    the step trains on exactly what an in-time worker gives."""
    in_time = str(dataset / 'in_time')
    hook, runner, _ = _run_until_active(dataset, in_time)
    expected = _step(runner, hook, 6, _load(dataset, in_time, 6))
    hook.after_run(runner)

    early = str(dataset / 'early')
    hook, runner = _start(dataset, early, visits=4)
    prefetched = _load(dataset, early, 6)  # read ahead, during visit 5
    _step(runner, hook, 5, _load(dataset, early, 5))
    info = prefetched['img_metas'].data[0][0]['correction']
    assert info['state'] != hook._version and info['changed'] == 0
    assert np.array_equal(_step(runner, hook, 6, prefetched), expected)
    hook._writer.flush()
    assert _store_files(osp.join(early, 'correction')) == _store_files(
        osp.join(in_time, 'correction'))
    hook.after_run(runner)


def test_no_iou_is_recorded_before_the_queue_is_full(dataset):
    work_dir = str(dataset / 'work')
    hook = AdaptiveCorrectionHook(num_classes=3, work_dir=work_dir, interval=1,
                                  queue_size=3, epoch_iters=2, plot=False)
    runner = FakeRunner(work_dir, [hook], meta=dict())
    hook.before_run(runner)
    for t in range(1, 5):
        _step(runner, hook, t, _load(dataset, work_dir, t))
        assert hook.controller.log_iters == ([] if t < 3 else list(range(3, t + 1)))
    hook.after_run(runner)


def test_state_and_store_round_trip_through_a_checkpoint(dataset):
    work_dir = str(dataset / 'work')
    hook, runner, _ = _run_until_active(dataset, work_dir)
    for t in (6, 7, 8):
        _step(runner, hook, t, _load(dataset, work_dir, t))
    frozen_state = copy.deepcopy(runner.meta['hook_msgs']['correction'])
    frozen_files = _store_files(hook.store.root)
    # the run goes on past the checkpoint ...
    _step(runner, hook, 9, _load(dataset, work_dir, 9))
    hook._collect()
    after_9 = _store_files(hook.store.root)
    assert after_9 != frozen_files
    hook.after_run(runner)
    # ... is killed and resumed from it (the state through a weights_only load)
    buffer = io.BytesIO()
    torch.save(dict(meta=dict(hook_msgs=dict(correction=frozen_state))), buffer)
    buffer.seek(0)
    meta = torch.load(buffer, weights_only=True)['meta']
    resumed, ckpt = _make_hook(work_dir)
    runner2 = FakeRunner(work_dir, [resumed, ckpt], meta=meta)
    resumed.before_run(runner2)
    assert _store_files(hook.store.root) == frozen_files
    _step(runner2, resumed, 9, _load(dataset, work_dir, 9))
    resumed._collect()
    assert _store_files(hook.store.root) == after_9
    ours, theirs = hook.controller.state_dict(), resumed.controller.state_dict()
    assert ours.keys() == theirs.keys()
    for key, value in ours.items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, theirs[key]), key
        elif key == 'queue':
            assert all(torch.equal(torch.as_tensor(value[k]), torch.as_tensor(
                theirs[key][k])) for k in value), key
        else:
            np.testing.assert_equal(value, theirs[key], err_msg=key)
    assert resumed.visits == hook.visits
    resumed.after_run(runner2)


def test_fresh_run_clears_an_old_store(tmp_path):
    work_dir = str(tmp_path / 'work')
    hook, ckpt = _make_hook(work_dir)
    hook.before_run(FakeRunner(work_dir, [hook, ckpt], meta=None))
    hook.store.write_label(IMAGES[0], np.zeros((H, W), np.uint8))
    hook.after_run(None)
    again, ckpt = _make_hook(work_dir)
    again.before_run(FakeRunner(work_dir, [again, ckpt], meta=dict()))
    assert again.store.read_label(IMAGES[0]) is None
    again.after_run(None)


def test_hook_after_checkpoint_hook_is_refused(tmp_path):
    hook, ckpt = _make_hook(str(tmp_path))
    with pytest.raises(RuntimeError, match='ABOVE_NORMAL'):
        hook.before_run(FakeRunner(str(tmp_path), [ckpt, hook], meta=dict()))


def test_missing_outputs_or_meta_keys_are_named(dataset):
    work_dir = str(dataset / 'work')
    hook, ckpt = _make_hook(work_dir)
    runner = FakeRunner(work_dir, [hook, ckpt], meta=dict())
    hook.before_run(runner)
    batch = _load(dataset, work_dir, 1)
    runner.data_batch = batch
    hook.before_train_iter(runner)
    runner.outputs = dict(loss=torch.tensor(0.0))
    with pytest.raises(KeyError, match="outputs\\['correction'\\]"):
        hook.after_train_iter(runner)
    del batch['img_metas'].data[0][0]['correction']
    with pytest.raises(KeyError, match="'correction'"):
        hook.before_train_iter(runner)
    hook.after_run(runner)


def test_a_failing_writer_stops_the_run_naming_the_file(dataset, monkeypatch):
    """Disk full while the background writer stores a prediction: the next check
    raises with the file's name; the last checkpoint's state and snapshot stay."""
    work_dir = str(dataset / 'work')
    hook, runner = _start(dataset, work_dir, visits=4)
    snapshot = osp.join(work_dir, 'correction', 'snapshots', 'iter_4')
    frozen_files = _store_files(snapshot)
    frozen_state = runner.meta['hook_msgs']['correction']
    assert frozen_state['snapshot'] == 'iter_4' and len(frozen_files) == 2

    def disk_full(path, data):
        raise OSError(errno.ENOSPC, 'No space left on device', path)

    monkeypatch.setattr(label_store_module, 'write_bytes_atomic', disk_full)
    with pytest.raises(StoreWriteError,
                       match=r'writing \S*preds/c/a_leftImg8bit\.pred: .*No space left'):
        _step(runner, hook, 5, _load(dataset, work_dir, 5))
    assert _store_files(snapshot) == frozen_files
    assert runner.meta['hook_msgs']['correction'] is frozen_state
    assert hook.store.list_snapshots() == ['iter_4']
    # the failure stays: the run cannot go on by accident
    with pytest.raises(StoreWriteError):
        hook._writer.flush()
