"""Dataset classes on a tiny converted toy set."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmseg.datasets import CityscapesDataset, build_dataset
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg_uvpt.datasets import (SYNTHIA_13_CLASSES, SYNTHIA_16_CLASSES,
                                 check_dataset_files, pseudo_label_path,
                                 resolve_eval_subsets)
from mmseg_uvpt.toy_benchmark import generate_toy_data

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg'], meta_keys=['filename']),
]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('toy'))
    generate_toy_data(out, seed=3, num_source=3, num_target_train=2,
                      num_target_val=2, convert=True)
    return out


def target_cfg(toy, split, **kwargs):
    return dict(data_root=osp.join(toy, 'target'),
                img_dir=f'leftImg8bit/{split}', pipeline=PIPELINE, **kwargs)


def check_sample(sample):
    img, seg = sample['img'].data, sample['gt_semantic_seg'].data
    assert tuple(img.shape) == (3, 256, 512)
    assert tuple(seg.shape) == (1, 256, 512)
    values = set(np.unique(seg.numpy()).tolist())
    assert values <= set(range(19)) | {255}
    assert {0, 2} <= values  # road and building in every toy scene


def test_gta_dataset_loads_the_toy_source(toy):
    dataset = build_dataset(dict(type='GTADataset',
                                 data_root=osp.join(toy, 'source'),
                                 pipeline=PIPELINE))
    assert len(dataset) == 3
    assert dataset.img_infos[0] == dict(
        filename='00001.png', ann=dict(seg_map='00001_labelTrainIds.png'))
    check_sample(dataset[0])
    check_dataset_files(dataset)


def test_cityscapes_dataset_loads_the_toy_target(toy):
    dataset = build_dataset(dict(type='UVPTCityscapesDataset',
                                 ann_dir='gtFine/val', eval_subsets='synthia',
                                 **target_cfg(toy, 'val')))
    assert len(dataset) == 2
    assert dataset.img_infos[1]['filename'] == \
        'toyville/toyville_000000_000001_leftImg8bit.png'
    check_sample(dataset[1])
    check_dataset_files(dataset)


def test_synthia_dataset_finds_its_layout(tmp_path):
    root = tmp_path / 'synthia'
    os.makedirs(root / 'RGB')
    os.makedirs(root / 'GT' / 'LABELS')
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(root / 'RGB' / '0000007.png')
    Image.fromarray(np.full((4, 6), 13, np.uint8)).save(
        root / 'GT' / 'LABELS' / '0000007_labelTrainIds.png')
    dataset = build_dataset(dict(type='SynthiaDataset', data_root=str(root),
                                 pipeline=PIPELINE[:2]))
    assert len(dataset) == 1
    assert (dataset[0]['gt_semantic_seg'] == 13).all()


@pytest.fixture
def pseudo_dir(toy, tmp_path):
    """Pseudo-labels for the toy target train split: the ground truth + 1."""
    folder = str(tmp_path / 'pseudo')
    gt_root = osp.join(toy, 'target', 'gtFine', 'train')
    for city in os.listdir(gt_root):
        for name in os.listdir(osp.join(gt_root, city)):
            if name.endswith('_gtFine_labelTrainIds.png'):
                img_name = name.replace('_gtFine_labelTrainIds.png',
                                        '_leftImg8bit.png')
                label = pseudo_label_path(folder, f'{city}/{img_name}')
                os.makedirs(osp.dirname(label), exist_ok=True)
                gt = np.asarray(Image.open(osp.join(gt_root, city, name)))
                Image.fromarray(np.where(gt < 18, gt + 1, gt).astype(
                    np.uint8)).save(label)
    return folder


def test_pseudo_label_dataset_loads_the_pseudo_labels(toy, pseudo_dir):
    dataset = build_dataset(dict(type='PseudoLabelCityscapesDataset',
                                 pseudo_label_dir=pseudo_dir,
                                 **target_cfg(toy, 'train')))
    assert len(dataset) == 2
    sample = dataset[0]
    gt = np.asarray(Image.open(osp.join(
        toy, 'target', 'gtFine', 'train', 'toytown',
        'toytown_000000_000000_gtFine_labelTrainIds.png')))
    seg = sample['gt_semantic_seg'].data[0].numpy()
    np.testing.assert_array_equal(seg, np.where(gt < 18, gt + 1, gt))


def test_pseudo_label_dataset_names_the_first_missing_file(toy, pseudo_dir):
    missing = pseudo_label_path(
        pseudo_dir, 'toytown/toytown_000000_000001_leftImg8bit.png')
    os.remove(missing)
    with pytest.raises(FileNotFoundError) as exc:
        build_dataset(dict(type='PseudoLabelCityscapesDataset',
                           pseudo_label_dir=pseudo_dir, **target_cfg(toy, 'train')))
    assert '1 of 2 images' in str(exc.value)
    assert missing in str(exc.value)

    shutil.rmtree(pseudo_dir)
    with pytest.raises(FileNotFoundError, match='label folder not found: ' +
                       pseudo_dir):
        build_dataset(dict(type='PseudoLabelCityscapesDataset',
                           pseudo_label_dir=pseudo_dir, **target_cfg(toy, 'train')))


def test_pseudo_label_dataset_refuses_bad_arguments(toy, pseudo_dir):
    with pytest.raises(ValueError, match='ann_dir'):
        build_dataset(dict(type='PseudoLabelCityscapesDataset',
                           pseudo_label_dir=pseudo_dir, ann_dir='gtFine/train',
                           **target_cfg(toy, 'train')))
    with pytest.raises(ValueError, match='pseudo_label_dir is not set'):
        build_dataset(dict(type='PseudoLabelCityscapesDataset',
                           pseudo_label_dir=None, **target_cfg(toy, 'train')))


def test_pseudo_label_path_mirrors_the_image_path():
    label = pseudo_label_path('/p', 'aachen/aachen_000001_000019_leftImg8bit.png')
    assert label == '/p/aachen/aachen_000001_000019_pseudoTrainIds.png'
    with pytest.raises(ValueError, match='does not end with'):
        pseudo_label_path('/p', 'aachen/x.jpg')


def test_eval_subsets_resolve_to_class_indices():
    classes = list(CityscapesDataset.CLASSES)
    subsets = resolve_eval_subsets('synthia', classes)
    assert list(subsets) == ['mIoU16', 'mIoU13']
    assert subsets['mIoU16'].tolist() == [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18]
    assert subsets['mIoU13'].tolist() == [0, 1, 2, 6, 7, 8, 10, 11, 12, 13, 15,
                                          17, 18]
    assert len(SYNTHIA_16_CLASSES) == 16 and len(SYNTHIA_13_CLASSES) == 13
    with pytest.raises(ValueError, match='tree'):
        resolve_eval_subsets(dict(mIoU2=['road', 'tree']), classes)
    with pytest.raises(ValueError, match='preset'):
        resolve_eval_subsets('gta', classes)
