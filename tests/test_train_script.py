"""pretrain.py / train.py end to end on a tiny model and data set (CPU, a few
iterations): what a run leaves in its work dir, repeated in-process calls, and the
input errors that must stop a run before training starts."""
import glob
import json
import os
import os.path as osp

import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import pretrain_main, train_main
from mmseg_uvpt.checkpoints import CheckpointError, load_checkpoint_file
from mmseg_uvpt.utils.config_checks import ConfigError
from test_apis_support import (dump_config, run_config, save_source_checkpoint,
                               stock_model, write_cityscapes_like, write_pseudo_labels)

FAST = ['--seed', '0', '--deterministic']


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    torch.set_num_threads(1)
    return write_cityscapes_like(str(tmp_path_factory.mktemp('data')))


def test_pretrain_run_leaves_config_git_logs_and_safe_checkpoints(data_root, tmp_path):
    config = dump_config(run_config(data_root, max_iters=4, ckpt_interval=2,
                                    eval_interval=4), tmp_path / 'tiny_pretrain.py')
    work = str(tmp_path / 'run')
    out = pretrain_main([config, '--work-dir', work] + FAST)

    assert out['iters'] == 4 and out['work_dir'] == work
    assert out['last_checkpoint'] == osp.join(work, 'iter_4.pth')
    assert out['best_checkpoint'] == osp.join(work, 'best_mIoU_iter_4.pth')
    assert osp.isfile(out['best_checkpoint']) and 0 <= out['metrics']['mIoU'] <= 1
    assert os.readlink(osp.join(work, 'latest.pth')) == 'iter_4.pth'
    assert osp.isfile(osp.join(work, 'tiny_pretrain.py'))  # the config as run
    info = json.load(open(glob.glob(osp.join(work, 'run_info_*.json'))[0]))
    assert info['stage'] == 'pretrain' and info['seed'] == 0 and 'git_dirty' in info
    assert info['argv'][0] == config
    assert info['git_hash'] == 'unknown' or len(info['git_hash']) == 40
    log = open(glob.glob(osp.join(work, 'pretrain_*.log'))[0]).read()
    assert 'parameters:' in log and 'decode head' in log and 'git ' in log
    assert glob.glob(osp.join(work, 'tf_logs', 'events.out.tfevents.*'))

    checkpoint = load_checkpoint_file(osp.join(work, 'iter_4.pth'))  # weights_only
    meta = checkpoint['meta']
    assert meta['iter'] == 4 and meta['seed'] == 0 and len(meta['CLASSES']) == 19
    assert 'git_hash' in meta and 'best_score' in meta['hook_msgs']
    # 4 images at batch 2: two batches an epoch; four iterations end epoch 1
    assert checkpoint['runtime']['train_loader'] == dict(epoch=1, consumed_batches=2,
                                                         sampler_seed=0)
    assert len(checkpoint['runtime']['rng']) == 1 and checkpoint['optimizer']['state']
    assert not glob.glob(osp.join(work, '.tmp-*'))


def test_train_stage_twice_in_one_process_keeps_runs_apart(data_root, tmp_path):
    model = stock_model()
    source = save_source_checkpoint(model, tmp_path / 'source.pth')
    config = dump_config(run_config(data_root, model, max_iters=2, ckpt_interval=2,
                                    eval_interval=2, source_checkpoint='unused.pth'),
                         tmp_path / 'tiny_train.py')
    first, second = str(tmp_path / 'a'), str(tmp_path / 'b')
    train_main([config, '--work-dir', first, '--source-checkpoint', source] + FAST)
    first_log = glob.glob(osp.join(first, 'train_*.log'))[0]
    size = osp.getsize(first_log)
    assert f'source checkpoint {source}: loaded' in open(first_log).read()

    out = train_main([config, '--work-dir', second, '--source-checkpoint', source,
                      '--no-validate'] + FAST)
    assert out['iters'] == 2 and out['metrics'] is None and out['best_checkpoint'] is None
    assert osp.getsize(first_log) == size  # the second run did not log into the first
    assert 'Iter [2/2]' in open(glob.glob(osp.join(second, 'train_*.log'))[0]).read()


def test_bad_inputs_stop_before_training(data_root, tmp_path):
    model = stock_model()
    config = dump_config(run_config(data_root, model), tmp_path / 'c.py')
    source = save_source_checkpoint(model, tmp_path / 'source.pth')
    work = str(tmp_path / 'w')

    def run(*args):
        return train_main([config, '--work-dir', work, '--source-checkpoint', source,
                           *args])

    with pytest.raises(ConfigError, match='config file .*nope.py does not exist'):
        train_main([str(tmp_path / 'nope.py')])
    with pytest.raises(ConfigError, match="unknown key 'optimizer.lrr'"):
        run('--cfg-options', 'optimizer.lrr=1')
    with pytest.raises(ConfigError, match='source_checkpoint: file .*gone.pth does not'):
        train_main([config, '--work-dir', work, '--source-checkpoint',
                    str(tmp_path / 'gone.pth')])
    with pytest.raises(ConfigError, match='source_checkpoint: not set'):
        train_main([config, '--work-dir', work])
    with pytest.raises(ConfigError,
                       match=r'data.val.img_dir: folder .*/nowhere does not'):
        run('--cfg-options', 'data.val.img_dir=nowhere')
    with pytest.raises(ConfigError, match='--resume-from .*: file .*gone.pth does not'):
        run('--resume-from', str(tmp_path / 'gone.pth'))
    with pytest.raises(ConfigError, match="evaluation.metric: metric 'miou' is not "
                       r'supported .*\(did you mean mIoU\?\)'):
        run('--cfg-options', 'evaluation.metric=miou')

    other = save_source_checkpoint(stock_model(num_classes=5), tmp_path / 'other.pth')
    with pytest.raises(CheckpointError, match=f'source checkpoint {other} does not fit'):
        train_main([config, '--work-dir', work, '--source-checkpoint', other])
    with pytest.raises(CheckpointError, match=f'checkpoint {other} does not fit'):
        run('--resume-from', other)

    # pseudo-labels of other images: the dataset refuses them, naming the folder
    labels = write_pseudo_labels(data_root, str(tmp_path / 'pseudo'))
    os.remove(glob.glob(osp.join(labels, '*', '*_pseudoTrainIds.png'))[0])
    pseudo = dict(type='PseudoLabelCityscapesDataset', data_root=data_root,
                  img_dir='leftImg8bit/train', pseudo_label_dir=labels,
                  pipeline=run_config(data_root)['data']['train']['pipeline'])
    pseudo_config = dump_config(run_config(data_root, model, train=pseudo),
                                tmp_path / 'pseudo.py')
    with pytest.raises(FileNotFoundError, match=f'have no label file in {labels}'):
        train_main([pseudo_config, '--work-dir', work, '--source-checkpoint', source])
    assert not glob.glob(osp.join(work, '*.pth'))
