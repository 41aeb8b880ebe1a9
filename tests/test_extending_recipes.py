"""The README's "Extending" recipes, done as a researcher does them: a module of one's
own, outside the package, named in ``custom_imports``, that registers a dataset and a
hook; an adaptation run (``train.py``) that trains on that dataset with the
correction and the hook, and a resumed run that gets the hook's state back.
(Swapping a loss from the config is ``test_segmentor_losses_from_config.py``.)
"""
import os
import os.path as osp
import shutil
import sys
import textwrap

import numpy as np
import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import train_main
from mmseg_uvpt.checkpoints import load_checkpoint_file
from test_apis_support import (_imwrite, dump_config, eval_pipeline, run_config,
                               save_source_checkpoint, train_pipeline, uvpt_models)

FLAGS = ['--seed', '0', '--deterministic']
SIZE = (128, 64)  # (w, h)
NAMES = ['street_a', 'street_b', 'street_c']

#: the researcher's own module: a dataset over a folder of images and labels, and a
#: hook that counts the iterations it saw and keeps the count across a resume
EXTENSION = '''
from mmcv.runner import HOOKS, Hook
from mmseg.datasets import CityscapesDataset, CustomDataset
from mmseg.datasets.builder import DATASETS


@DATASETS.register_module()
class MyStreetsDataset(CustomDataset):
    CLASSES = CityscapesDataset.CLASSES
    PALETTE = CityscapesDataset.PALETTE

    def __init__(self, **kwargs):
        super().__init__(img_suffix='.jpg', seg_map_suffix='_label.png', **kwargs)


@HOOKS.register_module()
class IterationCountHook(Hook):

    def __init__(self):
        self.seen = 0

    def after_train_iter(self, runner):
        self.seen += 1

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint['meta'].setdefault('hook_msgs', {})['iteration_count'] = self.seen

    def after_load_checkpoint(self, runner, checkpoint):
        self.seen = checkpoint['meta']['hook_msgs']['iteration_count']
'''

CORRECTION = dict(type='AdaptiveCorrectionHook', num_classes=19, interval=1,
                  queue_size=2, quantile=0.5, trigger=-1e9, min_points=2,
                  epoch_iters=3, plot=False)


@pytest.fixture(scope='module')
def extension_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('extension')
    (root / 'my_extension.py').write_text(textwrap.dedent(EXTENSION))
    sys.path.insert(0, str(root))
    rng = np.random.RandomState(0)
    data = root / 'streets'
    for name in NAMES:
        _imwrite(str(data / 'images' / (name + '.jpg')),
                 rng.randint(0, 256, (SIZE[1], SIZE[0], 3)).astype(np.uint8))
        blocks = rng.randint(0, 19, (SIZE[1] // 16, SIZE[0] // 16))
        _imwrite(str(data / 'labels' / (name + '_label.png')),
                 np.kron(blocks, np.ones((16, 16), np.int64)).astype(np.uint8))
    split = dict(type='MyStreetsDataset', data_root=str(data), img_dir='images',
                 ann_dir='labels')
    train = dict(split, pipeline=train_pipeline(
        'LoadCorrectedAnnotations', 'RandomCropWithBox', ('crop_bbox', 'label_path'),
        img_scale=SIZE, crop_size=(64, 64)))
    source_model, model = uvpt_models()
    source = save_source_checkpoint(source_model, root / 'source.pth')
    cfg = run_config(
        str(data), model, max_iters=4, ckpt_interval=2, eval_interval=4,
        samples_per_gpu=1, train=train, source_checkpoint=source,
        custom_hooks=[CORRECTION, dict(type='IterationCountHook')])
    cfg['data']['val'] = cfg['data']['test'] = dict(split, pipeline=eval_pipeline(SIZE))
    cfg['custom_imports'] = dict(imports=['mmseg_uvpt', 'my_extension'],
                                 allow_failed_imports=False)
    config = dump_config(cfg, root / 'my_run.py')
    work = str(root / 'run')
    try:
        out = train_main([config, '--work-dir', work] + FLAGS)
        # the work dir as a run stopped after iteration 2 leaves it (the label store
        # and its snapshots live in the work dir), then resumed there
        resumed = str(root / 'resumed')
        shutil.copytree(work, resumed, symlinks=True)
        os.remove(osp.join(resumed, 'iter_4.pth'))
        out_resumed = train_main([config, '--work-dir', resumed, '--resume-from',
                                  osp.join(resumed, 'iter_2.pth')] + FLAGS)
    finally:
        sys.path.remove(str(root))
    return out, out_resumed, work, resumed


def test_a_registered_dataset_trains_with_the_correction_and_evaluates(extension_run):
    out, _, work, _ = extension_run
    assert out['iters'] == 4 and 0 <= out['metrics']['mIoU'] <= 1
    # the correction's label loader read the new dataset: every image visited has its
    # label in the store, under the dataset's own file name
    stored = sorted(os.listdir(osp.join(work, 'correction', 'labels')))
    assert stored and set(stored) <= {name + '.png' for name in NAMES}
    state = load_checkpoint_file(osp.join(work, 'iter_4.pth'))['meta']['hook_msgs']
    assert state['correction']['visits'] and set(state['correction']['visits']) <= {
        name + '.jpg' for name in NAMES}


def test_an_added_hook_runs_and_keeps_its_state_across_a_resume(extension_run):
    _, out_resumed, work, resumed = extension_run
    first = load_checkpoint_file(osp.join(work, 'iter_2.pth'))['meta']['hook_msgs']
    assert first['iteration_count'] == 2
    whole = load_checkpoint_file(osp.join(work, 'iter_4.pth'))['meta']['hook_msgs']
    assert whole['iteration_count'] == 4
    # resumed at 2: the count came back from the checkpoint and went on to 4
    assert out_resumed['iters'] == 4
    again = load_checkpoint_file(osp.join(resumed, 'iter_4.pth'))['meta']['hook_msgs']
    assert again['iteration_count'] == 4
    # and the prompt weights of the resumed run equal the uninterrupted run's
    a = load_checkpoint_file(osp.join(work, 'iter_4.pth'))['state_dict']
    b = load_checkpoint_file(osp.join(resumed, 'iter_4.pth'))['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
