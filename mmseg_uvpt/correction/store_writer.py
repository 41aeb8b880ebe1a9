"""The correction's per-iteration store work, on a background thread.

Everything the hook used to do on the training thread after each step (the IoU of
the prediction against the label, the quantisation of the probabilities, the
histogram of the replaced and the new prediction, encoding and writing the files)
runs here, one iteration after the other in submission order, so the training thread
only hands over tensors it already has. The queue is bounded: when the thread falls
behind by ``max_pending`` iterations, the training thread waits (the cost shows in
the benchmark rather than in memory). Results (IoU records, histogram change,
relabelled pixels) are collected with :meth:`StoreWriter.take`, which first waits
for every submitted iteration: the hook does that before each check and each
checkpoint, so a snapshot holds exactly the store as of its iteration.
"""
import queue
import threading

import numpy as np
import torch

from .store_format import Prediction
from .iou_queue import intersection_union
from .frames import sample_to_crop
from .prob_histogram import NUM_BINS, class_prob_histogram, quantise_prob

_POLL_S = 0.5  # how often a blocked submit looks for a failure of the thread


class StoreWriteError(RuntimeError):
    """The background writer failed; the message names the file."""


class StoreWriter:
    """A thread that applies submitted iterations to a :class:`LabelStore`.

    At most one writer per store folder lives in a process: a new one first lets an
    earlier one (of a run that ended with an exception, whose hook never reached
    ``after_run``) finish and stop, so it cannot write into a restored store.

    Args:
        store (LabelStore): the store.
        num_classes (int): number of classes C.
        ignore_index (int): label value the IoU ignores.
        max_pending (int): iterations that may wait in the queue.
    """

    _live = {}  # store folder -> its writer in this process
    _live_lock = threading.Lock()

    def __init__(self, store, num_classes, ignore_index=255, max_pending=8):
        with StoreWriter._live_lock:
            earlier = StoreWriter._live.pop(store.root, None)
        if earlier is not None:
            earlier.stop()
        self.store = store
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self._jobs = queue.Queue(maxsize=max_pending)
        self._cond = threading.Condition()
        self._submitted = self._completed = 0
        self._last_done = None  # iteration of the last finished job
        self._error = None
        self._path = None  # file being written, for the error message
        self._reset_results()
        self._thread = threading.Thread(target=self._run, name='correction-store-writer',
                                        daemon=True)
        self._thread.start()
        with StoreWriter._live_lock:
            StoreWriter._live[store.root] = self

    def _reset_results(self):
        self._records = []  # (iteration, inter [B, C], union [B, C]) per job
        self._hist_delta = np.zeros((self.num_classes, NUM_BINS), dtype=np.int64)
        self._changed = 0

    # --- training-thread side -----------------------------------------------------
    def submit(self, iteration, preds, probs, labels, samples):
        """Queue one iteration.

        Args:
            iteration (int): the completed iteration (1-based).
            preds (Tensor): uint8 [B, h, w] predictions in the sample frames.
            probs (Tensor): float [B, h, w] their max-probabilities.
            labels (Tensor): uint8 [B, h, w] the labels trained on.
            samples (list[dict]): per sample ``filename``, ``owned`` (whether this
                process stores it), ``box``, ``flip``, ``direction``,
                ``full_shape``, ``label`` (corrected full label to store, or None)
                and ``changed``.
        """
        job = (int(iteration), preds, probs, labels, samples)
        with self._cond:
            self._raise_if_failed()
            self._submitted += 1
        while True:
            try:
                self._jobs.put(job, timeout=_POLL_S)
                return
            except queue.Full:
                with self._cond:
                    self._raise_if_failed()

    def wait_until(self, iteration):
        """Block until every job up to ``iteration`` is written."""
        with self._cond:
            self._cond.wait_for(lambda: self._error is not None or self._completed ==
                                self._submitted or (self._last_done is not None and
                                                    self._last_done >= iteration))
            self._raise_if_failed()

    def flush(self):
        """Block until every submitted job is written."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._error is not None or self._completed == self._submitted)
            self._raise_if_failed()

    def take(self):
        """Flush, then hand over and reset the collected results.

        Returns:
            tuple: IoU records ``[(iteration, inter, union)]``, the [C, 256]
            histogram change and the number of relabelled pixels.
        """
        self.flush()
        with self._cond:
            out = (self._records, self._hist_delta, self._changed)
            self._reset_results()
        return out

    def close(self):
        """Write what is queued and stop the thread (raises a failure)."""
        try:
            self.flush()
        finally:
            self.stop()

    def stop(self):
        """Stop the thread after the queued jobs, without raising their failure."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        with StoreWriter._live_lock:
            if StoreWriter._live.get(self.store.root) is self:
                del StoreWriter._live[self.store.root]

    def _raise_if_failed(self):
        if self._error is not None:
            raise self._error

    # --- writer-thread side -------------------------------------------------------
    def _run(self):
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                if self._error is None:
                    self._process(*job)
            except BaseException as err:  # noqa: B036 (reported to the training thread)
                where = f'writing {self._path}' if self._path else 'processing a sample'
                failure = StoreWriteError(f'the pseudo-label store writer failed {where}: '
                                          f'{type(err).__name__}: {err}')
                failure.__cause__ = err
                with self._cond:
                    self._error = failure
            finally:
                with self._cond:
                    self._completed += 1
                    self._last_done = job[0]
                    self._cond.notify_all()

    def _process(self, iteration, preds, probs, labels, samples):
        self._path = None
        inter, union = intersection_union(preds, labels, self.num_classes,
                                          self.ignore_index)
        delta = np.zeros_like(self._hist_delta)
        changed = 0
        preds = torch.as_tensor(preds).numpy()
        probs = torch.as_tensor(probs).float().numpy()
        for pred, prob, sample in zip(preds, probs, samples):
            if not sample['owned']:
                continue
            frame = (sample['box'], sample['flip'], sample['direction'])
            new = Prediction(iteration, tuple(int(v) for v in sample['box']),
                             tuple(sample['full_shape']), sample_to_crop(pred, *frame),
                             quantise_prob(sample_to_crop(prob, *frame)))
            filename = sample['filename']
            self._path = self.store.prediction_path(filename)
            old = self.store.read_prediction(filename)
            if old is not None:
                delta -= class_prob_histogram(old.pred, old.prob, self.num_classes)
            delta += class_prob_histogram(new.pred, new.prob, self.num_classes)
            if sample['label'] is not None:
                # before the prediction: a loader that sees this visit's prediction
                # then also sees its label
                self._path = self.store.label_path(filename)
                self.store.write_label(filename, sample['label'])
                changed += int(sample['changed'])
            self._path = self.store.prediction_path(filename)
            self.store.write_prediction(filename, new)
        self._path = None
        with self._cond:
            self._records.append((iteration, inter, union))
            self._hist_delta += delta
            self._changed += changed
