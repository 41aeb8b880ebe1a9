"""The hook under 2-process (gloo) distributed training: shared queue and histogram,
an image repeated across ranks in one iteration handled once, one snapshot, and a
sample whose loader read ahead of another rank's write redone from that write."""
import logging
import os.path as osp

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmcv.parallel import DataContainer
from mmcv.runner import CheckpointHook

from mmseg_uvpt.correction import AdaptiveCorrectionHook
from mmseg_uvpt.correction.prob_histogram import class_prob_histogram
from mmseg_uvpt.utils.atomic_write import write_png_atomic

# (image, class predicted everywhere) per iteration and rank; iteration 2 gives
# image b to both ranks, as DistributedSampler does when it pads an epoch
PLAN = {1: [('a.png', 0), ('b.png', 1)], 2: [('b.png', 2), ('b.png', 0)]}
# what the label loaders record: no class active; at iteration 2 rank 1's loader saw
# b's prediction of iteration 1 (written by rank 1), rank 0's loader read b before
# that write landed, so rank 0 must redo b from the store
LOADED = {1: [None, None], 2: [None, 1]}


class FakeRunner:

    def __init__(self, work_dir, hooks):
        self.work_dir, self.hooks, self.meta = work_dir, hooks, dict()
        self.iter, self.outputs, self._max_iters = 0, {}, 10
        self.logger = logging.getLogger('test_correction_ddp')
        self.data_loader = [None]


def _worker(rank, work_dir, init_file):
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                            world_size=2)
    try:
        hook = AdaptiveCorrectionHook(num_classes=3, interval=1, epoch_iters=2,
                                      plot=False)
        runner = FakeRunner(work_dir, [hook, CheckpointHook(interval=2, by_epoch=False)])
        hook.before_run(runner)
        trained = []
        for t, samples in PLAN.items():
            name, cls = samples[rank]
            meta = dict(ori_filename=name, ori_shape=(4, 6, 3), flip=False,
                        flip_direction='horizontal', crop_bbox=(0, 4, 0, 6),
                        label_path=osp.join(work_dir, 'ann', name),
                        correction=dict(state=-1, pred_iter=LOADED[t][rank], changed=0,
                                        label=None))
            pred = torch.full((1, 4, 6), cls, dtype=torch.uint8)
            runner.iter = t - 1
            runner.data_batch = dict(img_metas=DataContainer([[meta]], cpu_only=True),
                                     gt_semantic_seg=DataContainer([pred[:, None]]))
            hook.before_train_iter(runner)
            trained.append(runner.data_batch['gt_semantic_seg'].data[0][0, 0].numpy())
            runner.outputs = dict(correction=dict(
                pred=pred, prob=torch.full((1, 4, 6), 0.8), label=pred.clone(),
                img_metas=[meta]))
            hook.after_train_iter(runner)
        state = hook.controller.state_dict()
        hook.after_run(runner)
        np.savez(osp.join(work_dir, f'rank{rank}.npz'), hist=state['hist'].numpy(),
                 count=state['queue']['count'], inter=state['queue']['inter'].numpy(),
                 trained=np.stack(trained))
    finally:
        dist.destroy_process_group()


def test_two_ranks_share_state_and_store(tmp_path):
    work_dir = str(tmp_path)
    for name, value in (('a.png', 1), ('b.png', 2)):  # the dataset's labels
        write_png_atomic(str(tmp_path / 'ann' / name), np.full((4, 6), value, np.uint8))
    # fork: the children need no re-import of torch/mmcv (seconds instead of a minute)
    mp.start_processes(_worker, args=(work_dir, str(tmp_path / 'init')), nprocs=2,
                       join=True, start_method='fork')
    ranks = [np.load(osp.join(work_dir, f'rank{r}.npz')) for r in range(2)]
    # every rank's queue holds all 4 samples and both see the same histogram
    assert int(ranks[0]['count']) == int(ranks[1]['count']) == 4
    assert np.array_equal(ranks[0]['inter'], ranks[1]['inter'])
    assert np.array_equal(ranks[0]['hist'], ranks[1]['hist'])
    from mmseg_uvpt.correction.label_store import LabelStore
    store = LabelStore(osp.join(work_dir, 'correction'))
    # b at iteration 2 was written by rank 0 (class 2), rank 1's repeat was skipped
    pred_b = store.read_prediction('b.png')
    assert (pred_b.pred == 2).all() and pred_b.iteration == 2
    stored = sum(class_prob_histogram(store.read_prediction(n).pred,
                                      store.read_prediction(n).prob, 3)
                 for n in ('a.png', 'b.png'))
    assert np.array_equal(ranks[0]['hist'], stored)
    assert store.list_snapshots() == ['iter_2']
    # rank 0's redone sample b trains on b's label (nothing active), rank 1's in-time
    # one on the batch as loaded
    assert (ranks[0]['trained'][1] == 2).all() and (ranks[1]['trained'][1] == 0).all()
