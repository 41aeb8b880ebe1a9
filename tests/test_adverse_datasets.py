"""ACDC and Dark Zurich on their toy layouts: every subset lists the right images and
file pairs, conditions filter, invalid masks leave evaluation (hand-computed IoU),
input checks name the file, pseudo-labels pair with the images as for Cityscapes, and
the test-server submissions have the servers' names and layout."""
import os
import os.path as osp
import re
import shutil
import zipfile

import cv2
import numpy as np
import pytest
import torch
from mmcv import Config
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg.datasets import DarkZurichDataset, build_dataset
from mmseg.models import build_segmentor
from mmseg_uvpt.apis import evaluate_main
from mmseg_uvpt.apis.pseudo_label import generate_pseudo_labels
from mmseg_uvpt.datasets import (ACDC_CONDITIONS, SERVER_FOLDERS, check_dataset_inputs,
                                 pseudo_label_path)
from mmseg_uvpt.datasets.metric_checks import supported_metrics
from mmseg_uvpt.toy_benchmark import adverse_paths, generate_toy_adverse_data
from mmseg_uvpt.utils.data_errors import DataFileError, MissingDataFileError

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY_PSEUDO_LABEL = osp.join(REPO, 'configs/toy/pseudo_label_mit-tiny.py')
COUNTS = dict(train=3, val=2, test=2)
LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('toy_adverse'))
    generate_toy_adverse_data(out, seed=0, num_train=COUNTS['train'],
                              num_val=COUNTS['val'], num_test=COUNTS['test'])
    return out


def acdc(toy, **kwargs):
    return build_dataset(dict(type='ACDCDataset', data_root=osp.join(toy, 'acdc'),
                              pipeline=LOAD, **kwargs))


def dark_zurich(toy, **kwargs):
    return build_dataset(dict(type='UVPTDarkZurichDataset',
                              data_root=osp.join(toy, 'dark_zurich'), pipeline=LOAD,
                              **kwargs))


def expected_files(toy, dataset, conditions, subset):
    """(image, label, mask) paths the toy generator wrote, relative to the image and
    label roots, sorted as the dataset lists them."""
    root = osp.join(toy, dataset)
    rows = []
    for condition in conditions:
        for i in range(COUNTS[subset]):
            paths = adverse_paths(toy, dataset, condition, subset, i)
            rows.append((osp.relpath(paths[0], osp.join(root, 'rgb_anon')),
                         osp.relpath(paths[1], osp.join(root, 'gt')),
                         osp.relpath(paths[2], osp.join(root, 'gt'))))
    return sorted(rows)


@pytest.mark.parametrize('subset', ['train', 'val', 'test'])
@pytest.mark.parametrize('conditions', ['all', 'night', ('snow', 'fog')])
def test_acdc_lists_each_subset_and_condition_with_its_file_pairs(toy, subset,
                                                                  conditions):
    dataset = acdc(toy, subset=subset, conditions=conditions)
    wanted = ACDC_CONDITIONS if conditions == 'all' else \
        [c for c in ACDC_CONDITIONS if c in conditions]
    rows = expected_files(toy, 'acdc', wanted, subset)
    assert [info['filename'] for info in dataset.img_infos] == [r[0] for r in rows]
    assert {info['filename'].split('/')[0] for info in dataset.img_infos} == set(wanted)
    if subset == 'test':  # no public labels
        assert dataset.ann_dir is None
        assert all('ann' not in info for info in dataset.img_infos)
        return
    assert dataset.ann_dir == osp.join(toy, 'acdc', 'gt')
    assert [(info['ann']['seg_map'], info['ann']['invalid_mask'])
            for info in dataset.img_infos] == [r[1:] for r in rows]
    # the label read for a sample is the generator's label of that image
    sample = dataset[len(dataset) - 1]
    np.testing.assert_array_equal(
        sample['gt_semantic_seg'],
        np.asarray(Image.open(osp.join(dataset.ann_dir, rows[-1][1]))))
    assert sample['img'].shape == (256, 512, 3)


