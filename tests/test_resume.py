"""A killed run, resumed, ends exactly where an uninterrupted run of the same length
ends: weights, optimizer state, RNG states, loader position, best score, and for
adaptation the pseudo-label correction state and the label store (CPU, deterministic
mode, float tolerance).

The kills fall in the middle of an epoch, and the killed runs load their data with
0 or 2 workers (persistent or not) while the uninterrupted reference loads without
workers: the random augmentation of a sample must not depend on who loads it. The
same toy adaptation run with 0, 1 and 2 workers ends with identical weights."""
import glob
import json
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
from mmcv import Config

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import pretrain_main, train_main
from mmseg_uvpt.augmentations import write_random_weights
from mmseg_uvpt.datasets import pseudo_label_path
from mmseg_uvpt.toy_benchmark.generate import generate_toy_data
from mmseg_uvpt.checkpoints import load_checkpoint_file
from test_apis_support import (REPO, SimulatedKill, dump_config, run_config,
                               save_source_checkpoint, train_pipeline, uvpt_models,
                               write_cityscapes_like, write_pseudo_labels)
from test_seeded_samples import LOADERS

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


def with_loader(cfg, loader):
    """``cfg`` (a run-config dict) loading its data as ``loader`` says."""
    return dict(cfg, data=dict(cfg['data'], **loader))


def killed_at(cfg, iteration):
    """``cfg`` with a hook that kills the run in ``iteration``, after its update and
    its correction, before its checkpoint."""
    hooks = list(cfg.get('custom_hooks', []))
    hooks.append(dict(type='KillAtIterHook', iteration=iteration, priority='LOW'))
    return dict(cfg, custom_hooks=hooks)


def kill_and_resume(main, cfg, iteration, checkpoint, tmp_path):
    """Run ``cfg`` with ``main`` (a stage's entry point) until it is killed in
    ``iteration``, then resume it from ``checkpoint`` (a file name in its work dir).

    Returns:
        tuple[str, dict]: the work dir and the ``runtime`` of ``checkpoint``.
    """
    work = str(tmp_path / 'killed')
    with pytest.raises(SimulatedKill):
        main([dump_config(killed_at(cfg, iteration), tmp_path / 'kill.py'),
              '--work-dir', work] + FLAGS)
    assert not osp.exists(osp.join(work, f'iter_{iteration}.pth'))
    runtime = load_checkpoint_file(osp.join(work, checkpoint))['runtime']
    main([dump_config(cfg, tmp_path / 'c.py'), '--work-dir', work, '--resume-from',
          osp.join(work, checkpoint)] + FLAGS)
    return work, runtime


# --- pretraining ---------------------------------------------------------------------
# 6 images, batch 2: 3 iterations an epoch, so the checkpoint of iteration 2 and the
# kill in iteration 4 fall in the middle of the first and the second epoch
PRETRAIN = dict(max_iters=5, ckpt_interval=2, eval_interval=5)
PRETRAIN_END = dict(epoch=1, consumed_batches=2, sampler_seed=0)


@pytest.fixture(scope='module')
def pretrain_reference(tmp_path_factory):
    """(data root, last checkpoint) of the uninterrupted run, loading without workers."""
    root = tmp_path_factory.mktemp('pretrain')
    data = write_cityscapes_like(str(root / 'data'), n_train=6)
    config = dump_config(run_config(data, **PRETRAIN), root / 'full.py')
    pretrain_main([config, '--work-dir', str(root / 'full')] + FLAGS)
    return data, str(root / 'full' / 'iter_5.pth')


@pytest.mark.parametrize('loader', LOADERS.values(), ids=LOADERS.keys())
def test_pretraining_killed_mid_epoch_resumes_like_an_uninterrupted_run(
        pretrain_reference, loader, tmp_path):
    data, reference = pretrain_reference
    cfg = with_loader(run_config(data, **PRETRAIN), loader)
    killed, saved = kill_and_resume(pretrain_main, cfg, 4, 'iter_2.pth', tmp_path)
    assert saved['train_loader'] == dict(epoch=0, consumed_batches=2, sampler_seed=0)
    _, end = assert_same_end(reference, osp.join(killed, 'iter_5.pth'))
    assert end['runtime']['train_loader'] == PRETRAIN_END


