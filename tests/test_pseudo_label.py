"""Pseudo-label generation (docs/method.md §6): layout, values, manifest, resume and
input checks."""
import hashlib
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmcv import Config

import mmseg_uvpt  # noqa: F401  (registers the datasets and models)
from mmseg.models import build_segmentor
from mmseg_uvpt.apis.pseudo_label import generate_pseudo_labels
from mmseg_uvpt.datasets.pseudo_label import pseudo_label_path
from mmseg_uvpt.checkpoints import CheckpointError
from mmseg_uvpt.utils.config_checks import ConfigError

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY_CONFIG = osp.join(REPO, 'configs/toy/pseudo_label_mit-tiny.py')
IMAGES = [('aachen', 'aachen_000000_000019'), ('aachen', 'aachen_000001_000019'),
          ('bonn', 'bonn_000000_000019')]
ORIGINAL_HW = (48, 96)
SCALE = (64, 32)  # (w, h) the test pipeline resizes to


@pytest.fixture(scope='module')
def target_root(tmp_path_factory):
    """A Cityscapes-layout train folder with 3 small random images in 2 cities."""
    root = tmp_path_factory.mktemp('target')
    rng = np.random.default_rng(0)
    for city, stem in IMAGES:
        folder = root / 'leftImg8bit' / 'train' / city
        folder.mkdir(parents=True, exist_ok=True)
        img = rng.integers(0, 256, ORIGINAL_HW + (3, ), dtype=np.uint8)
        cv2.imwrite(str(folder / f'{stem}_leftImg8bit.png'), img)
    return str(root)


def tiny_cfg(target_root):
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.data.pseudo_label.data_root = target_root
    cfg.data.pseudo_label.pipeline[1].img_scale = SCALE
    cfg.data.workers_per_gpu = 0
    return cfg


