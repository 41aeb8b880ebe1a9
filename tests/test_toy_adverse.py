"""The toy ACDC and Dark Zurich sets: the target's scenes and labels in another
rendering, the real datasets' layouts, determinism, and the existing toy benchmark
left as it was."""
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmseg_uvpt.datasets.label_ids import cityscapes_id_to_train_id
from mmseg_uvpt.toy_benchmark import (ADVERSE_MARKER_NAME, CONDITIONS, MARKER_NAME,
                                      adverse_paths, generate_toy_adverse_data,
                                      generate_toy_data, render_adverse, render_sample)
from mmseg_uvpt.toy_benchmark.adverse import draw_scene

TOOL = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools',
                'generate_toy_data.py')
COUNTS = dict(num_train=2, num_val=1, num_test=1)


def all_files(root):
    return sorted(osp.relpath(osp.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def read_bytes(root, files):
    return {f: open(osp.join(root, f), 'rb').read() for f in files}


def train_ids(raw):
    lut = np.full(256, 255, np.uint8)
    for label_id, train_id in cityscapes_id_to_train_id().items():
        lut[label_id] = train_id
    return lut[raw]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('toy'))
    generate_toy_data(out, seed=0, num_source=1, num_target_train=2, num_target_val=1)
    before = read_bytes(out, all_files(out))
    assert generate_toy_adverse_data(out, seed=0, **COUNTS)
    return out, before


def test_the_existing_toy_benchmark_is_left_as_it_was(toy):
    out, before = toy
    assert read_bytes(out, list(before)) == before
    assert set(all_files(out)) - set(before) == {ADVERSE_MARKER_NAME} | {
        f for f in all_files(out) if f.startswith(('acdc/', 'dark_zurich/'))}
    # and the default generator, asked again, finds its set complete
    assert not generate_toy_data(out, seed=0, num_source=1, num_target_train=2,
                                 num_target_val=1)
    assert MARKER_NAME in before


@pytest.mark.parametrize('subset', ['train', 'val'])
def test_adverse_samples_are_the_target_scenes_and_labels(toy, subset):
    out, _ = toy
    image, raw = render_sample(0, subset, 1 if subset == 'train' else 0)
    scene, labels, depth = draw_scene(0, subset, 1 if subset == 'train' else 0)
    np.testing.assert_array_equal(scene, image)
    np.testing.assert_array_equal(labels, raw)
    assert depth.shape == raw.shape and depth.min() > 0
    index = 1 if subset == 'train' else 0
    looks = []
    for condition in CONDITIONS:
        img_path, label_path, mask_path = adverse_paths(out, 'acdc', condition,
                                                        subset, index)
        adverse = np.asarray(Image.open(img_path))
        label = np.asarray(Image.open(label_path))
        mask = np.asarray(Image.open(mask_path))
        np.testing.assert_array_equal(label, train_ids(raw))  # same labels
        assert adverse.shape == image.shape and not np.array_equal(adverse, image)
        assert set(np.unique(mask).tolist()) <= {0, 1}
        assert not mask[raw == 23].any()  # the sky is never invalid
        img, tid, inv = render_adverse(0, subset, index, condition)
        np.testing.assert_array_equal(img, adverse)
        np.testing.assert_array_equal(inv, mask)
        looks.append(adverse.mean())
    # night is the darkest, snow the brightest
    assert looks[CONDITIONS.index('night')] == min(looks)
    assert looks[CONDITIONS.index('snow')] == max(looks)


def test_layouts_of_acdc_and_dark_zurich(toy):
    out, _ = toy
    acdc = [f for f in all_files(out) if f.startswith('acdc/')]
    expected = []
    for condition in CONDITIONS:
        for subset, count in (('train', 2), ('val', 1), ('test', 1)):
            for i in range(count):
                img, label, mask = adverse_paths(out, 'acdc', condition, subset, i)
                expected.append(img)
                if subset != 'test':  # test labels are not public
                    expected += [label, mask]
    assert acdc == sorted(osp.relpath(p, out) for p in expected)
    assert acdc[0] == ('acdc/gt/fog/train/toyfog_train0/'
                       'toyfog_train0_frame_000000_gt_invIds.png')
    zurich = [f for f in all_files(out) if f.startswith('dark_zurich/')]
    assert zurich == sorted([
        'dark_zurich/gt/val/night/toynight_val0/toynight_val0_frame_000000_'
        'gt_invIds.png',
        'dark_zurich/gt/val/night/toynight_val0/toynight_val0_frame_000000_'
        'gt_labelTrainIds.png',
        'dark_zurich/rgb_anon/test/night/toynight_test0/toynight_test0_frame_000000_'
        'rgb_anon.png',
        'dark_zurich/rgb_anon/train/night/toynight_train0/toynight_train0_frame_'
        '000000_rgb_anon.png',
        'dark_zurich/rgb_anon/train/night/toynight_train1/toynight_train1_frame_'
        '000001_rgb_anon.png',
        'dark_zurich/rgb_anon/val/night/toynight_val0/toynight_val0_frame_000000_'
        'rgb_anon.png'])
    # Dark Zurich's night is its own rendering of the scene, not ACDC's file
    acdc_night = adverse_paths(out, 'acdc', 'night', 'train', 0)[0]
    zurich_night = adverse_paths(out, 'dark_zurich', 'night', 'train', 0)[0]
    assert open(acdc_night, 'rb').read() != open(zurich_night, 'rb').read()


def test_same_seed_same_bytes_whatever_nproc_and_no_rewrite(toy, tmp_path):
    out, _ = toy
    again = str(tmp_path / 'again')
    assert generate_toy_adverse_data(again, seed=0, nproc=2, **COUNTS)
    files = [f for f in all_files(out) if f.startswith(('acdc/', 'dark_zurich/'))]
    assert read_bytes(again, files) == read_bytes(out, files)
    assert not generate_toy_adverse_data(again, seed=0, **COUNTS)  # complete
    assert generate_toy_adverse_data(again, seed=0, num_train=1, num_val=1,
                                     num_test=1, conditions=('fog', ))
    assert not osp.exists(osp.join(again, 'acdc', 'rgb_anon', 'night'))
    assert len([f for f in all_files(again) if f.startswith('acdc/rgb_anon')]) == 3


def test_cli_adverse_option(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('generate_toy_data', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'toy')
    assert tool.main(['--out', out, '--num-source', '1', '--num-target-train', '1',
                      '--num-target-val', '1', '--adverse', '--num-adverse-train', '1',
                      '--num-adverse-val', '1', '--num-adverse-test', '1']) == 0
    assert 'toy ACDC and Dark Zurich written to' in capsys.readouterr().out
    assert osp.isfile(adverse_paths(out, 'acdc', 'snow', 'test', 0)[0])
    without = str(tmp_path / 'plain')
    tool.main(['--out', without, '--num-source', '1', '--num-target-train', '1',
               '--num-target-val', '1'])
    assert not osp.exists(osp.join(without, 'acdc'))