def test_acdc_images_only_and_bad_arguments(toy):
    unlabelled = acdc(toy, subset='train', conditions='rain', ann_dir=None)
    assert len(unlabelled) == COUNTS['train']
    assert all('ann' not in info for info in unlabelled.img_infos)
    with pytest.raises(ValueError, match='not public'):
        acdc(toy, subset='test', ann_dir='gt')
    with pytest.raises(ValueError, match="unknown or no conditions.*'haze'"):
        acdc(toy, conditions=['fog', 'haze'])
    with pytest.raises(ValueError, match="subset='testing'"):
        acdc(toy, subset='testing')
    with pytest.raises(ValueError, match='split'):
        acdc(toy, split='val.txt')
    assert 'cityscapes' not in supported_metrics('ACDCDataset')
    assert 'cityscapes' not in supported_metrics('UVPTDarkZurichDataset')


def test_acdc_missing_folder_and_files_are_named(toy, tmp_path):
    (tmp_path / 'empty' / 'rgb_anon' / 'fog' / 'val').mkdir(parents=True)
    for condition, message in (('night', 'image folder not found: '),
                               ('fog', 'no images matching \\*_rgb_anon.png under ')):
        folder = osp.join(str(tmp_path), 'empty', 'rgb_anon', condition, 'val')
        with pytest.raises(MissingDataFileError, match=message + folder):
            build_dataset(dict(type='ACDCDataset', data_root=str(tmp_path / 'empty'),
                               ann_dir=None, conditions=condition, pipeline=LOAD))
    shutil.copytree(osp.join(toy, 'acdc'), tmp_path / 'acdc')
    dataset = acdc(str(tmp_path), subset='val', conditions='night')
    mask = osp.join(dataset.ann_dir, dataset.img_infos[1]['ann']['invalid_mask'])
    label = osp.join(dataset.ann_dir, dataset.img_infos[0]['ann']['seg_map'])
    # a mis-sized invalid mask or label is named by the input checks
    cv2.imwrite(mask, np.zeros((10, 20), np.uint8))
    with pytest.raises(DataFileError, match=f'invalid mask {mask} is 20x10'):
        check_dataset_inputs(dataset)
    with pytest.raises(DataFileError, match=f'invalid mask {mask} is 20x10'):
        check_dataset_inputs(dataset, full_checks=0)  # header-only checks too
    # and by evaluation, which reads the masks again (even a 1-pixel-high one)
    cv2.imwrite(mask, np.zeros((1, 20), np.uint8))
    height, width = cv2.imread(label, cv2.IMREAD_UNCHANGED).shape
    with pytest.raises(DataFileError, match=re.escape(
            f'invalid mask {mask} has shape (1, 20) but its label ({height}, {width})')):
        dataset.get_gt_seg_map_by_idx(1)
    cv2.imwrite(label, np.zeros((10, 20), np.uint8))
    with pytest.raises(DataFileError, match=f'label {label} is 20x10'):
        check_dataset_inputs(dataset)
    # a missing invalid mask is named when the dataset is built
    os.remove(mask)
    with pytest.raises(MissingDataFileError, match=f'first missing: {mask}'):
        acdc(str(tmp_path), subset='val', conditions='night')
    # ... unless the masks are not wanted
    assert len(acdc(str(tmp_path), subset='val', conditions='night',
                    invalid_mask_suffix=None)) == COUNTS['val']


def write_png(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, array)


