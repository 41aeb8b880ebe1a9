"""The Source-GtA augmentation groups: one is drawn per training iteration."""
import torch

from .base import randint
from .builder import build_gta_augmentation


class AugmentationGroups:
    """Named groups of augmentations with draw probabilities.

    Args:
        groups (list[dict]): ``dict(name=str, prob=float, augs=list[dict])`` per
            group. ``name`` is an identifier (used in log keys), ``prob`` a positive
            weight (normalised over the groups), ``augs`` augmentation configs
            (see :func:`build_gta_augmentation`); one of them, uniformly, is applied
            to the whole batch when the group is drawn.
        model_dir (str): folder of pretrained augmentation networks.
        build_augs (bool): build the augmentations (load networks). Off for
            inference, where only the number of groups matters.
    """

    def __init__(self, groups, model_dir='model', build_augs=True):
        if not isinstance(groups, (list, tuple)) or not groups:
            raise ValueError(f'aug_groups must be a non-empty list of dicts, got {groups!r}')
        self.names, probs, self.augs = [], [], []
        for i, group in enumerate(groups):
            where = f'aug_groups[{i}]'
            missing = {'name', 'prob', 'augs'} - set(group)
            if missing:
                raise KeyError(f'{where} lacks {sorted(missing)}')
            name = group['name']
            if not str(name).isidentifier() or name in self.names:
                raise ValueError(f'{where}: name {name!r} must be a unique identifier')
            if not group['prob'] > 0 or not group['augs']:
                raise ValueError(f'{where} ({name}): needs prob > 0 and at least one aug')
            self.names.append(name)
            probs.append(float(group['prob']))
            if build_augs:
                self.augs.append([build_gta_augmentation(cfg, model_dir)
                                  for cfg in group['augs']])
        self.probs = torch.tensor(probs) / sum(probs)
        self.built = build_augs

    def __len__(self):
        return len(self.names)

    def draw(self):
        """Index of a group drawn with the group probabilities (global CPU generator)."""
        return int(torch.multinomial(self.probs, 1))

    def apply(self, index, pixels):
        """Apply one augmentation of group ``index``, drawn uniformly, to the batch.

        Args:
            index (int): group index.
            pixels (Tensor): ``[B, 3, H, W]`` RGB in ``[0, 255]``.

        Returns:
            tuple[Tensor, int]: augmented batch and the augmentation's index in the group.
        """
        if not self.built:
            raise RuntimeError('augmentation groups were built without their '
                               'augmentations (build_augs=False): inference only')
        augs = self.augs[index]
        which = int(randint(len(augs)))
        return augs[which](pixels), which

    def __repr__(self):
        parts = [f'{n} (p={p:.3f}): {self.augs[i] if self.built else "not built"}'
                 for i, (n, p) in enumerate(zip(self.names, self.probs.tolist()))]
        return 'AugmentationGroups(\n  ' + '\n  '.join(parts) + ')'
