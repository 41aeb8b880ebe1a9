"""Input errors at the command line: one short line, exit status 2, the traceback only
with --debug or UVPT_DEBUG=1; a checkpoint that does not fit says what it is and
which config or option fits it; and a broken data file or a mistyped metric names
itself before the long work, at every stage (issue 25)."""
import glob
import importlib.util
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis.run_setup import close_logger
from mmseg_uvpt.checkpoints import CheckpointError
from mmseg_uvpt.checkpoints.fit import describe, fit_error, kind_of
from mmseg_uvpt.utils.cli_errors import run_script
from mmseg_uvpt.utils.config_checks import ConfigError
from test_apis_support import (REPO, dump_config, run_config, save_source_checkpoint,
                               uvpt_models, write_cityscapes_like, write_pseudo_labels)


def _script(name):
    """``main`` of a script of the checkout (``train.py``, ``tools/infer.py``)."""
    spec = importlib.util.spec_from_file_location(
        'script_' + name.replace('/', '_')[:-3], osp.join(REPO, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('cli')
    data = write_cityscapes_like(str(root / 'data'), n_train=2, n_val=1)
    source_model, adapt_model = uvpt_models()
    source = save_source_checkpoint(source_model, root / 'source.pth')
    adapted = save_source_checkpoint(adapt_model, root / 'adapted.pth')
    config = dump_config(run_config(data, adapt_model, source_checkpoint=source),
                         root / 'uvpt.py')
    source_config = dump_config(run_config(data, source_model), root / 'source_cfg.py')
    junk = root / 'junk.pth'
    junk.write_bytes(b'not a checkpoint at all')
    return dict(root=root, data=data, source=source, adapted=adapted, config=config,
                source_config=source_config, junk=str(junk))


def run(capsys, script, argv):
    """``(exit status, stderr lines)`` of ``script``'s main through run_script."""
    capsys.readouterr()
    status = run_script(_script(script), osp.basename(script), argv)
    err = capsys.readouterr().err.strip().splitlines()
    return status, err


def _assert_one_line(status, err, prog, *fragments):
    assert status == 2
    last = err[-1]
    assert last.startswith(f'{prog}: error: '), err
    assert not any("Traceback" in line for line in err), err
    for fragment in fragments:
        assert fragment in last, (fragment, last)
    return last


def test_missing_config(setup, capsys, tmp_path):
    missing = str(tmp_path / 'nope.py')
    for script, argv in (('pretrain.py', [missing]), ('train.py', [missing]),
                         ('test.py', [missing, setup['source'], '--eval', 'mIoU']),
                         ('generate_pseudo_label.py', ['--config', missing]),
                         ('tools/infer.py', [missing, setup['source'], setup['data'],
                                             '--out', str(tmp_path)])):
        status, err = run(capsys, script, argv)
        _assert_one_line(status, err, osp.basename(script),
                         f'config file {missing} does not exist')


def test_missing_data_folder(setup, capsys, tmp_path):
    status, err = run(capsys, 'train.py', [
        setup['config'], '--work-dir', str(tmp_path), '--cfg-options',
        'data.train.img_dir=nowhere'])
    _assert_one_line(status, err, 'train.py', 'data.train.img_dir: folder',
                     'nowhere does not exist')
    status, err = run(capsys, 'generate_pseudo_label.py', [
        '--config',
        osp.join(REPO, 'configs/pseudo_label/mit-b5_standard_gta52cityscapes.py'),
        '--checkpoint', setup['source'], '--pseudo_label_dir', str(tmp_path / 'pl'),
        '--cfg-options', f'data.pseudo_label.data_root={tmp_path}/none'])
    _assert_one_line(status, err, 'generate_pseudo_label.py',
                     f'data.pseudo_label.data_root: folder {tmp_path}/none does not')
    status, err = run(capsys, 'tools/infer.py', [
        setup['config'], setup['adapted'], str(tmp_path / 'no_images'),
        '--out', str(tmp_path / 'o')])
    _assert_one_line(status, err, 'infer.py', 'no_images does not exist')


def test_unreadable_checkpoint(setup, capsys, tmp_path):
    status, err = run(capsys, 'test.py', [setup['source_config'], setup['junk'],
                                          '--eval', 'mIoU', '--work-dir', str(tmp_path)])
    _assert_one_line(status, err, 'test.py', f'checkpoint {setup["junk"]} cannot be read')
    status, err = run(capsys, 'train.py', [setup['config'], '--work-dir', str(tmp_path),
                                           '--source-checkpoint', setup['junk']])
    _assert_one_line(status, err, 'train.py', setup['junk'], 'cannot be read')


def test_ill_fitting_checkpoint_says_what_it_is_and_what_fits(setup, capsys, tmp_path):
    # a source model given where the adapted model belongs
    status, err = run(capsys, 'test.py', [setup['config'], setup['source'], '--eval',
                                          'mIoU', '--work-dir', str(tmp_path)])
    line = _assert_one_line(
        status, err, 'test.py', setup['source'], 'the file is a source model',
        'the config builds an adapted model', '--source-checkpoint', 'keys missing')
    assert len(line) < 1000  # a count and three examples, not every adapter key
    status, err = run(capsys, 'train.py', [setup['config'], '--work-dir', str(tmp_path),
                                           '--resume-from', setup['source']])
    _assert_one_line(status, err, 'train.py', '--source-checkpoint')
    # an adapted model given as the source model
    status, err = run(capsys, 'train.py', [setup['config'], '--work-dir', str(tmp_path),
                                           '--source-checkpoint', setup['adapted']])
    _assert_one_line(status, err, 'train.py', 'the file is an adapted model',
                     'not a source model', '--resume-from')
    # an adapted model into a source-model config
    status, err = run(capsys, 'test.py', [setup['source_config'], setup['adapted'],
                                          '--eval', 'mIoU', '--work-dir', str(tmp_path)])
    _assert_one_line(status, err, 'test.py', 'keys unexpected',
                     'test it with the adaptation config')


def test_debug_flag_and_env_show_the_traceback(setup, capsys, tmp_path, monkeypatch):
    argv = [str(tmp_path / 'nope.py')]
    with pytest.raises(ConfigError):
        run_script(_script('pretrain.py'), 'pretrain.py', argv + ['--debug'])
    monkeypatch.setenv('UVPT_DEBUG', '1')
    with pytest.raises(ConfigError):
        run_script(_script('pretrain.py'), 'pretrain.py', argv)


def test_scripts_exit_with_status_2_at_the_command_line(tmp_path):
    """The scripts' ``__main__`` goes through run_script (run in parallel)."""
    missing = str(tmp_path / 'nope.py')
    commands = {
        'pretrain.py': [missing], 'train.py': [missing],
        'test.py': [missing, 'x.pth', '--eval', 'mIoU'],
        'generate_pseudo_label.py': ['--config', missing],
        'tools/infer.py': [missing, 'x.pth', 'in', '--out', str(tmp_path)]}
    env = dict(os.environ, OMP_NUM_THREADS='1')
    procs = {name: subprocess.Popen([sys.executable, osp.join(REPO, name), *argv],
                                    cwd=str(tmp_path), env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name, argv in commands.items()}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 2, (name, err)
        lines = err.strip().splitlines()
        assert lines[-1] == (f'{osp.basename(name)}: error: config file {missing} '
                             'does not exist'), (name, err)
        assert 'Traceback' not in err


def _fake(shapes):
    return {k: torch.zeros(s) for k, s in shapes.items()}


SWIN_SOURCE = _fake({'backbone.patch_embed.projection.weight': (128, 3, 4, 4),
                     'backbone.stages.0.blocks.0.attn.w_msa.qkv.weight': (384, 128),
                     'decode_head.conv_seg.weight': (19, 256, 1, 1)})
MIT_ADAPTED = _fake({'backbone.layers.0.0.projection.weight': (64, 3, 7, 7),
                     'backbone.prompt_adapter.generator.level_embed': (3, 64),
                     'pred_mix_logits': (3, ),
                     'decode_head.conv_seg.weight': (19, 256, 1, 1)})


@pytest.mark.parametrize('state, kind, text', [
    (SWIN_SOURCE, 'source', 'a source model (backbone and decode head, no adapter), '
                            'Swin (embed dims 128), 19 classes'),
    (MIT_ADAPTED, 'adapted', 'an adapted model (prompt adapter and mixture logits), '
                             'MiT (embed dims 64), 19 classes'),
    (_fake({'backbone.spm.stem.0.weight': (64, 3, 3, 3), 'weight': (3, )}), 'release',
     'a checkpoint of the reference release (its own key names)'),
    (_fake({'patch_embed.proj.weight': (128, 3, 4, 4),
            'layers.0.blocks.0.attn.qkv.weight': (384, 128)}), 'imagenet',
     'ImageNet backbone weights (no decode head)'),
])
def test_describe_tells_what_a_state_dict_is(state, kind, text):
    assert kind_of(state) == kind
    assert describe(state) == text


def test_fit_error_hints_at_the_fitting_config():
    err = fit_error('swin.pth', SWIN_SOURCE, MIT_ADAPTED)
    assert isinstance(err, CheckpointError)
    assert 'use a config whose backbone is Swin (embed dims 128)' in str(err)
    release = _fake({'backbone.spm.stem.0.weight': (64, 3, 3, 3), 'weight': (3, )})
    assert 'uvpt_release2mmseg.py' in str(fit_error('r.pth', release, MIT_ADAPTED))
    more = _fake({f'decode_head.k{i}': (1, ) for i in range(10)})
    message = str(fit_error('m.pth', {}, more))
    assert '10 keys missing (e.g. decode_head.k0, decode_head.k1, decode_head.k2 ... '\
           'and 7 more)' in message


# ----------------------------------------------------------------- bad data files
# The four cases of issue 25, at the command line: a truncated PNG in the target
# folder, a mistyped --eval metric, a target image without its pseudo-label, and a
# folder of photos with one broken file for tools/infer.py.

TOY_PSEUDO_LABEL = osp.join(REPO, 'configs/toy/pseudo_label_mit-tiny.py')


def _truncate(path, keep=200):
    """Keep the first ``keep`` bytes of ``path``; returns the whole content."""
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:keep])
    return data


def _mtimes(folder):
    """``{path: mtime_ns}`` of every file below ``folder``."""
    return {osp.join(d, f): os.stat(osp.join(d, f)).st_mtime_ns
            for d, _, files in os.walk(folder) for f in files}


def _target_images(data):
    return sorted(glob.glob(osp.join(data, 'leftImg8bit', 'train', '*', '*.png')))


@pytest.fixture
def own_mmseg_logger():
    """generate_pseudo_label.py leaves mmseg's logger writing to the stderr it found
    (this test's capture); detach it, so that the next test's logging does not
    write to a closed stream."""
    yield
    close_logger()


def _pseudo_label_argv(setup, data, out, *options):
    return ['--config', TOY_PSEUDO_LABEL, '--checkpoint', setup['source'],
            '--pseudo_label_dir', out, '--cfg-options',
            f'data.pseudo_label.data_root={data}',
            'data.pseudo_label.pipeline.1.img_scale=(64,32)', *options]


def test_truncated_target_png_stops_pseudo_labels_and_a_rerun_does_the_rest(
        setup, capsys, tmp_path, own_mmseg_logger):
    data = write_cityscapes_like(str(tmp_path / 'data'), n_train=3, n_val=1)
    images = _target_images(data)
    out = str(tmp_path / 'pl')
    argv = _pseudo_label_argv(setup, data, out, 'data.workers_per_gpu=0')
    assert run(capsys, 'generate_pseudo_label.py', argv)[0] == 0
    labels = sorted(glob.glob(osp.join(out, '*', '*_pseudoTrainIds.png')))
    assert len(labels) == 3
    # images 1 and 2 are to be labelled again; image 2 was cut short
    for label in labels[1:]:
        os.remove(label)
    whole = _truncate(images[2])
    before = _mtimes(out)

    status, err = run(capsys, 'generate_pseudo_label.py', argv)
    _assert_one_line(status, err, 'generate_pseudo_label.py',
                     f'cannot read image {images[2]}')
    assert _mtimes(out) == before  # stopped before labelling anything

    with open(images[2], 'wb') as f:
        f.write(whole)
    assert run(capsys, 'generate_pseudo_label.py', argv)[0] == 0
    after = _mtimes(out)
    assert all(osp.isfile(label) for label in labels)
    assert after[labels[0]] == before[labels[0]]  # the finished image was skipped


def test_image_broken_during_pseudo_labelling_names_itself_and_keeps_the_labels(
        setup, capsys, tmp_path, monkeypatch, own_mmseg_logger):
    """The file breaks after the check (the check is skipped here): the data-loader
    worker's error names it, the labels written so far stay, a re-run after the
    fix labels only the rest."""
    import mmseg_uvpt.apis.pseudo_label as pseudo_label
    data = write_cityscapes_like(str(tmp_path / 'data'), n_train=3, n_val=1)
    images = _target_images(data)
    out = str(tmp_path / 'pl')
    argv = _pseudo_label_argv(setup, data, out, 'data.workers_per_gpu=1')
    whole = _truncate(images[2])
    with monkeypatch.context() as patch:
        patch.setattr(pseudo_label, 'check_dataset_inputs', lambda *a, **k: 0)
        status, err = run(capsys, 'generate_pseudo_label.py', argv)
    _assert_one_line(status, err, 'generate_pseudo_label.py',
                     f'cannot read image {images[2]}')
    assert len(err[-1].splitlines()) == 1 and 'Original Traceback' not in err[-1]
    written = _mtimes(out)
    assert len([p for p in written if p.endswith('_pseudoTrainIds.png')]) == 2

    with open(images[2], 'wb') as f:
        f.write(whole)
    assert run(capsys, 'generate_pseudo_label.py', argv)[0] == 0
    after = _mtimes(out)
    assert len([p for p in after if p.endswith('_pseudoTrainIds.png')]) == 3
    assert all(after[p] == t for p, t in written.items() if p.endswith('.png'))


def _pseudo_label_train_config(setup, data, labels, path):
    _, model = uvpt_models()
    pseudo = dict(type='PseudoLabelCityscapesDataset', data_root=data,
                  img_dir='leftImg8bit/train', pseudo_label_dir=labels,
                  pipeline=run_config(data)['data']['train']['pipeline'])
    return dump_config(run_config(data, model, train=pseudo,
                                  source_checkpoint=setup['source']), path)


def test_truncated_target_png_stops_train_py_before_training(setup, capsys, tmp_path):
    data = write_cityscapes_like(str(tmp_path / 'data'), n_train=3, n_val=1)
    labels = write_pseudo_labels(data, str(tmp_path / 'pl'))
    config = _pseudo_label_train_config(setup, data, labels, tmp_path / 'c.py')
    image = _target_images(data)[2]
    _truncate(image)
    kept = _mtimes(labels)
    work = str(tmp_path / 'w')
    # data_check_files=0: no sample decoded in full, the header check alone finds it
    status, err = run(capsys, 'train.py', [config, '--work-dir', work,
                                           '--cfg-options', 'data_check_files=0'])
    _assert_one_line(status, err, 'train.py', f'cannot read image {image}')
    assert _mtimes(labels) == kept and not glob.glob(osp.join(work, '*.pth'))


def test_target_image_without_pseudo_label_is_one_line(setup, capsys, tmp_path):
    data = write_cityscapes_like(str(tmp_path / 'data'), n_train=3, n_val=1)
    labels = write_pseudo_labels(data, str(tmp_path / 'pl'))
    missing = sorted(glob.glob(osp.join(labels, '*', '*_pseudoTrainIds.png')))[1]
    os.remove(missing)
    kept = _mtimes(labels)
    config = _pseudo_label_train_config(setup, data, labels, tmp_path / 'c.py')
    work = str(tmp_path / 'w')
    status, err = run(capsys, 'train.py', [config, '--work-dir', work])
    line = _assert_one_line(status, err, 'train.py', '1 of 3 images have no label '
                            f'file in {labels}; first missing: {missing}')
    # mmcv's registry puts the class name in front of the dataset's own message
    assert line.startswith('train.py: error: PseudoLabelCityscapesDataset: 1 of 3')
    assert _mtimes(labels) == kept and not glob.glob(osp.join(work, '*.pth'))


def test_mistyped_eval_metric_stops_test_py_before_inference(setup, capsys, tmp_path):
    result = tmp_path / 'metrics.json'
    result.write_text('{"from": "an earlier run"}')
    work = tmp_path / 'w'
    status, err = run(capsys, 'test.py', [setup['source_config'], setup['source'],
                                          '--eval', 'mIOU', '--out', str(result),
                                          '--work-dir', str(work)])
    _assert_one_line(status, err, 'test.py', "--eval: metric 'mIOU' is not supported",
                     'choose from mIoU, mDice, mFscore, cityscapes',
                     'did you mean mIoU?')
    assert result.read_text() == '{"from": "an earlier run"}' and not work.exists()


def test_infer_skips_a_broken_photo_and_finishes_the_others(setup, capsys, tmp_path):
    photos = tmp_path / 'photos'
    shutil.copytree(osp.join(setup['data'], 'leftImg8bit', 'train'), photos)
    names = sorted(glob.glob(str(photos / '*' / '*.png')))
    broken = str(photos / 'broken.png')
    with open(names[0], 'rb') as f:
        data = f.read()
    with open(broken, 'wb') as f:
        f.write(data[:len(data) // 2])
    out = tmp_path / 'out'
    argv = [setup['config'], setup['adapted'], str(photos), '--out', str(out),
            '--scale', '128x64']
    capsys.readouterr()
    status = run_script(_script('tools/infer.py'), 'infer.py', argv)
    captured = capsys.readouterr()
    assert status == 1
    warnings = [line for line in captured.err.splitlines() if 'warning' in line]
    assert len(warnings) == 1, captured.err
    assert warnings[0].startswith(f'infer.py: warning: cannot read image {broken}: ')
    assert warnings[0].endswith('; skipped')
    assert f'infer.py: 2 image(s) and 0 video(s) written to {out}; 1 unreadable ' \
           'input(s) skipped' in captured.out
    written = sorted(osp.relpath(p, out / 'color')
                     for p in glob.glob(str(out / 'color' / '*' / '*.png')))
    assert written == [osp.relpath(n, photos) for n in names]

    status, err = run(capsys, 'tools/infer.py', argv + ['--strict', '--out',
                                                        str(tmp_path / 'strict')])
    _assert_one_line(status, err, 'infer.py', f'cannot read image {broken}')
    assert not (tmp_path / 'strict').exists()
