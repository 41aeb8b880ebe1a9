"""tools/infer.py on a tiny adapted model (prompt-only checkpoint of a 2-iteration run):
a folder of images of two sizes and a short video give the expected files, and the
class map of an image equals test.py's for the same image."""
import importlib.util
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import evaluate_main, train_main
from mmseg_uvpt.checkpoints import load_checkpoint_file
from mmseg_uvpt.utils.config_checks import ConfigError
from mmseg_uvpt.checkpoints.prompt_only import is_prompt_only
from test_apis_support import (CITY, REPO, dump_config, run_config,
                               save_source_checkpoint, train_pipeline, uvpt_models,
                               write_cityscapes_like)

FRAMES = 3
IMG_W, IMG_H = 128, 64
SMALL_W, SMALL_H = 96, 80


def _infer_main():
    spec = importlib.util.spec_from_file_location('tools_infer',
                                                  osp.join(REPO, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture(scope='module')
def adapted(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp('infer')
    data = write_cityscapes_like(str(root / 'data'), n_train=2, n_val=2,
                                 size=(IMG_W, IMG_H))
    source_model, model = uvpt_models()
    source = save_source_checkpoint(source_model, root / 'source.pth')
    # the prompted model's half-scale pass needs crops of 64 pixels
    train = dict(type='UVPTCityscapesDataset', data_root=data,
                 img_dir='leftImg8bit/train', ann_dir='gtFine/train',
                 pipeline=train_pipeline(img_scale=(IMG_W, IMG_H), crop_size=(64, 64)))
    config = dump_config(run_config(data, model, max_iters=2, ckpt_interval=2,
                                    train=train, img_scale=(IMG_W, IMG_H),
                                    source_checkpoint=source), root / 'uvpt.py')
    out = train_main([config, '--work-dir', str(root / 'run'), '--no-validate',
                      '--seed', '0'])
    checkpoint = out['last_checkpoint']
    assert is_prompt_only(load_checkpoint_file(checkpoint))
    return dict(root=root, data=data, config=config, checkpoint=checkpoint)


def _inputs(adapted):
    """A folder with the val images (in their city folder) and one smaller image,
    and a video of FRAMES frames."""
    root = adapted['root']
    folder = root / 'my_images'
    if not folder.exists():
        shutil.copytree(osp.join(adapted['data'], 'leftImg8bit', 'val'), folder)
        small = cv2.imread(str(folder / CITY / f'{CITY}_000000_000019_leftImg8bit.png'))
        cv2.imwrite(str(folder / 'small.jpg'), cv2.resize(small, (SMALL_W, SMALL_H)))
        writer = cv2.VideoWriter(str(root / 'clip.avi'), cv2.VideoWriter_fourcc(*'MJPG'),
                                 5, (IMG_W, IMG_H))
        assert writer.isOpened()
        frame = cv2.resize(small, (IMG_W, IMG_H))
        for i in range(FRAMES):
            writer.write(np.roll(frame, 4 * i, axis=1))  # a camera pan
        writer.release()
    return str(folder), str(root / 'clip.avi')


def _palette_index(colour_bgr, palette):
    """Class map of a colour image painted in the (RGB) palette."""
    lookup = {tuple(c[::-1]): i for i, c in enumerate(palette)}
    flat = [lookup[tuple(int(v) for v in px)] for px in colour_bgr.reshape(-1, 3)]
    return np.array(flat).reshape(colour_bgr.shape[:2])


def test_folder_and_video_give_expected_files_and_test_py_class_map(adapted, tmp_path):
    folder, video = _inputs(adapted)
    out = str(tmp_path / 'out')
    summary = _infer_main()([adapted['config'], adapted['checkpoint'], folder, video,
                             '--out', out, '--raw', '--batch-size', '2'])
    assert summary['images'] == 3
    names = [f'{CITY}/{CITY}_{i:06d}_000019_leftImg8bit' for i in range(2)] + ['small']
    palette = load_checkpoint_file(adapted['checkpoint'])['meta']['PALETTE']
    for name in names:
        image = cv2.imread(osp.join(folder, name + ('.jpg' if name == 'small' else
                                                    '.png')))
        label = cv2.imread(osp.join(out, 'labels', name + '.png'), cv2.IMREAD_UNCHANGED)
        color = cv2.imread(osp.join(out, 'color', name + '.png'))
        blend = cv2.imread(osp.join(out, 'overlay', name + '.png'))
        assert label.shape == image.shape[:2] and label.dtype == np.uint8
        assert label.max() < 19
        assert np.array_equal(_palette_index(color, palette), label)
        assert np.array_equal(blend, (image * 0.5 + color * 0.5).astype(np.uint8))

    # the video: an overlay video of every frame, and the frames' train ids
    assert summary['videos'] == [osp.join(out, 'video', 'clip.mp4')]
    capture = cv2.VideoCapture(summary['videos'][0])
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == FRAMES and frames[0].shape == (IMG_H, IMG_W, 3)
    for i in range(FRAMES):
        label = cv2.imread(osp.join(out, 'labels', 'clip', f'frame_{i:06d}.png'),
                           cv2.IMREAD_UNCHANGED)
        assert label.shape == (IMG_H, IMG_W)

    # test.py's prediction of the same val image, painted at full opacity
    show = str(tmp_path / 'show')
    evaluate_main([adapted['config'], adapted['checkpoint'], '--show-dir', show,
                   '--opacity', '1', '--work-dir', str(tmp_path / 'w')])
    for name in names[:2]:
        painted = cv2.imread(osp.join(show, name + '.png'))
        label = cv2.imread(osp.join(out, 'labels', name + '.png'), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(_palette_index(painted, palette), label), name
        assert len(np.unique(label)) > 1  # a map that can differ from test.py's


def test_scale_and_bf16_keep_the_image_size(adapted, tmp_path):
    folder, _ = _inputs(adapted)
    out = str(tmp_path / 'out')
    image = osp.join(folder, 'small.jpg')
    _infer_main()([adapted['config'], adapted['checkpoint'], image, '--out', out,
                   '--raw', '--scale', '2', '--amp', 'bf16', '--device', 'cpu'])
    label = cv2.imread(osp.join(out, 'labels', 'small.png'), cv2.IMREAD_UNCHANGED)
    assert label.shape == (SMALL_H, SMALL_W)
    _infer_main()([adapted['config'], adapted['checkpoint'], image, '--out', out,
                   '--raw', '--scale', '192x160'])
    assert cv2.imread(osp.join(out, 'labels', 'small.png')).shape[:2] == (SMALL_H,
                                                                           SMALL_W)


def test_bad_inputs_are_named_before_the_model_is_built(adapted, tmp_path):
    main = _infer_main()
    args = [adapted['config'], adapted['checkpoint']]
    with pytest.raises(ConfigError, match='input .*nothing.png does not exist'):
        main(args + [str(tmp_path / 'nothing.png'), '--out', str(tmp_path)])
    text = tmp_path / 'notes.txt'
    text.write_text('x')
    with pytest.raises(ConfigError, match='notes.txt: not an image'):
        main(args + [str(text), '--out', str(tmp_path)])
    with pytest.raises(ConfigError, match="--scale: 'big'"):
        main(args + [str(text), '--out', str(tmp_path), '--scale', 'big'])
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ConfigError, match='holds no images'):
        main(args + [str(empty), '--out', str(tmp_path)])
