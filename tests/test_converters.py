"""tools/convert_datasets/{gta,cityscapes,synthia}.py on hand-made folders."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg_uvpt.datasets import GTADataset
from mmseg_uvpt.utils.atomic_write import write_png_atomic

TOOLS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools',
                 'convert_datasets')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'convert_{name}',
                                                  osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_rgb(path, height, width):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((height, width, 3), 90, np.uint8)).save(path)


def write_palette_label(path, ids):
    """A GTA-style palette PNG: pixel values are the palette indices."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(ids.astype(np.uint8))
    img.putpalette(list(range(256)) * 3)
    assert img.mode == 'P'
    img.save(path)


def read(path):
    return np.asarray(Image.open(path))


# raw Cityscapes ids and their train ids: road, car, unlabeled, (no id 34),
# sidewalk, person, ego vehicle, sky
CS_IDS = np.array([[7, 26, 0, 34], [8, 24, 1, 23]])
CS_TRAIN = np.array([[0, 13, 255, 255], [1, 11, 255, 10]])


@pytest.fixture
def gta_root(tmp_path):
    root = tmp_path / 'gta'
    for name in ('00001', '00002', '00003'):
        write_rgb(str(root / 'images' / f'{name}.png'), 2, 4)
    write_palette_label(str(root / 'labels' / '00001.png'), CS_IDS)
    # label one row shorter than its image, as a few GTA5 labels are
    write_palette_label(str(root / 'labels' / '00002.png'), CS_IDS[:1])
    (root / 'labels' / '00003.png').write_bytes(b'not a png at all')
    # a good label whose image is broken, and one without an image
    write_palette_label(str(root / 'labels' / '00004.png'), CS_IDS)
    (root / 'images' / '00004.png').write_bytes(b'\x89PNG\r\n truncated')
    write_palette_label(str(root / 'labels' / '00005.png'), CS_IDS)
    return str(root)


def test_gta_converts_reports_and_skips(gta_root, capsys):
    gta = load_tool('gta')
    assert gta.main([gta_root]) == 1  # one unreadable label
    labels = osp.join(gta_root, 'labels')
    np.testing.assert_array_equal(
        read(osp.join(labels, '00001_labelTrainIds.png')), CS_TRAIN)
    np.testing.assert_array_equal(
        read(osp.join(labels, '00002_labelTrainIds.png')), CS_TRAIN[:1])
    assert not osp.exists(osp.join(labels, '00003_labelTrainIds.png'))

    report = json.load(open(osp.join(gta_root, 'sample_class_stats.json')))
    assert report['summary'] == dict(labels=5, converted=4, skipped=0, failed=1)
    assert report['stats'][0] == {
        'file': 'labels/00001_labelTrainIds.png', '0': 1, '1': 1, '10': 1,
        '11': 1, '13': 1}
    problems = {p['label']: p for p in report['problems']}
    assert problems['labels/00002.png']['problem'] == 'size_mismatch'
    assert problems['labels/00002.png']['image'] == 'images/00002.png'
    assert problems['labels/00003.png']['problem'] == 'unreadable_label'
    assert problems['labels/00004.png']['problem'] == 'unreadable_image'
    assert problems['labels/00005.png']['problem'] == 'missing_image'
    assert len(problems) == 4
    out = capsys.readouterr().out
    assert 'size_mismatch: labels/00002.png' in out
    assert 'unreadable_label: labels/00003.png' in out

    # re-run: outputs kept, never re-converted, and outputs are not inputs
    out_file = osp.join(labels, '00001_labelTrainIds.png')
    os.utime(out_file, (1, 1))
    gta.main([gta_root])
    report = json.load(open(osp.join(gta_root, 'sample_class_stats.json')))
    assert report['summary'] == dict(labels=5, converted=0, skipped=4, failed=1)
    assert os.stat(out_file).st_mtime == 1
    assert len(report['stats']) == 4
    assert not any(n.endswith('_labelTrainIds_labelTrainIds.png')
                   for n in os.listdir(labels))

    # the dataset class leaves out the reported images
    dataset = GTADataset(data_root=gta_root, pipeline=[])
    assert [info['filename'] for info in dataset.img_infos] == ['00001.png']


