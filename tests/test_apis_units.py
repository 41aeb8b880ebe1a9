"""Unit tests of the run-time parts: input checks, checkpoint-safe values, RNG state,
resumable loader, optimizer constructor, non-finite-loss hook, norm-layer choice."""
import logging
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmcv import Config
from torch import nn
from torch.utils.data import Dataset

import mmseg_uvpt  # noqa: F401  (registers the runner, hooks and constructor)
from mmseg_uvpt.core import (NonFiniteLossError, NonFiniteLossHook,
                             UVPTOptimizerConstructor)
from mmseg_uvpt.runtime import (ResumableIterLoader, build_loader, get_rng_state,
                                set_rng_state, to_checkpoint_safe)
from mmseg_uvpt.utils.git_version import git_version
from mmseg_uvpt.checkpoints import CheckpointError, atomic_save, load_checkpoint_file
from mmseg_uvpt.utils.config_checks import (ConfigError, check_cfg_options,
                                            check_config_file, check_dataset_paths,
                                            check_file)
from mmseg_uvpt.utils.distributed import DistInfo, set_norm_layers


# --- input checks ----------------------------------------------------------------------
def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError,
                       match=f'config file {tmp_path}/nope.py does not exist'):
        check_config_file(str(tmp_path / 'nope.py'))
    with pytest.raises(ConfigError,
                       match='--source-checkpoint: file x.pth does not exist'):
        check_file('x.pth', '--source-checkpoint')


def test_cfg_options_typo_names_the_key():
    pipeline = [dict(type='A'), dict(type='B', p=1)]
    cfg = Config(dict(optimizer=dict(type='AdamW', lr=1e-3),
                      data=dict(train=dict(pipeline=pipeline))))
    with pytest.raises(ConfigError) as err:
        check_cfg_options(cfg, {'optimizer.lrr': 1})
    assert "unknown key 'optimizer.lrr'" in str(err.value)
    assert "'lrr' is not in optimizer" in str(err.value)
    assert 'did you mean lr' in str(err.value)
    with pytest.raises(ConfigError, match="'optimzer' is not in the top level"):
        check_cfg_options(cfg, {'optimzer.lr': 1})
    with pytest.raises(ConfigError, match="'q' is not in data.train.pipeline.1"):
        check_cfg_options(cfg, {'data.train.pipeline.1.q': 2})
    # existing keys, list indices and keys the runtime reads with a default pass
    check_cfg_options(cfg, {'optimizer.lr': 1, 'data.train.pipeline.1.p': 2,
                            'source_checkpoint': 'a.pth', 'evaluation.interval': 5})


def test_data_folder_checks_name_key_and_path(tmp_path):
    (tmp_path / 'img').mkdir()
    (tmp_path / 'ann').mkdir()
    (tmp_path / 'ann' / 'a.png').write_bytes(b'x')
    cfg = Config(dict(data=dict(train=dict(
        type='ConcatDataset', datasets=[dict(type='X', data_root=str(tmp_path),
                                             img_dir='img', ann_dir='ann')]))))
    with pytest.raises(ConfigError, match=f'data.train.datasets.0.img_dir: folder '
                                          f'{tmp_path}/img is empty'):
        check_dataset_paths(cfg, ['train'])
    cfg.data.train.datasets[0].img_dir = 'missing'
    with pytest.raises(ConfigError, match=f'img_dir: folder {tmp_path}/missing does not'):
        check_dataset_paths(cfg, ['train'])
    cfg.data.train.datasets[0].img_dir = 'ann'
    check_dataset_paths(cfg, ['train'])
    with pytest.raises(ConfigError, match='data.val: the config defines no val dataset'):
        check_dataset_paths(cfg, ['train', 'val'])
    # the pseudo-label folder is taken as given, not below data_root
    cfg.data.train.datasets[0].pseudo_label_dir = 'ann'
    with pytest.raises(ConfigError, match='pseudo_label_dir: folder ann does not exist'):
        check_dataset_paths(cfg, ['train'])
    cfg.data.train.datasets[0].pseudo_label_dir = None  # as in the toy base config
    with pytest.raises(ConfigError, match='datasets.0.pseudo_label_dir: not set'):
        check_dataset_paths(cfg, ['train'])