def test_killed_process_resumes_like_an_uninterrupted_run(pretrain_reference, tmp_path):
    """A real SIGKILL of ``pretrain.py`` (2 persistent workers, as the shipped configs
    load) after its checkpoint in the middle of the first epoch."""
    data, reference = pretrain_reference
    cfg = with_loader(run_config(data, **PRETRAIN), LOADERS['2-persistent-workers'])
    config = dump_config(cfg, tmp_path / 'c.py')
    slow = dict(cfg, custom_hooks=[dict(type='SlowIterHook', seconds=1.0)])
    slow['custom_imports'] = dict(imports=['mmseg_uvpt', 'test_apis_support'],
                                  allow_failed_imports=False)
    slow_config = dump_config(slow, tmp_path / 'slow.py')
    killed = str(tmp_path / 'killed')

    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([osp.join(REPO, 'tests'),
                                           os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.Popen([sys.executable, osp.join(REPO, 'pretrain.py'), slow_config,
                             '--work-dir', killed] + FLAGS, env=env, cwd=str(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 300
        while not osp.exists(osp.join(killed, 'iter_2.pth')):
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.time() < deadline, 'no checkpoint from the subprocess'
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not osp.exists(osp.join(killed, 'iter_5.pth'))

    out = pretrain_main([config, '--work-dir', killed, '--auto-resume'] + FLAGS)
    assert out['iters'] == 5
    _, end = assert_same_end(reference, osp.join(killed, 'iter_5.pth'))
    assert end['runtime']['train_loader'] == PRETRAIN_END
    log = open(sorted(glob.glob(osp.join(killed, 'pretrain_*.log')))[-1]).read()
    assert 'resumed from' in log


# --- Source-GtA pretraining: its style banks remember earlier batches ------------------
# every group holds a style bank but 'weather' (albumentations, seeded from torch)
GTA_GROUPS = [
    dict(name='fourier', prob=1.0, augs=[dict(type='FDAStyleSwap', beta=0.05,
                                              bank_size=4)]),
    dict(name='adain', prob=1.0, augs=[dict(type='AdaINStyleTransfer', bank_size=4)]),
    dict(name='weather', prob=1.0, augs=[dict(
        type='AlbumentationsAugmentation',
        transform=dict(type='RandomSnow', method='texture',
                       snow_point_range=(0.1, 0.3), brightness_coeff=2.5))]),
]


def source_gta_model(folder):
    """The tiny Source-GtA config with random augmentation networks in ``folder``
    and uniform class statistics."""
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/models/source-gta_mit-tiny.py'))
    model = cfg.model.to_dict()
    model.pop('pretrained', None)
    model['backbone'].pop('init_cfg', None)
    write_random_weights(folder)
    stats = osp.join(folder, 'sample_class_stats.json')
    with open(stats, 'w') as f:
        json.dump(dict(stats=[{'file': 'a.png', **{str(c): 100 for c in range(19)}}]), f)
    model.update(aug_groups=GTA_GROUPS, aug_model_dir=folder,
                 train_cfg=dict(class_weight_file=stats))
    return model


def test_source_gta_pretraining_killed_mid_epoch_restores_its_style_banks(
        pretrain_reference, tmp_path):
    data, _ = pretrain_reference
    cfg = run_config(data, source_gta_model(str(tmp_path / 'model')),
                     find_unused_parameters=True, **PRETRAIN)
    full = str(tmp_path / 'full')
    pretrain_main([dump_config(cfg, tmp_path / 'full.py'), '--work-dir', full] + FLAGS)
    cfg = with_loader(cfg, LOADERS['2-persistent-workers'])
    killed, saved = kill_and_resume(pretrain_main, cfg, 4, 'iter_2.pth', tmp_path)
    banks = saved['style_banks']
    assert len(banks) == 1 and banks[0], 'empty banks: the test would prove nothing'
    assert_same_end(osp.join(full, 'iter_5.pth'), osp.join(killed, 'iter_5.pth'))


# --- adaptation with the pseudo-label correction --------------------------------------
def _read_store_file(path):
    """A label-store file's content, decoded where its format may hold incidental
    bytes (PNG chunks, zip timestamps): arrays for images and numpy files."""
    ext = osp.splitext(path)[1].lower()
    if ext in ('.png', '.tif', '.tiff'):
        return cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if ext == '.npy':
        return np.load(path)
    if ext == '.npz':
        with np.load(path) as arrays:
            return {key: arrays[key] for key in arrays.files}
    if ext == '.json':
        with open(path) as f:
            return json.load(f)
    with open(path, 'rb') as f:
        return f.read()


def store_contents(work_dir):
    """{path relative to ``<work_dir>/correction``: content} of every file there
    (labels, predictions, snapshots, whatever the correction keeps), leaving out
    hidden temp files."""
    root = osp.join(work_dir, 'correction')
    contents = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        for name in files:
            if not name.startswith('.'):
                path = osp.join(folder, name)
                contents[osp.relpath(path, root)] = _read_store_file(path)
    return contents


def assert_same_contents(a, b):
    assert sorted(a) == sorted(b)
    for name, value in a.items():
        other = b[name]
        if isinstance(value, dict):
            assert sorted(value) == sorted(other), name
            for key in value:
                np.testing.assert_array_equal(value[key], other[key], err_msg=name)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            assert value == other, name


# 3 images, batch 1: 3 iterations an epoch; the checkpoint of iteration 4 and the
# kill in iteration 6 fall in the middle of the second epoch. The correction starts
# as soon as each class has 4 IoU records (trigger threshold far below any slope
# drop), so labels change within 8 iterations.
CORRECTION = dict(type='AdaptiveCorrectionHook', num_classes=19, interval=1,
                  queue_size=4, quantile=0.5, trigger=-1e9, min_points=4,
                  epoch_iters=3, plot=False)


@pytest.fixture(scope='module')
def adaptation_reference(tmp_path_factory):
    """(run config, uninterrupted work dir): ``train.py`` with the prompted model and
    the correction hook, loading without workers."""
    root = tmp_path_factory.mktemp('adaptation')
    data = write_cityscapes_like(str(root / 'data'), n_train=3, n_val=1, size=(128, 64))
    labels = write_pseudo_labels(data, str(root / 'pseudo'))
    source_model, model = uvpt_models()
    source = save_source_checkpoint(source_model, root / 'source.pth')
    train = dict(type='PseudoLabelCityscapesDataset', data_root=data,
                 img_dir='leftImg8bit/train', pseudo_label_dir=labels,
                 pipeline=train_pipeline('LoadCorrectedAnnotations', 'RandomCropWithBox',
                                         ('crop_bbox', 'label_path'), img_scale=(128, 64),
                                         crop_size=(64, 64)))
    cfg = run_config(data, model, max_iters=8, ckpt_interval=4, eval_interval=8,
                     samples_per_gpu=1, train=train, img_scale=(128, 64),
                     custom_hooks=[CORRECTION], source_checkpoint=source)
    full = str(root / 'full')
    train_main([dump_config(cfg, root / 'full.py'), '--work-dir', full] + FLAGS)
    return cfg, full


@pytest.mark.parametrize('loader', LOADERS.values(), ids=LOADERS.keys())
def test_adaptation_killed_mid_epoch_restores_correction_state_and_label_store(
        adaptation_reference, loader, tmp_path):
    """train.py killed after the optimizer step and the correction of iteration 6,
    resumed from iter_4."""
    cfg, full = adaptation_reference
    killed, saved = kill_and_resume(train_main, with_loader(cfg, loader), 6,
                                    'iter_4.pth', tmp_path)
    assert saved['train_loader'] == dict(epoch=1, consumed_batches=1, sampler_seed=0)

    a, b = assert_same_end(osp.join(full, 'iter_8.pth'), osp.join(killed, 'iter_8.pth'))
    state = a['meta']['hook_msgs']['correction']
    assert state['starts'], 'no class was corrected: the test would prove nothing'
    assert_close_tree(state, b['meta']['hook_msgs']['correction'], 'correction')
    reference = store_contents(full)
    assert any(name.startswith('labels') for name in reference)
    assert_same_contents(reference, store_contents(killed))


# --- toy adaptation with 0, 1 and 2 workers -------------------------------------------
def write_toy_pseudo_labels(target_root, out_dir):
    """Pseudo-labels = the toy target train ground truth (train ids), confident."""
    img_dir = osp.join(target_root, 'leftImg8bit', 'train')
    for image in glob.glob(osp.join(img_dir, '*', '*_leftImg8bit.png')):
        filename = osp.relpath(image, img_dir)
        gt = image.replace('leftImg8bit', 'gtFine', 1).replace(
            '_leftImg8bit.png', '_gtFine_labelTrainIds.png')
        label = cv2.imread(gt, cv2.IMREAD_UNCHANGED)
        label_path = pseudo_label_path(out_dir, filename)
        os.makedirs(osp.dirname(label_path), exist_ok=True)
        assert cv2.imwrite(label_path, label)
    return out_dir


def test_toy_adaptation_ends_the_same_with_0_1_and_2_workers(tmp_path):
    """``configs/toy/uvpt_mit-tiny.py`` for 2 iterations on 3 toy images, as shipped
    but for the data paths, the length, 128x128 crops (time) and the workers."""
    toy = str(tmp_path / 'toy')
    generate_toy_data(toy, seed=1, num_source=1, num_target_train=3, num_target_val=1,
                      convert=True)
    target = osp.join(toy, 'target')
    labels = write_toy_pseudo_labels(target, str(tmp_path / 'pseudo'))
    source_model, _ = uvpt_models()
    source = save_source_checkpoint(source_model, tmp_path / 'source.pth')
    options = [f'data.{split}.data_root={target}' for split in ('train', 'val', 'test')]
    config = osp.join(REPO, 'configs/toy/uvpt_mit-tiny.py')
    steps = [step['type'] for step in Config.fromfile(config).data.train.pipeline]
    # the steps whose sizes are overridden below
    assert steps[3] == 'RandomCropWithBox' and steps[7] == 'Pad', steps
    options += [f'data.train.pseudo_label_dir={labels}', 'runner.max_iters=2',
                'checkpoint_config.interval=1', 'checkpoint_config.max_keep_ckpts=-1',
                'data.train.pipeline.3.crop_size=(128,128)',
                'data.train.pipeline.7.size=(128,128)']
    ends = {}
    for workers in (0, 1, 2):
        work = str(tmp_path / f'workers{workers}')
        train_main([config, '--work-dir', work,
                    '--source-checkpoint', source, '--no-validate', '--cfg-options',
                    *options, f'data.workers_per_gpu={workers}'] + FLAGS)
        ends[workers] = load_checkpoint_file(osp.join(work, 'iter_2.pth'))['state_dict']
    first = load_checkpoint_file(osp.join(tmp_path, 'workers0', 'iter_1.pth'))
    assert any(not torch.equal(v, ends[0][k]) for k, v in first['state_dict'].items()), \
        'nothing trained: the comparison would prove nothing'
    for workers in (1, 2):
        assert ends[workers].keys() == ends[0].keys()
        for key, value in ends[0].items():
            assert torch.equal(ends[workers][key], value), (workers, key)


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
