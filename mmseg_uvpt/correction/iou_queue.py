"""Per-class training IoU over the last N samples (docs/method.md §5).

Written here rather than reusing mmseg's ``intersect_and_union`` because that one is
per-image and imports mmcv; this one handles a whole batch in one ``bincount`` and
stays importable without mmcv.
"""
import torch


def intersection_union(pred, label, num_classes, ignore_index=255):
    """Per-sample, per-class intersection and union of two label maps.

    Args:
        pred (Tensor): predicted class ids, [B, H, W] (any integer dtype).
        label (Tensor): target class ids, [B, H, W]; ``ignore_index`` pixels, and any
            id outside ``[0, num_classes)``, count for neither map.
        num_classes (int): number of classes C.
        ignore_index (int): label value to ignore.

    Returns:
        tuple[Tensor, Tensor]: intersection and union, int64 [B, C].
    """
    pred = torch.as_tensor(pred).long()
    label = torch.as_tensor(label).long()
    if pred.shape != label.shape or pred.dim() != 3:
        raise ValueError(f'pred {tuple(pred.shape)} and label {tuple(label.shape)} '
                         'must both be [B, H, W]')
    batch = pred.shape[0]
    valid = (label != ignore_index) & (label >= 0) & (label < num_classes)
    # offset each sample's class ids so one bincount covers the whole batch
    offset = torch.arange(batch).view(batch, 1, 1) * num_classes
    size = batch * num_classes

    def count(ids, mask):
        return torch.bincount((ids + offset)[mask],
                              minlength=size).view(batch, num_classes)

    pred_ok = valid & (pred >= 0) & (pred < num_classes)
    area_pred = count(pred, pred_ok)
    area_label = count(label, valid)
    inter = count(label, valid & (pred == label))
    return inter, area_pred + area_label - inter


class IoUQueue:
    """Fixed-length FIFO of per-sample intersections and unions.

    Args:
        num_classes (int): number of classes C.
        size (int): how many samples the queue keeps (the oldest drop out).
    """

    def __init__(self, num_classes, size=1000):
        if size < 1:
            raise ValueError(f'queue size must be >= 1, got {size}')
        self.num_classes = num_classes
        self.size = size
        self.inter = torch.zeros(size, num_classes, dtype=torch.int64)
        self.union = torch.zeros(size, num_classes, dtype=torch.int64)
        self.next = 0  # slot the next sample goes to
        self.count = 0  # number of filled slots

    def push(self, inter, union):
        """Append samples; ``inter`` and ``union`` are [B, C]."""
        for i, u in zip(torch.as_tensor(inter), torch.as_tensor(union)):
            self.inter[self.next] = i
            self.union[self.next] = u
            self.next = (self.next + 1) % self.size
            self.count = min(self.count + 1, self.size)

    def iou(self):
        """IoU_c = sum(I) / sum(U) over the queued samples; NaN where sum(U) = 0."""
        inter = self.inter.sum(0).double()
        union = self.union.sum(0).double()
        return torch.where(union > 0, inter / union.clamp(min=1),
                           torch.full_like(union, float('nan')))

    def state_dict(self):
        return dict(inter=self.inter.clone(),
                    union=self.union.clone(),
                    next=self.next,
                    count=self.count)

    def load_state_dict(self, state):
        if tuple(state['inter'].shape) != (self.size, self.num_classes):
            raise ValueError(
                'correction state has an IoU queue of shape '
                f'{tuple(state["inter"].shape)}, '
                f'the hook expects ({self.size}, {self.num_classes}); queue_size or '
                'num_classes changed since the checkpoint')
        self.inter = state['inter'].clone()
        self.union = state['union'].clone()
        self.next = int(state['next'])
        self.count = int(state['count'])
