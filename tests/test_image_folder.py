"""One's own images as the target (``ImageFolderDataset``): a nested tree of .jpg and
.png listed recursively and sorted, refusals that name the folder, labels in train ids
or Cityscapes ids, and the whole recipe -- pseudo-labels, adaptation, evaluation -- run
from the shipped base configs alone."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg.datasets import build_dataset
from mmseg_uvpt.apis import evaluate_main, train_main
from mmseg_uvpt.datasets import check_dataset_inputs, pseudo_label_path
from mmseg_uvpt.datasets.label_ids import cityscapes_name_to_id
from mmseg_uvpt.utils.data_errors import DataFileError, MissingDataFileError
from test_apis_support import save_source_checkpoint, uvpt_models

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASE = osp.join(REPO, 'configs', '_base_')
LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
W, H = 128, 64
# relative paths of the images, in the order the dataset lists them (sorted by path)
IMAGES = ['day1/a.jpg', 'day1/cam2/b.PNG', 'day1/cam2/c.png', 'night/d.jpeg',
          'z.jpg']
IDS = cityscapes_name_to_id()


def blocky_image(rng):
    blocks = rng.integers(0, 255, (H // 16, W // 16, 3))
    return np.kron(blocks, np.ones((16, 16, 1), np.int64)).astype(np.uint8)


def write(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), array), path


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    """A nested tree of own images (png, jpg, jpeg, upper-case extension), a text file
    and a hidden file beside them."""
    root = tmp_path_factory.mktemp('mine')
    rng = np.random.default_rng(0)
    for rel in IMAGES:
        write(osp.join(root, 'images', rel), blocky_image(rng))
    (root / 'images' / 'day1' / 'notes.txt').write_text('not an image')
    write(osp.join(root, 'images', 'night', '.d.png'), blocky_image(rng))
    return str(root)


def folder_dataset(img_dir, **kwargs):
    pipeline = LOAD if kwargs.get('ann_dir') else LOAD[:1]
    return build_dataset(dict(type='ImageFolderDataset', img_dir=img_dir,
                              pipeline=pipeline, **kwargs))


def test_lists_nested_png_and_jpg_recursively_and_sorted(folder):
    dataset = folder_dataset(osp.join(folder, 'images'), test_mode=True)
    assert [info['filename'] for info in dataset.img_infos] == IMAGES
    assert dataset.ann_dir is None and len(dataset.CLASSES) == 19
    sample = dataset[1]  # read through mmseg's loading step
    assert sample['img'].shape == (H, W, 3)
    assert sample['ori_filename'] == 'day1/cam2/b.PNG'
    # pseudo-labels mirror the tree, whatever the extension
    assert pseudo_label_path('/pl', 'day1/cam2/b.PNG', dataset.img_suffix) == \
        '/pl/day1/cam2/b_pseudoTrainIds.png'
    assert pseudo_label_path('/pl', 'night/d.jpeg', dataset.img_suffix) == \
        '/pl/night/d_pseudoTrainIds.png'


def test_refuses_empty_missing_unreadable_and_ambiguous_folders(folder, tmp_path,
                                                                monkeypatch):
    empty = tmp_path / 'empty' / 'sub'
    empty.mkdir(parents=True)
    (empty / 'readme.md').write_text('no images here')
    with pytest.raises(MissingDataFileError,
                       match=f'no images \\(.png, .jpg, .jpeg\\) under {tmp_path}/empty'):
        folder_dataset(str(tmp_path / 'empty'))
    with pytest.raises(MissingDataFileError, match=f'folder not found: {tmp_path}/none'):
        folder_dataset(str(tmp_path / 'none'))
    a_file = str(tmp_path / 'empty' / 'sub' / 'readme.md')
    with pytest.raises(MissingDataFileError, match=f'folder not found: {a_file}'):
        folder_dataset(a_file)

    # a sub-folder that cannot be listed (root reads any folder, so the refusal of
    # the operating system is simulated)
    locked = osp.join(folder, 'images', 'day1', 'cam2')
    real_scandir = os.scandir

    def scandir(path='.'):
        if osp.abspath(path) == locked:
            raise PermissionError(13, 'Permission denied', path)
        return real_scandir(path)

    monkeypatch.setattr(os, 'scandir', scandir)
    with pytest.raises(DataFileError,
                       match=f'cannot read folder {locked}: Permission denied'):
        folder_dataset(osp.join(folder, 'images'))
    monkeypatch.undo()

    twins = tmp_path / 'twins'
    write(twins / 'x.png', np.zeros((4, 4, 3), np.uint8))
    write(twins / 'x.jpg', np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DataFileError, match='differ only in their extension'):
        folder_dataset(str(twins))
    with pytest.raises(ValueError, match="label_format='ids'"):
        folder_dataset(str(twins), label_format='ids')


def test_an_unreadable_image_is_named_by_the_input_checks(tmp_path):
    write(tmp_path / 'imgs' / 'ok.png', np.zeros((8, 8, 3), np.uint8))
    broken = tmp_path / 'imgs' / 'deep' / 'broken.jpg'
    broken.parent.mkdir()
    broken.write_bytes(b'\xff\xd8 not really a jpeg')
    dataset = folder_dataset(str(tmp_path / 'imgs'))
    with pytest.raises(DataFileError, match=f'cannot read image {broken}'):
        check_dataset_inputs(dataset)


def write_labelled_folder(root, label_values):
    """Two images with labels mirroring them: ``label_values`` fill the left and
    right halves of every label."""
    rng = np.random.default_rng(1)
    for rel in ('p/one.jpg', 'two.png'):
        write(osp.join(root, 'img', rel), blocky_image(rng))
        label = np.zeros((H, W), np.uint8)
        label[:, :W // 2], label[:, W // 2:] = label_values
        write(osp.join(root, 'lab', osp.splitext(rel)[0] + '.png'), label)
    return osp.join(root, 'img'), osp.join(root, 'lab')


def test_cityscapes_id_labels_are_converted_on_load(tmp_path):
    img_dir, ann_dir = write_labelled_folder(tmp_path, (IDS['car'], IDS['road']))
    dataset = folder_dataset(img_dir, ann_dir=ann_dir, label_format='cityscapes_ids')
    assert [i['ann']['seg_map'] for i in dataset.img_infos] == ['p/one.png', 'two.png']
    check_dataset_inputs(dataset)  # values checked after the conversion
    label = dataset.get_gt_seg_map_by_idx(0)  # car 26 -> 13, road 7 -> 0
    assert (label[:, :W // 2] == 13).all() and (label[:, W // 2:] == 0).all()
    np.testing.assert_array_equal(dataset[1]['gt_semantic_seg'], label)
    # the same files read as train ids are refused, naming the file
    as_train_ids = folder_dataset(img_dir, ann_dir=ann_dir)
    with pytest.raises(DataFileError,
                       match=f"label file {osp.join(ann_dir, 'p', 'one.png')} has "
                       'values \\[26\\]'):
        check_dataset_inputs(as_train_ids)
    # pseudo-labels are train ids: the variant never converts
    pl = str(tmp_path / 'pl')
    for info in as_train_ids.img_infos:
        write(pseudo_label_path(pl, info['filename'], as_train_ids.img_suffix),
              np.full((H, W), 26, np.uint8))
    pseudo = build_dataset(dict(type='PseudoLabelImageFolderDataset', img_dir=img_dir,
                                pseudo_label_dir=pl, pipeline=LOAD))
    assert (pseudo[0]['gt_semantic_seg'] == 26).all()
    with pytest.raises(ValueError, match='sets label_format itself'):
        build_dataset(dict(type='PseudoLabelImageFolderDataset', img_dir=img_dir,
                           pseudo_label_dir=pl, label_format='cityscapes_ids',
                           pipeline=LOAD))


SMALL = [  # the shipped 1024x512 / 512x512 recipe at toy size, for speed
    'data.pseudo_label.pipeline.1.img_scale=(128,64)', 'data.workers_per_gpu=0']
SMALL_TRAIN = [
    'data.train.pipeline.2.img_scale=(128,64)', 'data.train.pipeline.3.crop_size=(64,64)',
    'data.train.pipeline.7.size=(64,64)', 'data.val.pipeline.1.img_scale=(128,64)',
    'data.test.pipeline.1.img_scale=(128,64)', 'data.workers_per_gpu=0']


def test_pseudo_labels_adaptation_and_evaluation_from_the_base_configs(folder,
                                                                      tmp_path):
    """The user's whole recipe with two leaf configs over the shipped bases: label
    a nested folder of own images, adapt on it, evaluate on a labelled folder."""
    import generate_pseudo_label
    source_model, _ = uvpt_models()
    source = save_source_checkpoint(source_model, tmp_path / 'source.pth')
    images = osp.join(folder, 'images')
    pl = str(tmp_path / 'pseudo_labels')
    leaf = tmp_path / 'label_mine.py'
    leaf.write_text(
        f"_base_ = ['{BASE}/default_runtime.py', '{BASE}/models/daformer_mit-tiny.py',"
        f" '{BASE}/datasets/image_folder_pseudo_label_1024x512.py']\n"
        f"source_checkpoint = '{source}'\npseudo_label_dir = '{pl}'\n"
        f"data = dict(pseudo_label=dict(img_dir='{images}'))\n")
    manifest = generate_pseudo_label.main(['--config', str(leaf), '--cfg-options']
                                          + SMALL)
    assert manifest['count'] == manifest['expected'] == len(IMAGES)
    written = sorted(osp.relpath(osp.join(d, f), pl) for d, _, files in os.walk(pl)
                     for f in files if f.endswith('.png'))
    assert written == sorted(osp.splitext(i)[0] + '_pseudoTrainIds.png'
                             for i in IMAGES)

    val_img, val_lab = write_labelled_folder(tmp_path / 'val',
                                             (IDS['car'], IDS['road']))
    adapt = tmp_path / 'adapt_mine.py'
    adapt.write_text(
        f"_base_ = ['{BASE}/default_runtime.py', "
        f"'{BASE}/models/uvpt_daformer_mit-tiny.py', "
        f"'{BASE}/datasets/image_folder_uvpt_1024x512_512x512.py', "
        f"'{BASE}/schedules/uvpt_80k.py']\n"
        f"source_checkpoint = '{source}'\n"
        f"data = dict(train=dict(img_dir='{images}', pseudo_label_dir='{pl}'),\n"
        f"            val=dict(img_dir='{val_img}', ann_dir='{val_lab}',\n"
        f"                     label_format='cityscapes_ids'),\n"
        f"            test=dict(img_dir='{val_img}', ann_dir='{val_lab}',\n"
        f"                      label_format='cityscapes_ids'))\n"
        "runner = dict(max_iters=4)\ncheckpoint_config = dict(interval=4)\n"
        "evaluation = dict(interval=4)\nlog_config = dict(interval=1)\n"
        "custom_hooks = [dict(type='AdaptiveCorrectionHook', num_classes=19, "
        "interval=1, queue_size=2, quantile=0.5, trigger=-1e9, min_points=2, "
        "epoch_iters=2, plot=False)]\n")
    work = str(tmp_path / 'run')
    out = train_main([str(adapt), '--work-dir', work, '--seed', '0',
                      '--deterministic', '--cfg-options'] + SMALL_TRAIN)
    assert out['iters'] == 4 and 0 <= out['metrics']['mIoU'] <= 1
    # the correction stored its crop predictions under the images' own tree names
    preds = osp.join(work, 'correction', 'preds')
    stored = sorted(osp.relpath(osp.join(d, f), preds)
                    for d, _, files in os.walk(preds) for f in files)
    assert stored and set(stored) <= {osp.splitext(i)[0] + '.pred' for i in IMAGES}

    summary = evaluate_main([str(adapt), osp.join(work, 'latest.pth'), '--eval',
                             'mIoU', '--work-dir', str(tmp_path / 'test'),
                             '--cfg-options'] + SMALL_TRAIN)
    assert 0 <= summary['metrics']['mIoU'] <= 1
    assert set(summary['metrics']) >= {'IoU.car', 'IoU.road'}
    prefix = str(tmp_path / 'preds')
    evaluate_main([str(adapt), osp.join(work, 'latest.pth'), '--format-only',
                   '--work-dir', str(tmp_path / 'test'), '--eval-options',
                   f'imgfile_prefix={prefix}', '--cfg-options'] + SMALL_TRAIN)
    pred = np.asarray(Image.open(osp.join(prefix, 'p', 'one.png')))
    assert pred.shape == (H, W) and pred.max() < 19


def test_the_readme_example_configs_agree_with_each_other_and_the_paper_run():
    """configs/examples/ (README "Adapt to your own images"): the labelling and the
    adaptation config read the same folder and label folder, and compute as the
    MiT-B5 Source-GtA GTA5 run of the paper (model, schedule, LR)."""
    from mmcv import Config

    def load(path):
        return Config.fromfile(osp.join(REPO, path), import_custom_modules=False)

    label = load('configs/examples/my_images_pseudo_label_mit-b5.py')
    adapt = load('configs/examples/my_images_uvpt_mit-b5.py')
    assert label.data.pseudo_label.img_dir == adapt.data.train.img_dir == 'data/my_images'
    assert label.pseudo_label_dir == adapt.data.train.pseudo_label_dir
    assert label.data.pseudo_label.type == 'ImageFolderDataset'
    assert adapt.data.train.type == 'PseudoLabelImageFolderDataset'
    assert label.source_checkpoint == adapt.source_checkpoint == \
        'model/mit-b5_source-gta_gta5.pth'
    paper = load('configs/uvpt/mit-b5_source-gta_gta52cityscapes.py')
    assert adapt.model == paper.model and adapt.optimizer == paper.optimizer
    assert adapt.lr_config == paper.lr_config and adapt.runner == paper.runner
    assert adapt.custom_hooks == paper.custom_hooks
    assert label.model == load('configs/pseudo_label/mit-b5_source-gta_gta52cityscapes.py').model
