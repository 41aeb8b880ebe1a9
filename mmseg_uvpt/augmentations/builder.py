"""Registry and builder of the batch-level Source-GtA augmentations."""
import copy

from mmcv.utils import Registry, build_from_cfg

GTA_AUGMENTATIONS = Registry('gta_augmentation')


def build_gta_augmentation(cfg, model_dir='model'):
    """Build one augmentation from its config dict.

    Args:
        cfg (dict): ``dict(type=<registered name>, **kwargs)``.
        model_dir (str): folder of pretrained augmentation networks; given to the
            augmentations that load weights (class attribute ``uses_model_dir``)
            unless their config names its own ``model_dir``.
    """
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'augmentation config must be a dict with "type", got {cfg!r}')
    cfg = copy.deepcopy(cfg)
    aug_cls = GTA_AUGMENTATIONS.get(cfg['type'])
    if aug_cls is None:
        raise KeyError(f'augmentation type {cfg["type"]!r} is not registered; known: '
                       f'{sorted(GTA_AUGMENTATIONS.module_dict)}')
    if getattr(aug_cls, 'uses_model_dir', False):
        cfg.setdefault('model_dir', model_dir)
    return build_from_cfg(cfg, GTA_AUGMENTATIONS)