@pytest.fixture(scope='module')
def source(tmp_path_factory, target_root):
    """The toy config (tiny MiT source model) and a random-weight checkpoint of it."""
    cfg = tiny_cfg(target_root)
    torch.manual_seed(0)
    model = build_segmentor(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('model') / 'source.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return cfg, path, model.eval()


def output_files(out_dir):
    return sorted(osp.relpath(osp.join(d, f), out_dir)
                  for d, _, files in os.walk(out_dir) for f in files)


def test_writes_mirrored_layout_values_and_manifest(source, target_root, tmp_path):
    cfg, checkpoint, model = source
    out = str(tmp_path / 'pl')
    manifest = generate_pseudo_labels(cfg, checkpoint, out, progress=False)

    expected = ['manifest.json'] + [
        osp.join(city, stem + suffix) for city, stem in IMAGES
        for suffix in ('_pseudoTrainIds.png', )]
    assert output_files(out) == sorted(expected)

    # values: hard argmax of the source model, computed here
    # the way mmseg tests (resize to SCALE, whole image, back to the original size)
    from mmcv.parallel import collate
    from mmseg.datasets import build_dataset
    dataset = build_dataset(cfg.data.pseudo_label)
    for index, info in enumerate(dataset.img_infos):
        data = collate([dataset[index]], samples_per_gpu=1)
        with torch.no_grad():
            prob = model.inference(data['img'][0], data['img_metas'][0].data[0],
                                   rescale=True)[0]
        label = prob.argmax(dim=0)
        saved_label = cv2.imread(pseudo_label_path(out, info['filename']),
                                 cv2.IMREAD_UNCHANGED)
        assert saved_label.dtype == np.uint8 and saved_label.shape == ORIGINAL_HW
        np.testing.assert_array_equal(saved_label, label.numpy())

    with open(osp.join(out, 'manifest.json')) as f:
        on_disk = json.load(f)
    with open(checkpoint, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    assert on_disk['source_checkpoint_sha256'] == sha
    assert manifest['source_checkpoint_sha256'] == sha
    assert on_disk['count'] == on_disk['expected'] == 3 and on_disk['complete'] is True
    assert on_disk['class_names'][0] == 'road' and len(on_disk['class_names']) == 19
    assert on_disk['config']['data']['pseudo_label']['img_dir'] == 'leftImg8bit/train'


def test_resume_skips_finished_images_and_labels_missing_ones(source, tmp_path):
    cfg, checkpoint, _ = source
    out = str(tmp_path / 'pl')
    generate_pseudo_labels(cfg, checkpoint, out, progress=False)
    label_0 = pseudo_label_path(out, f'aachen/{IMAGES[0][1]}_leftImg8bit.png')
    kept = [pseudo_label_path(out, f'{city}/{stem}_leftImg8bit.png')
            for city, stem in IMAGES[1:]]
    os.remove(label_0)  # as a run killed before this image leaves it
    before = {p: os.stat(p).st_mtime_ns for p in kept}
    # make a rewrite of an untouched file detectable by its modification time
    for path in before:
        os.utime(path, ns=(1, 1))

    manifest = generate_pseudo_labels(cfg, checkpoint, out, progress=False)

    assert manifest['count'] == 3 and manifest['complete']
    assert osp.isfile(label_0)  # redone
    assert all(os.stat(p).st_mtime_ns == 1 for p in kept)  # skipped
    assert not [f for f in output_files(out) if '.tmp' in f]


def test_rejects_checkpoint_that_does_not_fit(source, tmp_path):
    cfg, _, _ = source
    other = Config.fromfile(TOY_CONFIG)
    other.model.decode_head.num_classes = 5
    bad = str(tmp_path / 'five_classes.pth')
    torch.save(dict(state_dict=build_segmentor(other.model).state_dict()), bad)
    out = tmp_path / 'pl'
    with pytest.raises(CheckpointError, match=r'five_classes\.pth.*conv_seg'):
        generate_pseudo_labels(cfg, bad, str(out), progress=False)
    assert not out.exists()


def test_refuses_folder_of_another_checkpoint(source, tmp_path):
    cfg, checkpoint, _ = source
    out = tmp_path / 'pl'
    out.mkdir()
    (out / 'manifest.json').write_text(json.dumps(dict(
        source_checkpoint='model/other.pth', source_checkpoint_sha256='0' * 64)))
    with pytest.raises(ValueError, match='another checkpoint'):
        generate_pseudo_labels(cfg, checkpoint, str(out), progress=False)
    assert output_files(str(out)) == ['manifest.json']


def test_input_checks_name_the_missing_path(source, tmp_path):
    cfg, checkpoint, _ = source
    with pytest.raises(CheckpointError, match='missing.pth'):
        generate_pseudo_labels(cfg, str(tmp_path / 'missing.pth'), str(tmp_path / 'a'))
    empty = Config.fromfile(TOY_CONFIG)
    empty.data.pseudo_label.data_root = str(tmp_path / 'no_target')
    with pytest.raises(FileNotFoundError, match='no_target'):
        generate_pseudo_labels(empty, checkpoint, str(tmp_path / 'b'))
    assert not (tmp_path / 'a').exists() and not (tmp_path / 'b').exists()


def test_script_defaults_to_config_keys(source, target_root, tmp_path):
    """``generate_pseudo_label.py``: checkpoint and folder from the config keys, set
    here with --cfg-options."""
    import generate_pseudo_label
    _, checkpoint, _ = source
    out = str(tmp_path / 'pl')
    manifest = generate_pseudo_label.main([
        '--config', TOY_CONFIG, '--cfg-options', f'source_checkpoint={checkpoint}',
        f'pseudo_label_dir={out}', f'data.pseudo_label.data_root={target_root}',
        'data.pseudo_label.pipeline.1.img_scale=(64,32)', 'data.workers_per_gpu=0'])
    assert manifest['count'] == 3
    assert len([f for f in output_files(out) if f.endswith('_pseudoTrainIds.png')]) == 3
    with pytest.raises(ConfigError, match='none.pth'):
        generate_pseudo_label.main(['--config', TOY_CONFIG, '--checkpoint',
                                    str(tmp_path / 'none.pth')])
