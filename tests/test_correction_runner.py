"""The hook inside a real mmcv IterBasedRunner: order before the CheckpointHook, and
a checkpoint that loads with weights_only=True holding its state."""
import logging

import os.path as osp
from functools import partial

import numpy as np
import torch
from mmcv.parallel import DataContainer, collate
from mmcv.runner import IterBasedRunner
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mmseg_uvpt.runtime.runner import UVPTIterBasedRunner
from mmseg_uvpt.correction import AdaptiveCorrectionHook
from mmseg_uvpt.utils.atomic_write import write_png_atomic
from mmseg_uvpt.correction import LoadCorrectedAnnotations
from mmseg_uvpt.checkpoints import load_checkpoint_file

H, W = 6, 8
BOX = (1, 5, 2, 6)


class TinySet(Dataset):
    """Two images whose labels the real label loader reads (and would correct)."""

    def __init__(self, work_dir):
        self.loader = LoadCorrectedAnnotations(
            store_dir=osp.join(work_dir, 'correction', 'labels'))
        self.labels = []
        for index in range(2):
            path = osp.join(work_dir, 'ann', f'img{index}.png')
            write_png_atomic(path, np.full((H, W), index, np.uint8))
            self.labels.append(path)

    def __len__(self):
        return 2

    def __getitem__(self, index):
        results = self.loader(
            dict(img_info=dict(filename=f'img{index}.png'),
                 ann_info=dict(seg_map=self.labels[index]), seg_fields=[]))
        y1, y2, x1, x2 = BOX
        meta = dict(ori_filename=f'img{index}.png', ori_shape=(H, W, 3), flip=False,
                    flip_direction='horizontal', crop_bbox=BOX,
                    label_path=results['label_path'], correction=results['correction'])
        label = results['gt_semantic_seg'][y1:y2, x1:x2].astype(np.int64)
        return dict(index=index, img_metas=DataContainer(meta, cpu_only=True),
                    gt_semantic_seg=DataContainer(torch.from_numpy(label)[None],
                                                  stack=True))


def _loader(work_dir):
    return DataLoader(TinySet(work_dir), batch_size=1,
                      collate_fn=partial(collate, samples_per_gpu=1))


class TinyModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def train_step(self, data, optimizer):
        index = int(data['index'][0])
        pred = torch.full((1, 4, 4), index % 3, dtype=torch.uint8)
        loss = (self.weight**2).sum()
        correction = dict(pred=pred, prob=torch.full((1, 4, 4), 0.8),
                          label=data['gt_semantic_seg'].data[0][:, 0].to(torch.uint8),
                          img_metas=data['img_metas'].data[0])
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=1,
                    correction=correction)


def _runner(work_dir, runner_type=IterBasedRunner, check_interval=2):
    model = TinyModel()
    runner = runner_type(model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                         work_dir=work_dir, logger=logging.getLogger('t'), meta=dict(),
                         max_iters=4)
    hook = dict(type='AdaptiveCorrectionHook', num_classes=3, interval=check_interval,
                queue_size=2, epoch_iters=2, plot=False, priority='ABOVE_NORMAL')
    runner.register_training_hooks(lr_config=None, optimizer_config=dict(),
                                   checkpoint_config=dict(interval=2),
                                   custom_hooks_config=[hook])
    return runner


def test_hook_state_travels_in_a_real_checkpoint(tmp_path):
    runner = _runner(str(tmp_path))
    names = [type(h).__name__ for h in runner.hooks]
    assert names.index('AdaptiveCorrectionHook') < names.index('CheckpointHook')
    runner.run([_loader(str(tmp_path))], [('train', 4)])

    checkpoint = load_checkpoint_file(str(tmp_path / 'iter_4.pth'))  # weights_only
    state = checkpoint['meta']['hook_msgs']['correction']
    assert state['snapshot'] == 'iter_4'
    assert state['log_iters'] == [2, 4] and state['queue']['count'] == 2
    # both images' latest predictions: 16 pixels each, prob 0.8 -> bin 204
    assert int(state["hist"][0, 204]) == 16 and int(state["hist"][1, 204]) == 16
    assert (tmp_path / 'correction/snapshots/iter_4/preds/img1.pred').is_file()

    hook = AdaptiveCorrectionHook(num_classes=3, queue_size=2)
    hook.controller.load_state_dict(state)
    assert np.array_equal(hook.controller.hist, state['hist'].numpy())


def test_resume_in_the_project_runner_continues_identically(tmp_path):
    work_dir = str(tmp_path)
    loader = [_loader(work_dir)]
    _runner(work_dir, UVPTIterBasedRunner, check_interval=1).run(loader, [('train', 4)])
    straight = load_checkpoint_file(str(tmp_path / 'iter_4.pth'))['meta']['hook_msgs']
    straight_preds = (tmp_path / 'correction/preds/img0.pred').read_bytes()

    resumed = _runner(work_dir, UVPTIterBasedRunner, check_interval=1)
    resumed.resume(str(tmp_path / 'iter_2.pth'))
    resumed.run(loader, [('train', 4)])
    again = load_checkpoint_file(str(tmp_path / 'iter_4.pth'))['meta']['hook_msgs']
    # IoU records start once the queue holds its 2 samples
    assert again['correction']['log_iters'] == [2, 3, 4]
    assert again['correction'].pop('snapshot') == straight['correction'].pop('snapshot')
    torch.testing.assert_close(again['correction'], straight['correction'],
                               equal_nan=True, rtol=0, atol=0)
    assert (tmp_path / 'correction/preds/img0.pred').read_bytes() == straight_preds
