"""Prompt-only adaptation checkpoints on a tiny prompted MiT run (CPU, 4 iterations):
what they hold, reloading and resuming through their source checkpoint, refusal of a
source whose frozen tensors differ, and the converters in both directions."""
import copy
import os
import os.path as osp
import shutil

import pytest
import torch
from mmcv.runner import HOOKS, Hook

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import evaluate_main, train_main
from mmseg_uvpt.runtime import load_model_checkpoint
from mmseg_uvpt.user_tools.adapted_model import init_adapted_segmentor
from mmseg_uvpt.checkpoints import CheckpointError, load_checkpoint_file
from mmseg_uvpt.checkpoints.prompt_only import (PROMPT_ONLY_KEY, export_full,
                                          export_prompt_only, frozen_parameter_names,
                                          is_prompt_only, tensor_sha256)
from test_apis_support import (SimulatedKill, dump_config, run_config,
                               save_source_checkpoint, train_pipeline, uvpt_models,
                               write_cityscapes_like)
from test_resume import assert_close_tree, assert_same_end

FLAGS = ['--seed', '0', '--deterministic']
SIZE = (128, 64)  # images (W, H)
#: models of finished runs, by work dir (filled by KeepModelHook)
KEPT_MODELS = {}


@HOOKS.register_module(force=True)
class KeepModelHook(Hook):
    """Keeps a copy of the trained model at the end of the run in ``KEPT_MODELS``."""

    def after_run(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        KEPT_MODELS[runner.work_dir] = copy.deepcopy(model).cpu().eval()


def adaptation_config(data, source, path, **extra):
    """A 4-iteration adaptation of the tiny prompted MiT, checkpoints at 2 and 4
    (its half-scale pass needs crops of 64 pixels)."""
    _, model = uvpt_models()
    train = dict(type='UVPTCityscapesDataset', data_root=data,
                 img_dir='leftImg8bit/train', ann_dir='gtFine/train',
                 pipeline=train_pipeline(img_scale=SIZE, crop_size=(64, 64)))
    cfg = run_config(data, model, max_iters=4, ckpt_interval=2, eval_interval=4,
                     train=train, img_scale=SIZE, source_checkpoint=source, **extra)
    return dump_config(cfg, path)


@pytest.fixture(scope='module')
def adapted(tmp_path_factory):
    """``dict(root, data, source, config, work)`` of a finished prompt-only run."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp('prompt_only')
    data = write_cityscapes_like(str(root / 'data'), size=SIZE)
    source_model, _ = uvpt_models()
    source = save_source_checkpoint(source_model, root / 'source.pth')
    config = adaptation_config(data, source, root / 'uvpt.py',
                               custom_hooks=[dict(type='KeepModelHook')])
    work = str(root / 'run')
    train_main([config, '--work-dir', work] + FLAGS)
    return dict(root=root, data=data, source=source, config=config, work=work)


def test_checkpoint_holds_trained_tensors_and_buffers_and_names_its_source(adapted):
    checkpoint = load_checkpoint_file(osp.join(adapted['work'], 'iter_4.pth'))
    model = KEPT_MODELS[adapted['work']]
    frozen = set(frozen_parameter_names(model))
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    buffers = {n for n, _ in model.named_buffers()}
    assert frozen and trained and any(n.endswith('running_mean') for n in buffers)
    assert is_prompt_only(checkpoint)
    assert set(checkpoint['state_dict']) == trained | buffers
    record = checkpoint[PROMPT_ONLY_KEY]
    assert record['source_checkpoint'] == osp.realpath(adapted['source'])
    assert set(record['frozen_tensors']) == frozen
    source = load_checkpoint_file(adapted['source'])['state_dict']
    key = 'backbone.layers.0.0.projection.weight'
    assert record['frozen_tensors'][key] == tensor_sha256(source[key])
    assert checkpoint['optimizer']['state'] and checkpoint['runtime']['rng']
    # the best checkpoint of the evaluation hook is written the same way
    best = load_checkpoint_file(osp.join(adapted['work'], 'best_mIoU_iter_4.pth'))
    assert is_prompt_only(best)


def test_reloaded_model_predicts_exactly_like_the_model_in_memory(adapted):
    trained = KEPT_MODELS[adapted['work']]
    reloaded = init_adapted_segmentor(adapted['config'],
                                      osp.join(adapted['work'], 'latest.pth'))
    for key, value in trained.state_dict().items():
        assert torch.equal(reloaded.state_dict()[key], value), key
    image = torch.randn(2, 3, 64, 128, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = trained.encode_decode(image, None)
        got = reloaded.encode_decode(image, None)
    assert torch.equal(got, expected)
    assert (got.argmax(1) != got[:, :1].argmax(1)).any()  # not a constant map


def test_resume_from_prompt_only_checkpoint_equals_uninterrupted_run(adapted, tmp_path):
    config = adaptation_config(adapted['data'], adapted['source'], tmp_path / 'c.py')
    kill = adaptation_config(adapted['data'], adapted['source'], tmp_path / 'kill.py',
                             custom_hooks=[dict(type='KillAtIterHook', iteration=3,
                                                priority='LOW')])
    killed = str(tmp_path / 'killed')
    with pytest.raises(SimulatedKill):
        train_main([kill, '--work-dir', killed] + FLAGS)
    assert is_prompt_only(load_checkpoint_file(osp.join(killed, 'iter_2.pth')))
    train_main([config, '--work-dir', killed, '--resume-from',
                osp.join(killed, 'iter_2.pth')] + FLAGS)
    full, resumed = assert_same_end(osp.join(adapted['work'], 'iter_4.pth'),
                                    osp.join(killed, 'iter_4.pth'))
    assert_close_tree(full[PROMPT_ONLY_KEY], resumed[PROMPT_ONLY_KEY], 'prompt_only')


def _changed_source(adapted, path, key):
    checkpoint = load_checkpoint_file(adapted['source'])
    checkpoint['state_dict'][key] = checkpoint['state_dict'][key] + 1e-3
    torch.save(checkpoint, str(path))
    return str(path)


def test_source_with_a_changed_frozen_tensor_is_refused_naming_it(adapted, tmp_path):
    key = 'backbone.layers.1.1.0.attn.attn.in_proj_weight'
    assert key in load_checkpoint_file(adapted['source'])['state_dict']
    changed = _changed_source(adapted, tmp_path / 'changed.pth', key)
    latest = osp.join(adapted['work'], 'iter_4.pth')
    # the changed file given explicitly, and the recorded source moved away
    moved = adapted['root'] / 'moved_source.pth'
    shutil.move(adapted['source'], moved)
    try:
        with pytest.raises(CheckpointError) as err:
            evaluate_main([adapted['config'], latest, '--eval', 'mIoU', '--work-dir',
                           str(tmp_path / 'w'), '--source-checkpoint', changed])
        message = str(err.value)
        assert key in message and latest in message and changed in message
        assert '1 frozen tensor(s) differ' in message

        with pytest.raises(CheckpointError, match='needs its source checkpoint') as err:
            load_model_checkpoint(init_model(adapted), latest)
        assert latest in str(err.value) and adapted['source'] in str(err.value)
        assert '--source-checkpoint' in str(err.value)

        # pointed at the moved file, the checkpoint loads
        out = evaluate_main([adapted['config'], latest, '--eval', 'mIoU', '--work-dir',
                             str(tmp_path / 'w'), '--source-checkpoint', str(moved)])
        assert 0 <= out['metrics']['mIoU'] <= 1
    finally:
        shutil.move(moved, adapted['source'])


def init_model(adapted):
    from mmcv import Config
    from mmseg.models import build_segmentor
    return build_segmentor(Config.fromfile(adapted['config']).model)


def test_converters_round_trip(adapted, tmp_path):
    latest = osp.join(adapted['work'], 'iter_4.pth')
    full = str(tmp_path / 'full.pth')
    export_full(latest, full, keep_training_state=False)
    exported = load_checkpoint_file(full)
    assert not is_prompt_only(exported) and 'optimizer' not in exported
    trained = KEPT_MODELS[adapted['work']].state_dict()
    assert set(exported['state_dict']) == set(trained)
    assert all(torch.equal(exported['state_dict'][k], v) for k, v in trained.items())
    resumable = str(tmp_path / 'full_with_optimizer.pth')
    export_full(latest, resumable)
    assert load_checkpoint_file(resumable)['optimizer']
    assert os.path.getsize(latest) < os.path.getsize(resumable)

    back = str(tmp_path / 'prompt.pth')
    frozen = frozen_parameter_names(KEPT_MODELS[adapted['work']])
    export_prompt_only(full, back, frozen, adapted['source'])
    original, again = load_checkpoint_file(latest), load_checkpoint_file(back)
    assert_close_tree(original['state_dict'], again['state_dict'], 'state_dict')
    assert again[PROMPT_ONLY_KEY] == original[PROMPT_ONLY_KEY]

    changed = _changed_source(adapted, tmp_path / 'changed.pth',
                              'backbone.layers.0.0.projection.weight')
    with pytest.raises(CheckpointError, match='backbone.layers.0.0.projection.weight'):
        export_prompt_only(full, str(tmp_path / 'bad.pth'), frozen, changed)
    assert not osp.exists(tmp_path / 'bad.pth')


def test_prompt_only_off_by_config_key_writes_full_checkpoints(adapted, tmp_path):
    config = adaptation_config(adapted['data'], adapted['source'], tmp_path / 'c.py',
                               runner=dict(type='IterBasedRunner', max_iters=2))
    work = str(tmp_path / 'w')
    train_main([config, '--work-dir', work, '--no-validate', '--cfg-options',
                'prompt_only_checkpoints=False'] + FLAGS)
    checkpoint = load_checkpoint_file(osp.join(work, 'iter_2.pth'))
    assert not is_prompt_only(checkpoint)
    assert 'backbone.layers.0.0.projection.weight' in checkpoint['state_dict']


def test_size_script_measures_the_frozen_parameters_left_out():
    import importlib.util
    from test_apis_support import REPO
    spec = importlib.util.spec_from_file_location(
        'checkpoint_size', osp.join(REPO, 'tools', 'checkpoint_size.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    [(_, sizes)] = module.main(['--toy'])
    frozen_bytes = 4 * (sizes['total'] - sizes['trainable'])  # fp32
    # what prompt-only leaves out is the frozen parameters (plus their zip entries,
    # less the hash record: a few hundred bytes a tensor either way)
    saved = sizes['full'] - sizes['prompt']
    assert saved == pytest.approx(frozen_bytes, rel=0.05)
    assert sizes['prompt'] < 0.6 * sizes['full']
    assert sizes['full_opt'] - sizes['prompt_opt'] == pytest.approx(saved, rel=0.01)
