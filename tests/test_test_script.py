"""test.py on a checkpoint of a tiny 2-iteration run: per-class table, class means
(mIoU19, and mIoU16/mIoU13 with SYNTHIA subsets), JSON, colour overlays, aug-test,
and refusal of checkpoints that do not fit."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
from PIL import Image
import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import pretrain_main, evaluate_main
from mmseg_uvpt.datasets.label_ids import SYNTHIA_EVAL_SUBSETS
from mmseg_uvpt.checkpoints import CheckpointError
from mmseg_uvpt.utils.config_checks import ConfigError
from test_apis_support import (CITY, IMG_H, IMG_W, dump_config, run_config,
                               save_source_checkpoint, stock_model,
                               write_cityscapes_like)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp('trained')
    data = write_cityscapes_like(str(root / 'data'))
    cfg = run_config(data, max_iters=2, ckpt_interval=2)
    config = dump_config(cfg, root / 'tiny.py')
    out = pretrain_main([config, '--work-dir', str(root / 'run'), '--no-validate',
                         '--seed', '0'])
    return cfg, config, out['last_checkpoint']


def test_eval_prints_table_and_mean_and_writes_overlays(trained, tmp_path, capsys):
    _, config, checkpoint = trained
    show, result = str(tmp_path / 'show'), str(tmp_path / 'metrics.json')
    out = evaluate_main([config, checkpoint, '--eval', 'mIoU', '--show-dir', show,
                        '--opacity', '1', '--out', result, '--work-dir',
                        str(tmp_path / 'w')])

    assert list(out['means']) == ['mIoU19']
    assert out['means']['mIoU19'] == pytest.approx(out['metrics']['mIoU'] * 100)
    log = capsys.readouterr().err
    assert 'per class results' in log and '|      road     |' in log
    assert f"class means: mIoU19 {out['means']['mIoU19']:.2f}" in log
    saved = json.load(open(result))
    assert saved['means'] == out['means'] and saved['checkpoint'] == checkpoint

    # at opacity 1 an overlay is the prediction painted in the palette (BGR on disk)
    palette = torch.load(checkpoint, weights_only=True)['meta']['PALETTE']
    colours = {tuple(c[::-1]) for c in palette}
    for i in range(2):
        name = f'{CITY}_{i:06d}_000019_leftImg8bit.png'
        overlay = cv2.imread(osp.join(show, CITY, name))
        assert overlay.shape == (IMG_H, IMG_W, 3)
        assert {tuple(int(v) for v in px) for px in overlay.reshape(-1, 3)} <= colours


def test_eval_subsets_give_miou16_and_miou13_with_aug_test(trained, tmp_path):
    cfg, _, checkpoint = trained
    cfg = dict(cfg, data=dict(cfg['data'], test=dict(cfg['data']['test'],
                                                       eval_subsets='synthia')))
    config = dump_config(cfg, tmp_path / 'synthia_eval.py')
    work = str(tmp_path / 'w')
    out = evaluate_main([config, checkpoint, '--eval', 'mIoU', '--aug-test',
                        '--work-dir', work])

    assert list(out['means']) == ['mIoU19', 'mIoU16', 'mIoU13', 'mIoU16_release',
                                  'mIoU13_release']
    # the release's derived figure beside the plain mean (docs/fidelity.md)
    assert out['means']['mIoU16_release'] == pytest.approx(19 * out['means']['mIoU19'] / 16)
    for name, classes in SYNTHIA_EVAL_SUBSETS.items():
        # mmseg rounds the per-class IoUs it reports to 0.01 %
        expected = np.nanmean([out['metrics'][f'IoU.{c}'] for c in classes]) * 100
        assert out['means'][name] == pytest.approx(expected, abs=0.01)
    assert osp.isfile(out['json'])
    dumped = open(osp.join(work, 'synthia_eval.py')).read()
    assert 'img_ratios=[0.5, 0.75, 1.0, 1.25, 1.5, 1.75]' in dumped


def test_inputs_that_do_not_fit_are_refused(trained, tmp_path):
    _, config, checkpoint = trained
    other = save_source_checkpoint(stock_model(num_classes=5), tmp_path / 'other.pth')
    with pytest.raises(CheckpointError,
                       match=f'checkpoint {other} does not fit the model'):
        evaluate_main([config, other, '--eval', 'mIoU', '--work-dir', str(tmp_path)])
    with pytest.raises(ConfigError,
                       match='checkpoint: file .*missing.pth does not exist'):
        evaluate_main([config, str(tmp_path / 'missing.pth'), '--eval', 'mIoU'])
    with pytest.raises(ConfigError, match='nothing to do'):
        evaluate_main([config, checkpoint])
    with pytest.raises(ConfigError, match="unknown key 'data.test.eval_subset'"):
        evaluate_main([config, checkpoint, '--eval', 'mIoU', '--cfg-options',
                      'data.test.eval_subset=synthia'])


def test_format_only_writes_cityscapes_label_id_pngs(trained, tmp_path):
    from cityscapesscripts.helpers.labels import trainId2label
    _, config, checkpoint = trained
    prefix = str(tmp_path / 'submit')
    out = evaluate_main([config, checkpoint, '--format-only', '--eval-options',
                         f'imgfile_prefix={prefix}', '--work-dir', str(tmp_path / 'w')])
    assert out['metrics'] is None
    files = sorted(glob.glob(osp.join(prefix, '*.png')))
    assert [osp.basename(f) for f in files] == [
        f'{CITY}_{i:06d}_000019_leftImg8bit.png' for i in range(2)]
    label_ids = {trainId2label[t].id for t in range(19)}
    for path in files:
        # palette PNGs: PIL gives the indices (OpenCV would expand the palette)
        ids = np.asarray(Image.open(path))
        assert ids.shape == (IMG_H, IMG_W) and set(np.unique(ids)) <= label_ids