def test_invalid_pixels_leave_the_evaluation_hand_computed(tmp_path):
    """One 4x2 ACDC val image. Pixels, row by row:

        label    0 0 1 1 | 0 1 1 255
        invalid  0 1 0 0 | 0 0 1 0
        pred     0 1 1 1 | 1 1 0 0

    Without the mask (only 255 ignored): road (0) has 3 label pixels, 2 predicted, 1
    both -> IoU 1/4; sidewalk (1): 4 label, 5 predicted, 3 both -> 3/6. mIoU 0.375.
    With the mask, pixels 2 and 7 leave too: road 2 label, 1 predicted, 1 both ->
    1/2; sidewalk 3 label, 4 predicted, 3 both -> 3/4. mIoU 0.625.
    """
    stem = 'GOPR0001_frame_000001'
    seq = osp.join(str(tmp_path), '{}', 'fog', 'val', 'GOPR0001')
    write_png(osp.join(seq.format('rgb_anon'), stem + '_rgb_anon.png'),
              np.zeros((2, 4, 3), np.uint8))
    write_png(osp.join(seq.format('gt'), stem + '_gt_labelTrainIds.png'),
              np.array([[0, 0, 1, 1], [0, 1, 1, 255]], np.uint8))
    write_png(osp.join(seq.format('gt'), stem + '_gt_invIds.png'),
              np.array([[0, 1, 0, 0], [0, 0, 1, 0]], np.uint8))
    pred = np.array([[0, 1, 1, 1], [1, 1, 0, 0]])

    def evaluate(**kwargs):
        dataset = build_dataset(dict(type='ACDCDataset', data_root=str(tmp_path),
                                     conditions='fog', pipeline=LOAD, **kwargs))
        return dataset, dataset.evaluate([pred], metric='mIoU')

    dataset, metrics = evaluate()
    assert metrics['mIoU'] == pytest.approx(0.625)
    assert metrics['IoU.road'] == pytest.approx(0.5)
    assert metrics['IoU.sidewalk'] == pytest.approx(0.75)
    np.testing.assert_array_equal(next(dataset.get_gt_seg_maps()),
                                  [[0, 255, 1, 1], [0, 1, 255, 255]])
    _, metrics = evaluate(invalid_mask_suffix=None)
    assert metrics['mIoU'] == pytest.approx(0.375)
    assert metrics['IoU.road'] == pytest.approx(0.25)
    assert metrics['IoU.sidewalk'] == pytest.approx(0.5)


def test_each_condition_gets_its_own_miou_hand_computed(tmp_path):
    """Two ACDC val images of two equal 4-pixel rows, one fog, one night (no invalid
    pixels; the second row doubles every count, which leaves each IoU as it is):

        fog    label 0 0 1 1   pred 0 0 1 1  -> road 1, sidewalk 1: mIoU 1
        night  label 0 0 0 1   pred 1 1 0 1  -> road 1/3, sidewalk 1/3: mIoU 1/3

    Both pooled: road label {f0,f1,n0,n1,n2}, predicted {f0,f1,n2}: 3 of a union of
    5; sidewalk label {f2,f3,n3}, predicted {f2,f3,n0,n1,n3}: 3/5. mIoU 0.6.
    """
    labels = dict(fog=[[0, 0, 1, 1]] * 2, night=[[0, 0, 0, 1]] * 2)
    preds = dict(fog=np.array([[0, 0, 1, 1]] * 2), night=np.array([[1, 1, 0, 1]] * 2))
    for condition, label in labels.items():
        stem = 'GOPR0001_frame_000001'
        seq = osp.join(str(tmp_path), '{}', condition, 'val', 'GOPR0001')
        write_png(osp.join(seq.format('rgb_anon'), stem + '_rgb_anon.png'),
                  np.zeros((2, 4, 3), np.uint8))
        write_png(osp.join(seq.format('gt'), stem + '_gt_labelTrainIds.png'),
                  np.array(label, np.uint8))
        write_png(osp.join(seq.format('gt'), stem + '_gt_invIds.png'),
                  np.zeros((2, 4), np.uint8))
    dataset = build_dataset(dict(type='ACDCDataset', data_root=str(tmp_path),
                                 conditions=['fog', 'night'], pipeline=LOAD))
    assert dataset.image_groups() == dict(fog=[0], night=[1])
    metrics = dataset.evaluate([preds['fog'], preds['night']], metric='mIoU')
    assert metrics['mIoU'] == pytest.approx(0.6)
    assert metrics['mIoU_fog'] == pytest.approx(1.0)
    assert metrics['mIoU_night'] == pytest.approx(1 / 3)
    from mmseg_uvpt.apis.testing import class_means
    assert class_means(metrics, dataset) == pytest.approx(
        dict(mIoU19=60.0, mIoU_fog=100.0, mIoU_night=100 / 3))
    # one condition: no groups, no per-condition keys
    one = build_dataset(dict(type='ACDCDataset', data_root=str(tmp_path),
                             conditions='fog', pipeline=LOAD))
    assert one.image_groups() == {}
    assert 'mIoU_fog' not in one.evaluate([preds['fog']], metric='mIoU')


