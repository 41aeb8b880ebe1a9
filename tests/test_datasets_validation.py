"""Input validation: one clear error naming the path for each kind of bad input."""
import os

import numpy as np
import pytest
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg_uvpt.datasets import GTADataset, check_dataset_files


def make_gta(root, labels, image_sizes=None):
    """A GTA-layout folder with trainId labels given as arrays."""
    os.makedirs(root / 'images', exist_ok=True)
    os.makedirs(root / 'labels', exist_ok=True)
    for i, label in enumerate(labels):
        h, w = (image_sizes or {}).get(i, label.shape)
        Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(
            root / 'images' / f'{i:05d}.png')
        Image.fromarray(label.astype(np.uint8)).save(
            root / 'labels' / f'{i:05d}_labelTrainIds.png')
    return str(root)


GOOD = np.array([[0, 13], [255, 18]])


def test_missing_image_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=f'image folder not found: {tmp_path}/images'):
        GTADataset(data_root=str(tmp_path), pipeline=[])


def test_empty_image_folder_is_named(tmp_path):
    os.makedirs(tmp_path / 'images')
    os.makedirs(tmp_path / 'labels')
    with pytest.raises(FileNotFoundError,
                       match=rf'no images matching \*.png under {tmp_path}/images'):
        GTADataset(data_root=str(tmp_path), pipeline=[])


def test_unconverted_labels_point_to_the_converter(tmp_path):
    root = make_gta(tmp_path, [GOOD, GOOD])
    os.remove(tmp_path / 'labels' / '00001_labelTrainIds.png')
    with pytest.raises(FileNotFoundError) as exc:
        GTADataset(data_root=root, pipeline=[])
    msg = str(exc.value)
    assert '1 of 2 images have no label' in msg
    assert f'{tmp_path}/labels/00001_labelTrainIds.png' in msg
    assert 'tools/convert_datasets/gta.py' in msg


def test_good_files_pass(tmp_path):
    dataset = GTADataset(data_root=make_gta(tmp_path, [GOOD, GOOD]), pipeline=[])
    check_dataset_files(dataset)


def test_unreadable_image_is_named(tmp_path):
    dataset = GTADataset(data_root=make_gta(tmp_path, [GOOD, GOOD]), pipeline=[])
    (tmp_path / 'images' / '00001.png').write_bytes(b'\x89PNG broken')
    check_dataset_files(dataset, max_files=1)  # only the first file is opened
    with pytest.raises(ValueError,
                       match=f'cannot read image {tmp_path}/images/00001.png'):
        check_dataset_files(dataset)


def test_unreadable_label_is_named(tmp_path):
    dataset = GTADataset(data_root=make_gta(tmp_path, [GOOD]), pipeline=[])
    (tmp_path / 'labels' / '00000_labelTrainIds.png').write_bytes(b'junk')
    with pytest.raises(ValueError, match='cannot read label file ' +
                       f'{tmp_path}/labels/00000_labelTrainIds.png'):
        check_dataset_files(dataset)


def test_size_mismatch_names_both_files(tmp_path):
    root = make_gta(tmp_path, [GOOD], image_sizes={0: (3, 2)})
    with pytest.raises(ValueError) as exc:
        check_dataset_files(GTADataset(data_root=root, pipeline=[]))
    msg = str(exc.value)
    assert f'{tmp_path}/labels/00000_labelTrainIds.png is 2x2' in msg
    assert f'image {tmp_path}/images/00000.png is 2x3' in msg


def test_label_values_outside_the_class_set_are_named(tmp_path):
    raw_ids = np.array([[7, 26], [255, 19]])  # Cityscapes ids, not train ids
    root = make_gta(tmp_path, [raw_ids])
    with pytest.raises(ValueError) as exc:
        check_dataset_files(GTADataset(data_root=root, pipeline=[]))
    msg = str(exc.value)
    assert f'{tmp_path}/labels/00000_labelTrainIds.png' in msg
    assert '[19, 26]' in msg


def test_colour_label_is_refused(tmp_path):
    root = make_gta(tmp_path, [GOOD])
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(
        tmp_path / 'labels' / '00000_labelTrainIds.png')
    with pytest.raises(ValueError, match='single-channel'):
        check_dataset_files(GTADataset(data_root=root, pipeline=[]))