# --- checkpoint contents ---------------------------------------------------------------
def test_checkpoint_safe_values_load_weights_only(tmp_path):
    meta = dict(best_score=np.float64(0.5), hist=np.arange(4, dtype=np.int64),
                nested=[dict(a=np.int32(3))], cfg=Config(dict(a=1))._cfg_dict)
    safe = to_checkpoint_safe(meta, 'meta')
    assert type(safe['best_score']) is float and type(safe['nested'][0]['a']) is int
    atomic_save(safe, tmp_path / 'c.pth')
    loaded = load_checkpoint_file(tmp_path / 'c.pth')
    assert torch.equal(loaded['hist'], torch.arange(4)) and loaded['cfg'] == {'a': 1}
    with pytest.raises(CheckpointError, match=r'meta.hook_msgs.x holds a object'):
        to_checkpoint_safe(dict(hook_msgs=dict(x=object())), 'meta')


def test_rng_state_round_trip_through_a_checkpoint(tmp_path):
    atomic_save(get_rng_state(), tmp_path / 'rng.pth')
    expected = (random.random(), np.random.rand(3), torch.rand(3))
    random.random(), np.random.rand(5), torch.rand(5)  # move every generator on
    set_rng_state(load_checkpoint_file(tmp_path / 'rng.pth'))
    assert random.random() == expected[0]
    assert np.array_equal(np.random.rand(3), expected[1])
    assert torch.equal(torch.rand(3), expected[2])


# --- resumable loader ------------------------------------------------------------------
class IndexSet(Dataset):

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return index


def _loader(seed=3):
    settings = dict(samples_per_gpu=2, workers_per_gpu=0)
    return build_loader(IndexSet(), settings, DistInfo(), seed=seed, train=True)


def test_loader_resumes_mid_epoch_with_the_same_order():
    whole = ResumableIterLoader(_loader())
    batches = [next(whole).tolist() for _ in range(7)]
    # 5 samples, batch 2, drop_last: 2 batches (4 distinct samples) an epoch,
    # reshuffled every epoch
    assert whole.epoch == 3
    for epoch in range(3):
        assert len(set(sum(batches[2 * epoch:2 * epoch + 2], []))) == 4
    assert batches[:2] != batches[2:4]
    first = ResumableIterLoader(_loader())
    for _ in range(3):
        next(first)
    state = first.state_dict()
    assert state == dict(epoch=1, consumed_batches=1, sampler_seed=3)
    second = ResumableIterLoader(_loader(seed=99))  # the seed comes from the state
    second.load_state_dict(state)
    assert [next(second).tolist() for _ in range(4)] == batches[3:]
    assert second.epoch == 3


def test_creating_loader_iterators_leaves_global_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(2)
    torch.manual_seed(0)
    loader = ResumableIterLoader(_loader())
    for _ in range(5):  # crosses two epoch starts
        next(loader)
    assert torch.equal(torch.rand(2), expected)


