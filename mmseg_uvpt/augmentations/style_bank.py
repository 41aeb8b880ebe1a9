"""Style sources for "toward another image's style" augmentations."""
import torch


class StyleBank:
    """Recent per-image style descriptors, so that every image gets a style partner.

    A partner is drawn uniformly among the *other* images of the batch and the
    descriptors remembered from earlier batches. The bank makes the augmentation work
    at batch size 1 (the paper's setting is batch 2) and widens the style pool.

    Args:
        size (int): how many descriptors to remember (0 disables the bank).
    """

    def __init__(self, size=8):
        if size < 0:
            raise ValueError(f'StyleBank size must be >= 0, got {size}')
        self.size = size
        self.items = None  # [N, *shape] on the device of the last batch

    def __len__(self):
        return 0 if self.items is None else self.items.size(0)

    def partners(self, styles):
        """Pick a style partner for each image, then remember the batch's styles.

        Args:
            styles (Tensor): ``[B, *shape]`` descriptors of the current batch.

        Returns:
            Tensor: ``[B, *shape]``. An image without any candidate (batch of one,
            empty bank: only the very first call) is paired with itself.
        """
        styles = styles.detach()
        if self.items is not None and (self.items.shape[1:] != styles.shape[1:]
                                       or self.items.device != styles.device):
            self.items = None  # descriptors of another image size do not mix
        pool = styles if self.items is None else torch.cat([styles, self.items])
        batch = styles.size(0)
        choice = torch.arange(batch)
        for i in range(batch):
            others = [j for j in range(pool.size(0)) if j != i]
            if others:
                choice[i] = others[int(torch.randint(len(others), ()))]
        chosen = pool[choice.to(pool.device)]
        self._remember(styles)
        return chosen

    def _remember(self, styles):
        if self.size == 0:
            return
        pool = styles if self.items is None else torch.cat([styles, self.items])
        self.items = pool[:self.size].clone()