def test_dark_zurich_subsets_conditions_and_invalid_masks(toy):
    train = dark_zurich(toy, subset='train')
    assert isinstance(train, DarkZurichDataset)  # mmseg's class, extended
    rows = expected_files(toy, 'dark_zurich', ['night'], 'train')
    assert [info['filename'] for info in train.img_infos] == [r[0] for r in rows]
    assert train.ann_dir is None and all('ann' not in i for i in train.img_infos)

    val = dark_zurich(toy)  # default: val, night, labels, no invalid masks
    rows = expected_files(toy, 'dark_zurich', ['night'], 'val')
    assert [(i['filename'], i['ann']['seg_map']) for i in val.img_infos] == \
        [r[:2] for r in rows]
    assert all('invalid_mask' not in i['ann'] for i in val.img_infos)
    masked = dark_zurich(toy, invalid_mask_suffix='_gt_invIds.png')
    mask = np.asarray(Image.open(osp.join(val.ann_dir, rows[0][2])))
    assert mask.any()
    label = val.get_gt_seg_map_by_idx(0)
    np.testing.assert_array_equal(masked.get_gt_seg_map_by_idx(0),
                                  np.where(mask == 1, 255, label))

    test = dark_zurich(toy, subset='test')
    assert len(test) == COUNTS['test'] and test.ann_dir is None
    with pytest.raises(MissingDataFileError, match='rgb_anon/train/day'):
        dark_zurich(toy, subset='train', conditions='all')
    with pytest.raises(ValueError, match='no public train labels'):
        dark_zurich(toy, subset='train', ann_dir='gt')


def write_fake_pseudo_labels(dataset, folder):
    """A pseudo-label per image, where the generator puts it: class (index % 19)."""
    for index, info in enumerate(dataset.img_infos):
        path = pseudo_label_path(folder, info['filename'], dataset.img_suffix)
        write_png(path, np.full((256, 512), index % 19, np.uint8))


@pytest.mark.parametrize('kind', ['acdc', 'dark_zurich'])
def test_pseudo_label_variants_pair_each_image_with_its_pseudo_label(toy, tmp_path,
                                                                     kind):
    images = (acdc(toy, subset='train', ann_dir=None) if kind == 'acdc'
              else dark_zurich(toy, subset='train'))
    folder = str(tmp_path / 'pl')
    write_fake_pseudo_labels(images, folder)
    cls = 'PseudoLabelACDCDataset' if kind == 'acdc' else 'PseudoLabelDarkZurichDataset'
    dataset = build_dataset(dict(type=cls, data_root=osp.join(toy, kind),
                                 subset='train', pseudo_label_dir=folder, pipeline=LOAD))
    assert [i['filename'] for i in dataset.img_infos] == \
        [i['filename'] for i in images.img_infos]
    for index, info in enumerate(dataset.img_infos):
        assert osp.join(dataset.ann_dir, info['ann']['seg_map']) == pseudo_label_path(
            folder, info['filename'], dataset.img_suffix)
        assert 'invalid_mask' not in info['ann']
    last = len(dataset) - 1
    assert (dataset[last]['gt_semantic_seg'] == last % 19).all()
    with pytest.raises(ValueError, match='sets ann_dir itself'):
        build_dataset(dict(type=cls, data_root=osp.join(toy, kind), subset='train',
                           pseudo_label_dir=folder, ann_dir='gt', pipeline=LOAD))
    os.remove(pseudo_label_path(folder, dataset.img_infos[1]['filename'],
                                dataset.img_suffix))
    with pytest.raises(FileNotFoundError, match='first missing'):
        build_dataset(dict(type=cls, data_root=osp.join(toy, kind), subset='train',
                           pseudo_label_dir=folder, pipeline=LOAD))


