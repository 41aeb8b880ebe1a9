"""Label-store snapshots for resuming a run from a checkpoint.

A checkpoint holds the correction's state, which refers to the label store as it
was at that iteration; the live store moves on, so each checkpoint gets a snapshot
of the store (``snapshots/iter_<N>``). The snapshot is taken when mmcv's
``CheckpointHook`` saves, which its own rule decides: the correction hook runs
just before it in the same iteration (hence the priority check) and applies the
same rule. Old snapshots are pruned as the CheckpointHook prunes its checkpoints
(``keep_snapshots``, default its ``max_keep_ckpts``).
"""
from mmcv.runner import CheckpointHook, get_dist_info

from ..utils.distributed import barrier

PREFIX = 'iter_'


def snapshot_name(iteration):
    """``'iter_<iteration>'``, the snapshot of a checkpoint at ``iteration``."""
    return f'{PREFIX}{iteration}'


def find_checkpoint_hook(runner, hook):
    """The runner's ``CheckpointHook`` (None without one).

    Raises:
        RuntimeError: ``hook`` runs after it, so checkpoints would miss its state.
    """
    hooks = list(runner.hooks)
    for index, other in enumerate(hooks):
        if isinstance(other, CheckpointHook):
            if hook in hooks and hooks.index(hook) > index:
                raise RuntimeError(
                    'AdaptiveCorrectionHook must run before the CheckpointHook so '
                    'that checkpoints hold its state: give it '
                    "priority='ABOVE_NORMAL' in custom_hooks "
                    '(configure_correction does this)')
            return other
    return None


def checkpoint_due(runner, checkpoint_hook):
    """Whether the CheckpointHook saves at this iteration (its own rule)."""
    if checkpoint_hook is None or checkpoint_hook.by_epoch:
        return False
    return checkpoint_hook.every_n_iters(runner, checkpoint_hook.interval) or (
        checkpoint_hook.save_last and checkpoint_hook.is_last_iter(runner))


def take_snapshot(store, name, keep_snapshots, checkpoint_hook, synchronise=True):
    """Snapshot ``store`` as ``name`` on rank 0 and prune old snapshots; with
    ``synchronise``, between barriers, so every rank's files of this iteration are
    in and none of the next is. Every rank's writer must be flushed before."""
    rank, _ = get_dist_info()
    if synchronise:
        barrier()  # every rank has written this iteration's files
    if rank == 0:
        store.snapshot(name)
        prune_snapshots(store, keep_snapshots, checkpoint_hook)
    if synchronise:
        barrier()  # nobody writes the next iteration's files into the snapshot


def prune_snapshots(store, keep_snapshots, checkpoint_hook):
    """Remove all but the newest ``keep_snapshots`` snapshots (default the
    CheckpointHook's ``max_keep_ckpts``; all are kept when that is None or <= 0)."""
    keep = keep_snapshots
    if keep is None and checkpoint_hook is not None:
        keep = checkpoint_hook.max_keep_ckpts
    if keep is None or keep <= 0:
        return
    names = [n for n in store.list_snapshots() if n.startswith(PREFIX)]
    names.sort(key=lambda n: int(n[len(PREFIX):]))
    for name in names[:-keep]:
        store.remove_snapshot(name)
