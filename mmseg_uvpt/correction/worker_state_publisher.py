"""The worker state: what the data loaders' correction depends on, and its version.

The correction itself runs in the data-loader workers (``LoadCorrectedAnnotations``),
which read ``worker_state.json`` from the label store: the active classes and their
thresholds. This module decides what that state is, when it changes and which
version it carries: ``INACTIVE`` while no class is corrected, otherwise the
iteration of the check that last changed the active classes or their thresholds.
A check that changes neither keeps the version, so the file is rewritten (on rank
0 only: the store is shared) just when a worker would correct differently. Each
sample records the version its worker used; the hook compares it with
:attr:`WorkerStatePublisher.version` to find samples corrected with an old state.
"""
from mmcv.runner import get_dist_info

from .store_format import INACTIVE, WorkerState


class WorkerStatePublisher:
    """The published worker state of ``controller`` and its version.

    Args:
        controller (CorrectionController): holds the active classes and the
            threshold bins.
    """

    def __init__(self, controller):
        self.controller = controller
        # version of the published worker state: INACTIVE, or the iteration of the
        # check that last changed the active classes or their thresholds
        self.version = INACTIVE
        self._published = None  # (active classes, their thresholds) of version

    def restore(self, version):
        """Resume with the version saved in a checkpoint (before :meth:`start`)."""
        self.version = int(version)

    def start(self, store):
        """At run start: the controller's state is the published one; rank 0 writes
        it to ``store``."""
        self._published = self.effective_state()
        self._write(store)

    def publish(self, iteration, store):
        """After the check of ``iteration``: a new version when the check changed
        what the loaders use; rank 0 writes it to ``store``."""
        effective = self.effective_state()
        if effective == self._published:
            return
        self._published = effective
        self.version = INACTIVE if not effective[0] else int(iteration)
        self._write(store)

    def _write(self, store):
        if get_dist_info()[0] == 0:
            store.write_worker_state(self.worker_state())

    def effective_state(self):
        """What the loaders' correction depends on: active classes, their thresholds."""
        active = sorted(self.controller.active)
        return tuple(active), tuple(float(self.controller.threshold_bins[c])
                                    for c in active)

    def worker_state(self):
        """The :class:`WorkerState` that ``worker_state.json`` holds."""
        return WorkerState(self.version, self.controller.active_mask(),
                           self.controller.threshold_bins.copy())
