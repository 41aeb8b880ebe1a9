"""A killed run, resumed, ends exactly where an uninterrupted run of the same length
ends: weights, optimizer state, RNG states, loader position, best score, and for
adaptation the pseudo-label correction state and the label store (CPU, deterministic
mode, float tolerance)."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import pretrain_main, train_main
from mmseg_uvpt.utils import load_checkpoint_file
from test_apis_support import (REPO, SimulatedKill, dump_config, run_config,
                               save_source_checkpoint, train_pipeline, uvpt_models,
                               write_cityscapes_like, write_pseudo_labels)

FLAGS = ['--seed', '0', '--deterministic']


def assert_close_tree(a, b, where):
    """Nested dicts/lists of tensors and numbers are equal up to CPU float noise."""
    if isinstance(a, torch.Tensor):
        if a.is_floating_point():
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6, msg=where)
        else:
            assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            assert_close_tree(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close_tree(x, y, f'{where}[{i}]')
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-5, abs=1e-6, nan_ok=True), where
    else:
        assert a == b, where


def assert_same_end(path_a, path_b):
    a, b = load_checkpoint_file(path_a), load_checkpoint_file(path_b)
    for key in ('state_dict', 'optimizer', 'runtime'):
        assert_close_tree(a[key], b[key], key)
    for key in ('iter', 'epoch'):
        assert a['meta'][key] == b['meta'][key], key
    assert_close_tree(a['meta']['hook_msgs'].get('best_score'),
                      b['meta']['hook_msgs'].get('best_score'), 'best_score')
    return a, b


def test_killed_process_resumes_like_an_uninterrupted_run(tmp_path):
    """A real SIGKILL of ``pretrain.py`` after its first checkpoint."""
    torch.set_num_threads(1)
    data = write_cityscapes_like(str(tmp_path / 'data'))
    cfg = run_config(data, max_iters=6, ckpt_interval=2, eval_interval=3)
    config = dump_config(cfg, tmp_path / 'c.py')
    slow = dict(cfg, custom_hooks=[dict(type='SlowIterHook', seconds=1.0)])
    slow['custom_imports'] = dict(imports=['mmseg_uvpt', 'test_apis_support'],
                                  allow_failed_imports=False)
    slow_config = dump_config(slow, tmp_path / 'slow.py')
    full, killed = str(tmp_path / 'full'), str(tmp_path / 'killed')

    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([osp.join(REPO, 'tests'),
                                           os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.Popen([sys.executable, osp.join(REPO, 'pretrain.py'), slow_config,
                             '--work-dir', killed] + FLAGS, env=env, cwd=str(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        pretrain_main([config, '--work-dir', full] + FLAGS)  # meanwhile
        deadline = time.time() + 300
        while not osp.exists(osp.join(killed, 'iter_2.pth')):
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.time() < deadline, 'no checkpoint from the subprocess'
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not osp.exists(osp.join(killed, 'iter_6.pth'))

    out = pretrain_main([config, '--work-dir', killed, '--auto-resume'] + FLAGS)
    assert out['iters'] == 6
    _, b = assert_same_end(osp.join(full, 'iter_6.pth'), osp.join(killed, 'iter_6.pth'))
    assert b['runtime']['train_loader'] == dict(epoch=2, consumed_batches=2,
                                                sampler_seed=0)
    log = open(sorted(glob.glob(osp.join(killed, 'pretrain_*.log')))[-1]).read()
    assert 'resumed from' in log


def _store_files(work_dir):
    root = osp.join(work_dir, 'correction')
    return sorted(osp.relpath(p, root) for sub in ('labels', 'preds')
                  for p in glob.glob(osp.join(root, sub, '**', '*.png'), recursive=True))


def test_adaptation_resume_restores_correction_state_and_label_store(tmp_path):
    """train.py with the prompted model and the correction hook, killed after the
    optimizer step and the correction of iteration 6, resumed from iter_4."""
    torch.set_num_threads(1)
    data = write_cityscapes_like(str(tmp_path / 'data'), n_train=2, n_val=1,
                                 size=(128, 64))
    labels = write_pseudo_labels(data, str(tmp_path / 'pseudo'))
    source_model, model = uvpt_models()
    source = save_source_checkpoint(source_model, tmp_path / 'source.pth')
    train = dict(type='PseudoLabelCityscapesDataset', data_root=data,
                 img_dir='leftImg8bit/train', pseudo_label_dir=labels,
                 pipeline=train_pipeline('LoadCorrectedAnnotations', 'RandomCropWithBox',
                                         ('crop_bbox', 'label_path'), img_scale=(128, 64),
                                         crop_size=(64, 64)))
    # a correction that starts as soon as each class has 4 IoU records (trigger
    # threshold far below any slope drop), so labels change within 8 iterations
    hook = dict(type='AdaptiveCorrectionHook', num_classes=19, interval=1, queue_size=4,
                quantile=0.5, trigger=-1e9, min_points=4, epoch_iters=2, plot=False)
    cfg = run_config(data, model, max_iters=8, ckpt_interval=4, eval_interval=8,
                     samples_per_gpu=1, train=train, img_scale=(128, 64),
                     custom_hooks=[hook], source_checkpoint=source)
    config = dump_config(cfg, tmp_path / 'uvpt.py')
    kill = dict(cfg, custom_hooks=[hook, dict(type='KillAtIterHook', iteration=6,
                                              priority='LOW')])
    kill_config = dump_config(kill, tmp_path / 'kill.py')
    full, killed = str(tmp_path / 'full'), str(tmp_path / 'killed')

    train_main([config, '--work-dir', full] + FLAGS)
    with pytest.raises(SimulatedKill):
        train_main([kill_config, '--work-dir', killed] + FLAGS)
    assert osp.exists(osp.join(killed, 'iter_4.pth'))
    train_main([config, '--work-dir', killed, '--resume-from',
                osp.join(killed, 'iter_4.pth')] + FLAGS)

    a, b = assert_same_end(osp.join(full, 'iter_8.pth'), osp.join(killed, 'iter_8.pth'))
    state = a['meta']['hook_msgs']['correction']
    assert state['starts'], 'no class was corrected: the test would prove nothing'
    assert_close_tree(state, b['meta']['hook_msgs']['correction'], 'correction')
    files = _store_files(full)
    assert any(f.startswith('labels') for f in files)
    assert files == _store_files(killed)
    for name in files:
        a_img = cv2.imread(osp.join(full, 'correction', name), cv2.IMREAD_UNCHANGED)
        b_img = cv2.imread(osp.join(killed, 'correction', name), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(a_img, b_img), name


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_resume_on_gpu_reads_the_checkpoint_on_the_cpu(tmp_path):
    """A GPU run resumes from its checkpoint (read onto the CPU, copied to the GPU)
    and the CUDA generator state travels with it."""
    data = write_cityscapes_like(str(tmp_path / 'data'))
    config = dump_config(run_config(data, max_iters=4, ckpt_interval=2, eval_interval=4),
                         tmp_path / 'c.py')
    work = str(tmp_path / 'run')
    pretrain_main([config, '--work-dir', work] + FLAGS)
    first = load_checkpoint_file(osp.join(work, 'iter_4.pth'))
    assert len(first['runtime']['rng'][0]['cuda']) == torch.cuda.device_count()
    os.remove(osp.join(work, 'iter_4.pth'))
    out = pretrain_main([config, '--work-dir', work, '--resume-from',
                         osp.join(work, 'iter_2.pth')] + FLAGS)
    assert out['iters'] == 4
    again = load_checkpoint_file(osp.join(work, 'iter_4.pth'))
    assert again['meta']['iter'] == 4
    assert again['runtime']['train_loader'] == first['runtime']['train_loader']
    assert all(v.device.type == 'cpu' for v in again['state_dict'].values())
