"""The toy benchmark generator: layout, determinism, idempotence, domain gap."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg_uvpt.toy_benchmark import (MARKER_NAME, generate_toy_data,
                                     render_sample, sample_paths)

TOOL = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools',
                'generate_toy_data.py')
COUNTS = dict(num_source=2, num_target_train=2, num_target_val=1)


def all_files(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root)
        for f in files)


def read_bytes(root):
    return {f: open(osp.join(root, f), 'rb').read() for f in all_files(root)}


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('toy'))
    assert generate_toy_data(out, seed=0, **COUNTS)
    return out


def test_layouts_and_raw_ids(toy):
    assert all_files(toy) == [
        'source/images/00001.png', 'source/images/00002.png',
        'source/labels/00001.png', 'source/labels/00002.png',
        'target/gtFine/train/toytown/toytown_000000_000000_gtFine_labelIds.png',
        'target/gtFine/train/toytown/toytown_000000_000001_gtFine_labelIds.png',
        'target/gtFine/val/toyville/toyville_000000_000000_gtFine_labelIds.png',
        'target/leftImg8bit/train/toytown/toytown_000000_000000_leftImg8bit.png',
        'target/leftImg8bit/train/toytown/toytown_000000_000001_leftImg8bit.png',
        'target/leftImg8bit/val/toyville/toyville_000000_000000_leftImg8bit.png',
        MARKER_NAME]
    img = Image.open(osp.join(toy, 'source/images/00001.png'))
    assert (img.mode, img.size) == ('RGB', (512, 256))
    label = np.asarray(Image.open(osp.join(toy, 'source/labels/00001.png')))
    assert label.shape == (256, 512) and label.dtype == np.uint8
    # raw Cityscapes ids: road 7, building 11, sky 23 (not train ids 0, 2, 10)
    assert {7, 11, 23} <= set(np.unique(label).tolist())
    assert label.max() <= 33


def test_same_seed_same_bytes_other_seed_differs(toy, tmp_path):
    again, other = str(tmp_path / 'again'), str(tmp_path / 'other')
    generate_toy_data(again, seed=0, nproc=2, **COUNTS)
    generate_toy_data(other, seed=1, **COUNTS)
    assert read_bytes(again) == read_bytes(toy)
    first, second = read_bytes(toy), read_bytes(other)
    assert first.keys() == second.keys()
    assert all(first[f] != second[f] for f in first if f != MARKER_NAME)


def test_complete_set_is_not_regenerated_but_changed_params_are(tmp_path):
    out = str(tmp_path / 'toy')
    assert generate_toy_data(out, seed=0, **COUNTS)
    image = osp.join(out, 'source/images/00001.png')
    os.utime(image, (1, 1))
    assert not generate_toy_data(out, seed=0, **COUNTS)
    assert os.stat(image).st_mtime == 1
    # other counts: the old set is replaced, no stale files stay behind
    assert generate_toy_data(out, seed=0, num_source=1, num_target_train=1,
                             num_target_val=1)
    assert os.listdir(osp.join(out, 'source/images')) == ['00001.png']
    assert os.stat(image).st_mtime != 1


def test_cli_writes_and_converts(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('generate_toy_data', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'toy')
    assert tool.main(['--out', out, '--num-source', '1', '--num-target-train',
                      '1', '--num-target-val', '1', '--convert']) == 0
    assert f'toy data written to {out}' in capsys.readouterr().out
    train_ids = np.asarray(Image.open(
        osp.join(out, 'source/labels/00001_labelTrainIds.png')))
    raw = np.asarray(Image.open(osp.join(out, 'source/labels/00001.png')))
    np.testing.assert_array_equal(train_ids == 0, raw == 7)  # road
    assert osp.isfile(osp.join(out, 'target/sample_class_stats.json'))
    with pytest.raises(SystemExit):
        tool.main(['--out', out, '--num-source', '0'])


def saturation(img):
    return cv2.cvtColor(img, cv2.COLOR_RGB2HSV)[..., 1].mean()


def test_domains_differ_like_gta_and_cityscapes():
    source = [render_sample(0, 'source', i) for i in range(4)]
    target = [render_sample(0, 'train', i) for i in range(4)]
    # palette: saturated vs greyish
    assert np.mean([saturation(s[0]) for s in source]) > \
        1.6 * np.mean([saturation(t[0]) for t in target])
    # photometry: sensor noise in the target (residual of a median filter)
    def noise(img):
        grey = img.mean(-1).astype(np.float32)
        return np.abs(grey - cv2.medianBlur(grey, 3)).mean()
    assert np.mean([noise(t[0]) for t in target]) > \
        np.mean([noise(s[0]) for s in source])
    # camera: the target sees its own hood (ego vehicle, id 1) at the bottom,
    # and its horizon (where the road vanishes) is lower in the image
    assert all((t[1][-1] == 1).all() for t in target)
    assert not any((s[1] == 1).any() for s in source)
    horizon = lambda samples: np.mean(  # noqa
        [np.flatnonzero((lab == 7).any(1))[0] for _, lab in samples])
    assert horizon(source) + 15 < horizon(target)
    # class frequencies: wide roads in the source, pedestrians in the target
    road = lambda samples: np.mean([(lab == 7).mean() for _, lab in samples])  # noqa
    assert road(source) > 1.3 * road(target)


def test_render_sample_is_deterministic():
    img_a, lab_a = render_sample(5, 'val', 3)
    img_b, lab_b = render_sample(5, 'val', 3)
    np.testing.assert_array_equal(img_a, img_b)
    np.testing.assert_array_equal(lab_a, lab_b)
    assert not np.array_equal(render_sample(6, 'val', 3)[1], lab_a)
    assert sample_paths('/o', 'val', 3)[0] == \
        '/o/target/leftImg8bit/val/toyville/toyville_000000_000003_leftImg8bit.png'
