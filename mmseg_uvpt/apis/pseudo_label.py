"""Offline pseudo-labels of the target train split by the source model
(docs/method.md §6).

The source model labels every target training image once: resized as in the config's
test pipeline (1024x512 for Cityscapes), single scale, whole image, hard argmax, no
confidence threshold. The prediction is taken back to the image's original size, as
mmseg's test path does, so the labels load like ground truth.

Output layout (docs/method.md §6), mirroring the target image folder::

    <out_dir>/<city>/<stem>_pseudoTrainIds.png   uint8 trainIds
    <out_dir>/manifest.json                      source checkpoint sha256, config, count

Every file is written atomically (temp file + rename), so a killed run leaves only
whole files; a second run skips the images whose two files exist. Before the model
is loaded, every image still to label is checked (header, and a PNG is whole); an
image that fails while the run is under way stops it with an error naming the file,
keeping the labels written so far, so that a re-run after the file is fixed labels
only the rest.
"""
import datetime
import hashlib
import json
import os
import os.path as osp
from functools import partial

import numpy as np
import torch
from mmcv.parallel import collate
from mmcv.runner import get_dist_info
from mmseg.datasets import build_dataset
from mmseg.models import build_segmentor
from torch.utils.data import DataLoader, Subset
from tqdm import tqdm

from ..utils.atomic_write import write_json_atomic, write_png_atomic
from ..datasets.pseudo_label import MANIFEST_NAME, PSEUDO_LABEL_SUFFIX, pseudo_label_path
from ..datasets.validation import check_dataset_inputs
from ..checkpoints import CheckpointError
from ..checkpoints.source_mapping import load_source_checkpoint
from ..utils.config_checks import ConfigError



def file_sha256(path, chunk=1 << 20):
    """Hex sha256 of a file, read in chunks (checkpoints are hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def load_source_model(cfg, checkpoint_path):
    """Build ``cfg.model`` for inference and load the source checkpoint into it.

    A source model has no adapter, so :func:`load_source_checkpoint` accepts only a
    checkpoint whose keys and shapes match the model exactly.
    """
    model = build_segmentor(cfg.model, test_cfg=cfg.get('test_cfg'))
    load_source_checkpoint(model, checkpoint_path)
    return model.eval()


def _start_manifest(out_dir, info):
    """Refuse to mix pseudo-labels of two models in one folder, then record the run.

    The manifest is written (``complete: false``) before the first label, so a folder
    with labels but no manifest cannot come from this tool and is refused as well.
    """
    path = osp.join(out_dir, MANIFEST_NAME)
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        if old.get('source_checkpoint_sha256') != info['source_checkpoint_sha256']:
            raise ConfigError(
                f'{out_dir} holds pseudo-labels of another checkpoint '
                f'({old.get("source_checkpoint")}, sha256 '
                f'{old.get("source_checkpoint_sha256")}); choose another '
                f'--pseudo_label_dir or delete it')
    elif osp.isdir(out_dir) and any(f.endswith(PSEUDO_LABEL_SUFFIX)
                                    for _, _, files in os.walk(out_dir) for f in files):
        raise ConfigError(f'{out_dir} holds pseudo-labels but no {MANIFEST_NAME}; their '
                         f'source is unknown, choose another --pseudo_label_dir')
    write_json_atomic(path, dict(info, complete=False))


def label_images(model, dataset, out_dir, indices, device, workers=0, progress=True):
    """Label ``dataset[i]`` for ``i`` in ``indices`` and write its label PNG.

    Returns the number of images written.
    """
    loader = DataLoader(
        Subset(dataset, indices), batch_size=1, shuffle=False, num_workers=workers,
        collate_fn=partial(collate, samples_per_gpu=1))
    written = 0
    for position, data in enumerate(tqdm(loader, desc='pseudo-labels',
                                         disable=not progress)):
        index = indices[position]
        img = data['img'][0].to(device)
        img_metas = data['img_metas'][0].data[0]
        with torch.no_grad():
            prob = model.inference(img, img_metas, rescale=True)[0]
        label = prob.argmax(dim=0)
        label_path = pseudo_label_path(out_dir, dataset.img_infos[index]['filename'],
                                       dataset.img_suffix)
        write_png_atomic(label_path, label.cpu().numpy().astype(np.uint8))
        written += 1
    return written


def generate_pseudo_labels(cfg, checkpoint_path, out_dir, progress=True):
    """Check the inputs, then label the target train split ``cfg.data.pseudo_label``.

    Args:
        cfg (mmcv.Config): a pseudo-label config (source model + ``data.pseudo_label``).
        checkpoint_path (str): the source checkpoint; it must fit ``cfg.model``.
        out_dir (str): the pseudo-label folder; existing outputs are kept and skipped.
        progress (bool): show a tqdm bar (rank 0 only).

    Under ``torch.distributed`` each rank labels every world-size-th pending image.

    Returns:
        dict: the manifest written to ``out_dir/manifest.json``.
    """
    if 'pseudo_label' not in cfg.data:
        raise KeyError(f'config {cfg.filename} has no data.pseudo_label dataset')
    if not osp.isfile(checkpoint_path):
        raise CheckpointError(f'checkpoint {checkpoint_path} does not exist')
    # the dataset checks that the target image folder exists and holds images
    dataset = build_dataset(cfg.data.pseudo_label)
    paths = [pseudo_label_path(out_dir, img_info['filename'], dataset.img_suffix)
             for img_info in dataset.img_infos]
    pending = [i for i in range(len(dataset)) if not osp.isfile(paths[i])]
    check_dataset_inputs(dataset, indices=pending)
    model = load_source_model(cfg, checkpoint_path)
    num_classes = model.decode_head.num_classes
    if len(dataset.CLASSES) != num_classes:
        raise ValueError(f'data.pseudo_label has {len(dataset.CLASSES)} classes but '
                         f'the model predicts {num_classes} (config {cfg.filename})')

    rank, world_size = get_dist_info()
    info = dict(
        source_checkpoint=osp.abspath(checkpoint_path),
        source_checkpoint_sha256=file_sha256(checkpoint_path),
        config_file=cfg.filename, config=cfg._cfg_dict.to_dict(),
        image_dir=osp.abspath(dataset.img_dir), class_names=list(dataset.CLASSES),
        label_suffix=PSEUDO_LABEL_SUFFIX, expected=len(dataset))
    if rank == 0:
        _start_manifest(out_dir, info)
    _barrier(world_size)

    device = torch.device('cuda', torch.cuda.current_device()) \
        if torch.cuda.is_available() else torch.device('cpu')
    label_images(model.to(device), dataset, out_dir, pending[rank::world_size], device,
                 workers=cfg.data.get('workers_per_gpu', 0),
                 progress=progress and rank == 0)
    _barrier(world_size)

    count = sum(osp.isfile(p) for p in paths)
    manifest = dict(info, count=count, complete=count == len(dataset),
                    finished=datetime.datetime.now().isoformat(timespec='seconds'))
    if rank == 0:
        write_json_atomic(osp.join(out_dir, MANIFEST_NAME), manifest)
    return manifest


def _barrier(world_size):
    if world_size > 1:
        torch.distributed.barrier()