def toy_cfg():
    """The toy pseudo-label config: a tiny MiT, the 512x256 test pipeline."""
    cfg = Config.fromfile(TOY_PSEUDO_LABEL)
    cfg.data.workers_per_gpu = 0
    return cfg


@pytest.fixture(scope='module')
def tiny_source(tmp_path_factory):
    """A random-weight checkpoint of the toy config's model."""
    torch.manual_seed(0)
    model = build_segmentor(toy_cfg().model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('model') / 'source.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def test_generated_pseudo_labels_of_acdc_train_feed_its_pseudo_label_dataset(
        toy, tiny_source, tmp_path):
    cfg, checkpoint = toy_cfg(), tiny_source
    cfg.data.pseudo_label = dict(
        type='ACDCDataset', data_root=osp.join(toy, 'acdc'), subset='train',
        conditions=['night', 'snow'], ann_dir=None, test_mode=True,
        pipeline=cfg.data.pseudo_label.pipeline)
    out = str(tmp_path / 'pl')
    manifest = generate_pseudo_labels(cfg, checkpoint, out, progress=False)
    assert manifest['count'] == manifest['expected'] == 2 * COUNTS['train']
    dataset = build_dataset(dict(
        type='PseudoLabelACDCDataset', data_root=osp.join(toy, 'acdc'),
        subset='train', conditions=['night', 'snow'], pseudo_label_dir=out,
        pipeline=LOAD))
    written = sorted(osp.relpath(osp.join(d, f), out) for d, _, files in os.walk(out)
                     for f in files if f.endswith('_pseudoTrainIds.png'))
    assert written == sorted(i['ann']['seg_map'] for i in dataset.img_infos)
    assert written[0] == ('night/train/toynight_train0/'
                          'toynight_train0_frame_000000_pseudoTrainIds.png')
    assert dataset[0]['gt_semantic_seg'].shape == (256, 512)


def read_zip_png(archive, name):
    return np.asarray(Image.open(archive.open(name)))


@pytest.mark.parametrize('kind', ['acdc', 'dark_zurich'])
def test_submission_names_layout_and_values(toy, tmp_path, kind):
    dataset = (acdc(toy, subset='test') if kind == 'acdc'
               else dark_zurich(toy, subset='test'))
    prefix = str(tmp_path / 'labelTrainIds_run')
    preds = [np.full((256, 512), i + 3, np.int64) for i in range(len(dataset))]
    dataset.format_results(preds[:1], prefix, indices=[0])  # batch by batch
    with pytest.raises(MissingDataFileError, match='predictions missing'):
        dataset.pack_format_results(prefix)
    dataset.format_results(preds[1:], prefix, indices=list(range(1, len(dataset))))
    path = dataset.pack_format_results(prefix)
    assert path == prefix + '.zip'
    images = [osp.basename(i['filename']) for i in dataset.img_infos]
    folders = list(SERVER_FOLDERS[kind])
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f'{folder}/{name}' for folder in folders for name in images)
        for index, name in enumerate(images):
            for folder in folders:
                png = Image.open(archive.open(f'{folder}/{name}'))
                assert png.size == (512, 256)
                values = np.asarray(png)
                if folder == 'confidence':
                    assert values.dtype == np.uint16 and (values == 65535).all()
                else:
                    assert png.mode == 'L' and (values == index + 3).all()
    if kind == 'acdc':
        # every condition's test images, flat, named as the images
        assert len(images) == 4 * COUNTS['test']
        assert 'toyfog_test1_frame_000001_rgb_anon.png' in images
        assert folders == ['labelTrainIds']
        assert dataset.submission_warnings() == []
        assert 'all four' in acdc(toy, subset='test',
                                  conditions='fog').submission_warnings()[0]
    else:
        assert folders == ['labelTrainIds', 'labelTrainIds_invalid', 'confidence']
    with pytest.raises(ValueError, match='train ids'):
        dataset.format_results(preds, prefix, to_label_id=True)


