"""Input validation: one clear error naming the path for each kind of bad input."""
import os

import numpy as np
import pytest
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg_uvpt.datasets import GTADataset, check_dataset_files
from mmseg_uvpt.datasets.validation import check_dataset_inputs
from mmseg_uvpt.utils.data_errors import DataFileError, MissingDataFileError


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


def _truncate(path, keep=200):
    """Keep the first ``keep`` bytes of a file (a copy cut short)."""
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    return data


def _big_gta(tmp_path, count=2, size=(64, 48)):
    """A GTA folder whose images are big enough that a cut leaves the header."""
    rng = np.random.default_rng(0)
    labels = [rng.integers(0, 19, size[::-1]) for _ in range(count)]
    root = make_gta(tmp_path, labels)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, size[::-1] + (3, ), dtype=np.uint8)).save(
            tmp_path / 'images' / f'{i:05d}.png')
    return root


def test_cheap_check_finds_a_truncated_png_and_names_it(tmp_path):
    dataset = GTADataset(data_root=_big_gta(tmp_path), pipeline=[])
    assert check_dataset_inputs(dataset, full_checks=0) == 2
    _truncate(tmp_path / 'images' / '00001.png')
    with pytest.raises(DataFileError,
                       match=f'cannot read image {tmp_path}/images/00001.png'):
        check_dataset_inputs(dataset, full_checks=0)
    # the samples a run will not read are not checked
    assert check_dataset_inputs(dataset, full_checks=0, indices=[0]) == 1


def test_cheap_check_names_labels_and_size_mismatches(tmp_path):
    dataset = GTADataset(data_root=_big_gta(tmp_path), pipeline=[])
    label = tmp_path / 'labels' / '00000_labelTrainIds.png'
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(label)
    with pytest.raises(DataFileError, match=f'label {label} is 5x5 but image'):
        check_dataset_inputs(dataset, full_checks=0)
    _truncate(label, keep=40)
    with pytest.raises(DataFileError, match=f'cannot read label file {label}'):
        check_dataset_inputs(dataset, full_checks=0)
    os.remove(label)
    with pytest.raises(MissingDataFileError, match=f'label file not found: {label}'):
        check_dataset_inputs(dataset, full_checks=0)


def test_png_with_data_after_its_end_passes(tmp_path):
    # legal if rare: decoders stop at IEND, so the check decodes such a file
    dataset = GTADataset(data_root=_big_gta(tmp_path), pipeline=[])
    with open(tmp_path / 'images' / '00000.png', 'ab') as f:
        f.write(b'trailing bytes')
    assert check_dataset_inputs(dataset, full_checks=0) == 2


LOADING = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def test_a_file_broken_after_the_check_names_itself_when_loaded(tmp_path):
    dataset = GTADataset(data_root=_big_gta(tmp_path), pipeline=LOADING)
    assert dataset[1]['img'].shape == (48, 64, 3)
    image = tmp_path / 'images' / '00001.png'
    data = _truncate(image)
    # mmseg alone: AttributeError: 'NoneType' object has no attribute 'shape'
    with pytest.raises(DataFileError, match=f'cannot read image {image}'):
        dataset[1]
    image.write_bytes(data)
    label = tmp_path / 'labels' / '00001_labelTrainIds.png'
    _truncate(label, keep=60)
    with pytest.raises(DataFileError, match=f'cannot read label file {label}'):
        dataset[1]
    with pytest.raises(DataFileError, match=f'cannot read label file {label}'):
        dataset.get_gt_seg_map_by_idx(1)  # the ground truth evaluation reads
    os.remove(image)
    with pytest.raises(MissingDataFileError, match=f'image not found: {image}'):
        dataset[1]


def test_a_failure_that_is_not_the_files_passes_unchanged(tmp_path):
    collect = dict(type='Collect', keys=['nothing'], meta_keys=[])
    dataset = GTADataset(data_root=_big_gta(tmp_path), pipeline=LOADING + [collect])
    with pytest.raises(KeyError, match='nothing'):
        dataset[0]
