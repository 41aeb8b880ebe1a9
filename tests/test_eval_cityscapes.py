"""mIoU19/16/13 of UVPTCityscapesDataset against cityscapesscripts' evaluator."""
import os
import os.path as osp

import numpy as np
import pytest
from cityscapesscripts.evaluation import \
    evalPixelLevelSemanticLabeling as cs_eval
from mmseg.datasets import CityscapesDataset
from PIL import Image

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg_uvpt.datasets import (SYNTHIA_13_CLASSES, SYNTHIA_16_CLASSES,
                                 UVPTCityscapesDataset,
                                 cityscapes_id_to_train_id)
from mmseg_uvpt.datasets.conversion import (cityscapes_jobs,
                                            read_cityscapes_ids,
                                            run_conversion)

H, W, N = 24, 40, 4
TRAIN_ID = 31  # Cityscapes id of 'train': absent from both GT and predictions


def make_val_set(root, rng):
    """Random Cityscapes-layout val labels (all ids 0..33 but train)."""
    ids = [i for i in range(34) if i != TRAIN_ID]
    for i in range(N):
        stem = f'city_000000_{i:06d}'
        img = osp.join(root, 'leftImg8bit', 'val', 'city', f'{stem}_leftImg8bit.png')
        label = osp.join(root, 'gtFine', 'val', 'city', f'{stem}_gtFine_labelIds.png')
        for path in (img, label):
            os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(img)
        # blocks of one id so that predictions hit some of them
        blocks = rng.choice(ids, size=(H // 4, W // 4))
        Image.fromarray(np.kron(blocks, np.ones((4, 4))).astype(np.uint8)).save(
            label)
    run_conversion(root, cityscapes_jobs(root), cityscapes_id_to_train_id(),
                   read_cityscapes_ids)


def random_predictions(root, rng):
    """Train-id predictions: 60% the ground truth, else random (never 'train')."""
    preds = []
    for i in range(N):
        gt = np.asarray(Image.open(osp.join(
            root, 'gtFine', 'val', 'city',
            f'city_000000_{i:06d}_gtFine_labelTrainIds.png'))).astype(np.int64)
        noise = rng.choice([c for c in range(19) if c != 16], size=gt.shape)
        keep = (rng.random(gt.shape) < 0.6) & (gt != 255)
        preds.append(np.where(keep, gt, noise))
    return preds


def cityscapes_scripts_scores(root, preds, tmp_path):
    """Class IoUs from cityscapesscripts, fed labelId PNGs."""
    pred_files, gt_files = [], []
    for i, pred in enumerate(preds):
        path = str(tmp_path / f'pred_{i}.png')
        Image.fromarray(CityscapesDataset._convert_to_label_id(pred).astype(
            np.uint8)).save(path)
        pred_files.append(path)
        gt_files.append(osp.join(root, 'gtFine', 'val', 'city',
                                 f'city_000000_{i:06d}_gtFine_labelIds.png'))
    args = cs_eval.args
    args.evalInstLevelScore = False
    args.evalPixelAccuracy = False
    args.JSONOutput = False
    args.quiet = True
    return cs_eval.evaluateImgLists(pred_files, gt_files, args)['classScores']


def nanmean_over(scores, names):
    values = np.array([scores[n] for n in names], np.float64)
    return float(np.nanmean(values))


@pytest.fixture(scope='module')
def val_set(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('cityscapes'))
    rng = np.random.default_rng(0)
    make_val_set(root, rng)
    return root, random_predictions(root, rng)


def build(root):
    return UVPTCityscapesDataset(
        data_root=root, img_dir='leftImg8bit/val', ann_dir='gtFine/val',
        pipeline=[], test_mode=True, eval_subsets='synthia')


def test_miou_19_16_13_match_cityscapesscripts(val_set, tmp_path):
    root, preds = val_set
    dataset = build(root)
    pre_eval = [dataset.pre_eval(pred, i)[0] for i, pred in enumerate(preds)]
    ours = dataset.evaluate(pre_eval, metric='mIoU')
    scores = cityscapes_scripts_scores(root, preds, tmp_path)
    assert np.isnan(scores['train'])  # a class absent on both sides is skipped
    expected = dict(mIoU=nanmean_over(scores, CityscapesDataset.CLASSES),
                    mIoU16=nanmean_over(scores, SYNTHIA_16_CLASSES),
                    mIoU13=nanmean_over(scores, SYNTHIA_13_CLASSES))
    for key, value in expected.items():
        assert abs(ours[key] - value) < 1e-6, key
    assert 0.3 < ours['mIoU13'] < 0.9  # predictions are neither random nor exact
    assert ours['mIoU16'] != ours['mIoU13'] != ours['mIoU']
    # the same numbers from raw prediction arrays (mmseg's non-pre_eval path)
    from_arrays = dataset.evaluate(preds, metric=['mIoU'])
    for key in expected:
        assert abs(from_arrays[key] - ours[key]) < 1e-12
    # mmseg's per-class results are kept
    assert abs(ours['IoU.road'] - round(scores['road'], 4)) < 1e-4


def test_hand_computed_miou(tmp_path):
    root = str(tmp_path)
    for path, array in (
            ('leftImg8bit/val/c/c_0_0_leftImg8bit.png', np.zeros((2, 2, 3))),
            ('gtFine/val/c/c_0_0_gtFine_labelTrainIds.png',
             np.array([[0, 0], [13, 255]]))):
        os.makedirs(osp.dirname(osp.join(root, path)), exist_ok=True)
        Image.fromarray(array.astype(np.uint8)).save(osp.join(root, path))
    dataset = UVPTCityscapesDataset(
        data_root=root, img_dir='leftImg8bit/val', ann_dir='gtFine/val',
        pipeline=[], eval_subsets=dict(cars=['car']))
    # road: I=1, U=2 (one road pixel predicted car); car: I=1, U=2
    result = dataset.evaluate([np.array([[0, 13], [13, 0]])], metric='mIoU')
    assert result['mIoU'] == pytest.approx(0.5)
    assert result['cars'] == pytest.approx(0.5)
    # without mIoU there is nothing to add
    assert 'cars' not in dataset.evaluate([np.array([[0, 13], [13, 0]])],
                                          metric='mDice')


def test_release_synthia_means_beside_the_plain_ones():
    """The release derives mIoU16/13 from the 19-class mean; by hand on made-up IoUs
    where terrain, truck and train are not zero (so they leak into its figures)."""
    from mmseg_uvpt.datasets.cityscapes import (release_synthia_means,
                                                resolve_eval_subsets)
    classes = CityscapesDataset.CLASSES
    iou = np.full(19, 0.5)
    iou[[classes.index(c) for c in ('terrain', 'truck', 'train')]] = [0.2, 0.3, 0.1]
    iou[[classes.index(c) for c in ('wall', 'fence', 'pole')]] = [0.4, 0.4, 0.1]
    subsets = resolve_eval_subsets('synthia', classes)
    # sum of all 19 IoUs: 13 x 0.5 + 0.6 (terrain, truck, train) + 0.9 (wall, ...)
    means = release_synthia_means(iou, classes, subsets)
    assert means['mIoU16_release'] == pytest.approx(8.0 / 16)
    assert means['mIoU13_release'] == pytest.approx((8.0 - 0.9) / 13)
    # the plain means leave terrain, truck and train out: lower here
    assert np.mean(iou[subsets['mIoU16']]) == pytest.approx(7.4 / 16)
    assert np.mean(iou[subsets['mIoU13']]) == pytest.approx(0.5)
    # only for SYNTHIA's subsets
    assert release_synthia_means(iou, classes, resolve_eval_subsets(
        dict(cars=['car']), classes)) == {}


def test_evaluate_reports_the_release_figures_for_synthia(val_set):
    root, preds = val_set
    dataset = build(root)
    ours = dataset.evaluate([dataset.pre_eval(p, i)[0] for i, p in enumerate(preds)],
                            metric='mIoU')
    assert ours['mIoU16_release'] == pytest.approx(19 * ours['mIoU'] / 16)
    assert ours['mIoU16_release'] >= ours['mIoU16'] and \
        ours['mIoU13_release'] >= ours['mIoU13']