def test_cityscapes_converts_beside_the_labels(tmp_path):
    root = tmp_path / 'cityscapes'
    for split, city in (('train', 'aachen'), ('val', 'lindau')):
        stem = f'{city}_000000_000019'
        write_rgb(str(root / 'leftImg8bit' / split / city /
                      f'{stem}_leftImg8bit.png'), 2, 4)
        label = root / 'gtFine' / split / city / f'{stem}_gtFine_labelIds.png'
        os.makedirs(label.parent, exist_ok=True)
        Image.fromarray(CS_IDS.astype(np.uint8)).save(str(label))
    assert load_tool('cityscapes').main([str(root), '--nproc', '2']) == 0
    out = root / 'gtFine' / 'val' / 'lindau' / \
        'lindau_000000_000019_gtFine_labelTrainIds.png'
    np.testing.assert_array_equal(read(str(out)), CS_TRAIN)
    report = json.load(open(root / 'sample_class_stats.json'))
    assert [s['file'] for s in report['stats']] == [
        'gtFine/train/aachen/aachen_000000_000019_gtFine_labelTrainIds.png',
        'gtFine/val/lindau/lindau_000000_000019_gtFine_labelTrainIds.png']
    assert report['problems'] == []


def test_synthia_reads_the_first_channel_of_16_bit_labels(tmp_path):
    root = tmp_path / 'synthia'
    # SYNTHIA ids: road, wall, sky, car / bicycle, terrain (unused), void, bus
    ids = np.array([[3, 21, 1, 8], [11, 16, 0, 19]], np.uint16)
    expected = np.array([[0, 3, 10, 13], [18, 255, 255, 15]])
    rng = np.random.default_rng(0)
    for name in ('0000000', '0000001'):
        write_rgb(str(root / 'RGB' / f'{name}.png'), 2, 4)
        instance = rng.integers(0, 3000, ids.shape).astype(np.uint16)
        other = rng.integers(0, 60000, ids.shape).astype(np.uint16)
        os.makedirs(root / 'GT' / 'LABELS', exist_ok=True)
        # cv2 writes BGR: channel 2 is the file's first (R) channel
        cv2.imwrite(str(root / 'GT' / 'LABELS' / f'{name}.png'),
                    np.stack([other, instance, ids], axis=-1))
    assert load_tool('synthia').main([str(root), '--nproc', '2']) == 0
    for name in ('0000000', '0000001'):
        out = root / 'GT' / 'LABELS' / f'{name}_labelTrainIds.png'
        np.testing.assert_array_equal(read(str(out)), expected)
    report = json.load(open(root / 'sample_class_stats.json'))
    assert report['stats'][1] == {
        'file': 'GT/LABELS/0000001_labelTrainIds.png', '0': 1, '3': 1, '10': 1,
        '13': 1, '15': 1, '18': 1}


def test_missing_folder_exits_with_its_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        load_tool('gta').main([str(tmp_path / 'nowhere')])
    assert exc.value.code == 2
    assert str(tmp_path / 'nowhere' / 'labels') in capsys.readouterr().err


def test_empty_label_folder_exits(tmp_path, capsys):
    os.makedirs(tmp_path / 'GT' / 'LABELS')
    with pytest.raises(SystemExit):
        load_tool('synthia').main([str(tmp_path)])
    assert 'no raw label files match' in capsys.readouterr().err


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / 'x_labelTrainIds.png'

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_png_atomic(str(target), np.zeros((2, 2), np.uint8))
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    write_png_atomic(str(target), np.full((2, 2), 7, np.uint8))
    assert os.listdir(tmp_path) == [target.name]
    assert (read(str(target)) == 7).all()