# --- optimizer -------------------------------------------------------------------------
class TinySegmentor(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Conv2d(3, 4, 1)
        self.backbone.requires_grad_(False)
        self.backbone.prompt_adapter = nn.Sequential(nn.Conv2d(3, 4, 1),
                                                     nn.BatchNorm2d(4))
        self.decode_head = nn.Sequential(nn.Conv2d(4, 4, 1), nn.LayerNorm(4))
        self.mix = nn.Parameter(torch.zeros(3))


def test_optimizer_constructor_multipliers_and_no_decay_on_norms():
    model = TinySegmentor()
    paramwise = dict(norm_decay_mult=0.0, custom_keys=dict(
        prompt_adapter=dict(lr_mult=5.0), decode_head=dict(lr_mult=10.0)))
    optimizer_cfg = dict(type='AdamW', lr=1.0, betas=(0.9, 0.999), weight_decay=0.01)
    optimizer = UVPTOptimizerConstructor(optimizer_cfg, paramwise)(model)
    names = {id(p): n for n, p in model.named_parameters()}
    got = {names[id(g['params'][0])]: (g['lr'], g['weight_decay'])
           for g in optimizer.param_groups}
    assert got['backbone.prompt_adapter.0.weight'] == (5.0, 0.01)
    assert got['backbone.prompt_adapter.1.weight'] == (5.0, 0.0)  # BN in the adapter
    assert got['backbone.prompt_adapter.1.bias'] == (5.0, 0.0)
    assert got['decode_head.0.weight'] == (10.0, 0.01)
    assert got['decode_head.1.weight'] == (10.0, 0.0)  # LayerNorm in the head
    assert got['mix'] == (1.0, 0.01)
    assert optimizer.defaults['betas'] == (0.9, 0.999)


# --- non-finite loss -------------------------------------------------------------------
def _runner(loss, last_ckpt=None):
    return SimpleNamespace(
        outputs=dict(loss=torch.tensor(loss), log_vars=dict(loss=loss, decode_ce=1.0)),
        meta=dict(hook_msgs=dict(last_ckpt=last_ckpt) if last_ckpt else {}), iter=6,
        work_dir='/w', logger=logging.getLogger('test'))


def test_non_finite_loss_hook_stops_with_the_last_checkpoint():
    hook = NonFiniteLossHook()
    hook.after_train_iter(_runner(1.5))
    with pytest.raises(NonFiniteLossError) as err:
        hook.after_train_iter(_runner(float('nan'), '/w/iter_4.pth'))
    message = str(err.value)
    assert 'non-finite loss at iteration 7: loss, loss (total)' in message
    assert 'the last good checkpoint is /w/iter_4.pth' in message
    with pytest.raises(NonFiniteLossError, match='no checkpoint was saved before it'):
        hook.after_train_iter(_runner(float('inf')))


# --- environment -----------------------------------------------------------------------
def test_sync_bn_only_for_ddp_on_gpus():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4))
    model[1].weight.requires_grad_(False)
    for info in (DistInfo(), DistInfo(distributed=True, world_size=2, device='cpu')):
        out = set_norm_layers(model, info)
        assert not any(isinstance(m, nn.SyncBatchNorm) for m in out.modules())
        assert isinstance(out[1], nn.modules.batchnorm._BatchNorm)
        assert not out[1].weight.requires_grad


def test_git_version_outside_a_checkout(tmp_path):
    assert git_version(str(tmp_path)) == ('unknown', None)
    commit, dirty = git_version()
    assert commit == 'unknown' or (len(commit) == 40 and isinstance(dirty, bool))


def test_workers_persist_only_when_there_are_workers():
    settings = dict(samples_per_gpu=2, workers_per_gpu=0)
    assert not build_loader(IndexSet(), settings, DistInfo(), seed=0).persistent_workers
    settings['workers_per_gpu'] = 1
    assert build_loader(IndexSet(), settings, DistInfo(), seed=0).persistent_workers
    evaluation = build_loader(IndexSet(), settings, DistInfo(), train=False)
    assert evaluation.sampler.__class__.__name__ == 'SequentialSampler'


def test_more_than_one_process_logs_the_changed_recipe(caplog):
    from mmseg_uvpt.apis.stages import log_batch_change
    logger = logging.getLogger('uvpt-test-batch')
    cfg = Config(dict(data=dict(samples_per_gpu=1)))
    with caplog.at_level(logging.WARNING, logger='uvpt-test-batch'):
        assert log_batch_change(cfg, 1, logger) is None  # the release's batch 1
        assert not caplog.records
        line = log_batch_change(cfg, 4, logger)
    assert 'effective batch 4' in line and 'LR is not scaled' in line
    assert 'per process' in line and caplog.records[-1].getMessage() == line
    cfg.data.samples_per_gpu = 2
    assert 'effective batch 2' in log_batch_change(cfg, 1, logger)


def test_loader_settings_take_shared_keys_not_datasets():
    from mmseg_uvpt.runtime import loader_settings
    data = dict(samples_per_gpu=2, workers_per_gpu=3, persistent_workers=False,
                train=dict(type='A'), val=dict(type='B'), test=dict(type='C'),
                pseudo_label=dict(type='PseudoLabelCityscapesDataset'),
                test_dataloader=dict(workers_per_gpu=1))
    assert loader_settings(data, 'train') == dict(samples_per_gpu=2, workers_per_gpu=3,
                                                  persistent_workers=False)
    assert loader_settings(data, 'test') == dict(samples_per_gpu=1, workers_per_gpu=1,
                                                 persistent_workers=False, shuffle=False)
