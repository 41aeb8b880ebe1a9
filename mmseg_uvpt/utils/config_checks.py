"""Input checks that run before any long work, each naming the file or key at fault.

The scripts call these right after parsing the command line, so that a typo or a
missing folder fails in seconds with one clear message rather than after the model is
built, or deep inside a data loader worker.
"""
import difflib
import os
import os.path as osp

CONFIG_SUFFIXES = ('.py', '.json', '.yaml', '.yml')

#: dotted keys the runtime reads with a default, so ``--cfg-options`` may set them
#: even when the config does not (anything below them is accepted as well)
OPTIONAL_KEYS = (
    'auto_resume', 'cudnn_benchmark', 'custom_hooks', 'data_check_files', 'device',
    'dist_params',
    'evaluation', 'find_unused_parameters', 'gpu_ids', 'load_from', 'resume_from',
    'prompt_only_checkpoints',
    'seed', 'source_checkpoint', 'sync_bn', 'work_dir', 'checkpoint_config',
    'data.train_dataloader', 'data.val_dataloader', 'data.test_dataloader',
)

#: dataset keys that name folders which must exist and hold files
_FOLDER_KEYS = ('img_dir', 'ann_dir', 'pseudo_label_dir')


class ConfigError(ValueError):
    """A config file, config key or data path is wrong; the message names it."""


def check_config_file(path):
    """The config file exists and has a suffix mmcv can read.

    Returns:
        str: ``path`` unchanged.
    """
    if not osp.isfile(path):
        raise ConfigError(f'config file {path} does not exist')
    if not path.endswith(CONFIG_SUFFIXES):
        raise ConfigError(f'config file {path} must end with one of {CONFIG_SUFFIXES}')
    return path


def check_file(path, key):
    """A file named by ``key`` (a CLI option or config key) exists."""
    if not path or not osp.isfile(path):
        raise ConfigError(f'{key}: file {path} does not exist')
    return path


def _is_optional(key):
    return any(key == opt or key.startswith(opt + '.') for opt in OPTIONAL_KEYS)


def _child(node, part):
    """``node[part]`` of a dict, ``node[int(part)]`` of a list; LookupError if absent."""
    if isinstance(node, dict):
        return node[part]
    if isinstance(node, (list, tuple)) and part.lstrip('-').isdigit():
        return node[int(part)]  # IndexError subclasses LookupError like KeyError
    raise KeyError(part)


def check_cfg_options(cfg, options):
    """Every ``--cfg-options`` key exists in the loaded config.

    mmcv would silently add a mistyped key (``optimizer.lrr=1``) as a new entry that
    nothing reads; this raises instead, naming the key and the closest existing ones.

    Args:
        cfg (mmcv.Config): the config as loaded from its file.
        options (dict | None): the parsed ``--cfg-options`` (dotted key -> value).
    """
    for key in options or {}:
        if _is_optional(key):
            continue
        node, parents = dict(cfg.items()), []  # a Config or a plain dict
        for part in key.split('.'):
            try:
                node = _child(node, part)
            except LookupError:
                where = '.'.join(parents) or 'the top level'
                known = [str(k) for k in node] if isinstance(node, dict) else []
                close = difflib.get_close_matches(part, known, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ''
                raise ConfigError(
                    f"--cfg-options: unknown key '{key}': '{part}' is not in {where} "
                    f'of config {getattr(cfg, "filename", "")}{hint}') from None
            parents.append(part)


def leaf_dataset_cfgs(dataset_cfg, key):
    """Yield ``(dotted key, leaf dataset cfg)`` through lists and dataset wrappers
    (``ConcatDataset.datasets``, ``RepeatDataset.dataset``)."""
    if isinstance(dataset_cfg, (list, tuple)):
        for i, sub in enumerate(dataset_cfg):
            yield from leaf_dataset_cfgs(sub, f'{key}.{i}')
        return
    if not isinstance(dataset_cfg, dict):
        return
    if 'datasets' in dataset_cfg:
        yield from leaf_dataset_cfgs(dataset_cfg['datasets'], f'{key}.datasets')
    elif 'dataset' in dataset_cfg:
        yield from leaf_dataset_cfgs(dataset_cfg['dataset'], f'{key}.dataset')
    else:
        yield key, dataset_cfg


def _has_file(folder):
    """True as soon as one file is found below ``folder``."""
    return any(files for _, _, files in os.walk(folder, followlinks=True))


def _check_folder(path, key):
    # which files count is the dataset class's business (it names the suffix it
    # looked for); here only a missing or empty folder is caught, before any build
    if not osp.isdir(path):
        raise ConfigError(f'{key}: folder {path} does not exist')
    if not _has_file(path):
        raise ConfigError(f'{key}: folder {path} is empty')


def check_dataset_paths(cfg, splits, need_labels=True):
    """The data folders of ``cfg.data[split]`` exist and are not empty.

    Args:
        cfg (mmcv.Config): the run config.
        splits (Sequence[str]): e.g. ``('train', 'val')``.
        need_labels (bool): also check ``ann_dir`` (False for ``--format-only``
            on a split without labels).
    """
    for split in splits:
        if split not in cfg.data:
            raise ConfigError(f'data.{split}: the config defines no {split} dataset')
        for key, ds in leaf_dataset_cfgs(cfg.data[split], f'data.{split}'):
            root = ds.get('data_root')
            if root is not None and not osp.isdir(root):
                raise ConfigError(f'{key}.data_root: folder {root} does not exist')
            for name in _FOLDER_KEYS:
                folder = ds.get(name)
                if folder is None and name in ds and name != 'ann_dir':
                    raise ConfigError(f'{key}.{name}: not set (the config leaves it '
                                      'None; give it with --cfg-options)')
                if folder is None or (name == 'ann_dir' and not need_labels):
                    continue
                # mmseg joins img_dir/ann_dir to data_root; the pseudo-label dataset
                # takes its folder as given
                if root is not None and name != 'pseudo_label_dir':
                    folder = osp.join(root, folder)
                _check_folder(folder, f'{key}.{name}')
            split_file = ds.get('split')
            if split_file is not None:
                path = split_file if root is None or osp.isabs(split_file) \
                    else osp.join(root, split_file)
                if not osp.isfile(path):
                    raise ConfigError(f'{key}.split: file {path} does not exist')
