"""Wire a config's correction parts to a run folder (called by train.py)."""
import os.path as osp

HOOK_TYPE = 'AdaptiveCorrectionHook'
LOADER_TYPE = 'LoadCorrectedAnnotations'
CROP_TYPE = 'RandomCropWithBox'
# what the hook reads from each sample's img_metas
REQUIRED_META_KEYS = ('ori_filename', 'ori_shape', 'scale_factor', 'flip',
                      'flip_direction', 'crop_bbox', 'label_path')
# what LoadCorrectedAnnotations records for the hook; added to Collect's meta_keys
# here, as it is an internal hand-over rather than a config choice
LOADER_META_KEY = 'correction'


def _steps(node, step_type):
    """Every dict with ``type == step_type`` anywhere inside ``node``."""
    if isinstance(node, dict):
        if node.get('type') == step_type:
            yield node
        for value in node.values():
            yield from _steps(value, step_type)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _steps(value, step_type)


def _pipelines(node):
    """Every ``pipeline`` list inside a (possibly wrapped) dataset config."""
    if isinstance(node, dict):
        if isinstance(node.get('pipeline'), (list, tuple)):
            yield node['pipeline']
        for key, value in node.items():
            if key != 'pipeline':
                yield from _pipelines(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _pipelines(value)


def _check_train_pipeline(pipeline):
    types = [step.get('type') for step in pipeline if isinstance(step, dict)]
    for needed in (LOADER_TYPE, CROP_TYPE):
        if needed not in types:
            raise ValueError(f'{HOOK_TYPE} is configured but the train pipeline has no '
                             f'{needed} step (pipeline: {types})')
    for step in pipeline:
        if isinstance(step,
                      dict) and step.get('type') == 'Collect' and 'meta_keys' in step:
            missing = [k for k in REQUIRED_META_KEYS if k not in step['meta_keys']]
            if missing:
                raise ValueError(
                    f'the train pipeline\'s Collect meta_keys lack {missing}, '
                    f'which {HOOK_TYPE} needs')
            if LOADER_META_KEY not in step['meta_keys']:
                step['meta_keys'] = tuple(step['meta_keys']) + (LOADER_META_KEY, )


def configure_correction(cfg, work_dir):
    """Point the label loader and the correction hook at ``<work_dir>/correction``.

    Sets ``store_dir`` of every ``LoadCorrectedAnnotations`` in ``cfg.data.train``
    (to None when no ``AdaptiveCorrectionHook`` is configured: nothing then writes
    the store, and a store left by an earlier run must not be read) and
    ``work_dir`` (plus ``priority='ABOVE_NORMAL'`` and the loader's
    ``reduce_zero_label`` unless given) of every ``AdaptiveCorrectionHook`` in
    ``cfg.custom_hooks``. When the hook is present, checks that the train pipeline
    records what it needs and adds ``'correction'`` (what the label loader used) to
    its Collect ``meta_keys``. Edits ``cfg`` in place and returns it.

    Args:
        cfg (mmcv.Config): the run's config.
        work_dir (str): the run folder.

    Raises:
        ValueError: the hook is configured but the train pipeline lacks a step or
            meta key it needs.
    """
    work_dir = osp.abspath(work_dir)
    store_dir = osp.join(work_dir, 'correction', 'labels')
    train = (cfg.get('data') or {}).get('train')
    loaders = list(_steps(train, LOADER_TYPE))
    hooks = list(_steps(cfg.get('custom_hooks') or [], HOOK_TYPE))
    # Only the hook clears and writes the store. Without it (the "no correction"
    # ablation) a store left in the work dir by an earlier run is stale, so the
    # loader reads the pseudo-labels alone.
    for loader in loaders:
        loader['store_dir'] = store_dir if hooks else None
    if not hooks:
        return cfg
    for pipeline in _pipelines(train):
        _check_train_pipeline(pipeline)
    if not loaders:
        raise ValueError(f'{HOOK_TYPE} is configured but cfg.data.train has no '
                         f'{LOADER_TYPE} step, so corrected labels would never be read')
    zero_labels = {bool(loader.get('reduce_zero_label', False)) for loader in loaders}
    if len(zero_labels) > 1:
        raise ValueError(f'the {LOADER_TYPE} steps of cfg.data.train disagree on '
                         'reduce_zero_label')
    reduce_zero_label = zero_labels.pop()
    for hook in hooks:
        hook['work_dir'] = work_dir
        hook.setdefault('priority', 'ABOVE_NORMAL')
        hook.setdefault('reduce_zero_label', reduce_zero_label)
    return cfg