def test_test_script_format_only_writes_the_acdc_zip(toy, tiny_source, tmp_path):
    cfg, checkpoint = toy_cfg(), tiny_source
    cfg.data.test = dict(type='ACDCDataset', data_root=osp.join(toy, 'acdc'),
                         subset='test', pipeline=cfg.data.pop('pseudo_label').pipeline)
    config = str(tmp_path / 'acdc_test.py')
    cfg.dump(config)
    prefix = str(tmp_path / 'labelTrainIds')
    summary = evaluate_main([config, checkpoint, '--format-only', '--work-dir',
                             str(tmp_path / 'work'), '--eval-options',
                             f'imgfile_prefix={prefix}', 'to_label_id=False'])
    assert summary['submission'] == prefix + '.zip'
    with zipfile.ZipFile(summary['submission']) as archive:
        names = sorted(archive.namelist())
        assert len(names) == 4 * COUNTS['test']
        assert names[0] == 'labelTrainIds/toyfog_test0_frame_000000_rgb_anon.png'
        pred = read_zip_png(archive, names[0])
        assert pred.shape == (256, 512) and pred.max() < 19


ADVERSE_RUNS = [f'{backbone}_standard_cityscapes2{target}'
                for backbone in ('swin-b', 'mit-b5') for target in ('acdc', 'darkzurich')]


@pytest.mark.parametrize('run', ADVERSE_RUNS)
def test_cityscapes_to_adverse_configs_build_on_the_toy_layouts(toy, tmp_path, run):
    """The Cityscapes -> ACDC / Dark Zurich configs: MIC's resolution (960x540 target,
    512x512 crops, test at 960x540), the right datasets, the correction wired."""
    from mmseg_uvpt.correction.configure import configure_correction
    kind = 'acdc' if run.endswith('acdc') else 'dark_zurich'
    label = Config.fromfile(osp.join(REPO, 'configs', 'pseudo_label', run + '.py'))
    adapt = Config.fromfile(osp.join(REPO, 'configs', 'uvpt', run + '.py'))
    backbone = run.split('_')[0]
    assert label.source_checkpoint == adapt.source_checkpoint == \
        f'model/{backbone}_standard_cityscapes.pth'
    assert adapt.data.train.pseudo_label_dir == label.pseudo_label_dir
    steps = {s['type']: s for s in adapt.data.train.pipeline}
    assert steps['Resize']['img_scale'] == (960, 540)
    assert steps['RandomCropWithBox']['crop_size'] == (512, 512)
    for cfg in (label.data.pseudo_label, adapt.data.val, adapt.data.test):
        assert cfg.pipeline[1]['img_scale'] == (960, 540)
    configure_correction(adapt, str(tmp_path / 'work'))  # checks the pipeline
    root = osp.join(toy, kind)
    pseudo = build_dataset(dict(label.data.pseudo_label, data_root=root))
    assert pseudo.subset == 'train' and pseudo.ann_dir is None
    assert len(pseudo) == (4 if kind == 'acdc' else 1) * COUNTS['train']
    val = build_dataset(dict(adapt.data.val, data_root=root), dict(test_mode=True))
    assert val.subset == 'val' and len(val) == (4 if kind == 'acdc' else 1) * \
        COUNTS['val']
    assert adapt.data.train.type == ('PseudoLabelACDCDataset' if kind == 'acdc'
                                     else 'PseudoLabelDarkZurichDataset')
    write_fake_pseudo_labels(pseudo, str(tmp_path / 'pl'))
    train = build_dataset(dict(adapt.data.train, data_root=root,
                               pseudo_label_dir=str(tmp_path / 'pl')))
    assert len(train) == len(pseudo)
    source = Config.fromfile(osp.join(REPO, 'configs', 'pretrain',
                                      f'{backbone}_standard_cityscapes.py'))
    steps = {s['type']: s for s in source.data.train.pipeline}
    assert steps['Resize']['img_scale'] == (1024, 512)
    assert steps['RandomCrop']['crop_size'] == (512, 512)
    assert source.data.train.img_dir == 'leftImg8bit/train'
