"""Label store: layout, atomic files, snapshot/restore (docs/method.md §5)."""
import os
import os.path as osp

import numpy as np
import pytest

from mmseg_uvpt.correction.label_store import LabelStore
from mmseg_uvpt.correction.store_format import Prediction


def _files(folder):
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = osp.join(root, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, folder)] = f.read()
    return out


def test_layout_and_round_trip(tmp_path):
    store = LabelStore(str(tmp_path / 'correction'))
    name = 'aachen/aachen_000000_000019_leftImg8bit.jpg'
    label = np.arange(12, dtype=np.uint8).reshape(3, 4)
    store.write_label(name, label)
    assert osp.isfile(tmp_path /
                      'correction/labels/aachen/aachen_000000_000019_leftImg8bit.png')
    assert np.array_equal(store.read_label(name), label)
    assert store.read_prediction(name) is None
    store.write_prediction(name, Prediction(3, (1, 4, 0, 4), (5, 4), label + 1,
                                            label * 20))
    stored = store.read_prediction(name)
    assert stored.iteration == 3 and stored.box == (1, 4, 0, 4)
    assert np.array_equal(stored.pred, label + 1)
    assert np.array_equal(stored.prob, label * 20)
    assert osp.isfile(tmp_path /
                      'correction/preds/aachen/aachen_000000_000019_leftImg8bit.pred')
    # no temp file is left behind by the atomic writes
    assert not [f for f in _files(store.root) if osp.basename(f).startswith('.')]
    with pytest.raises(ValueError):
        store.write_label('../escape.png', label)


def test_snapshot_is_frozen_and_restore_is_exact(tmp_path):
    store = LabelStore(str(tmp_path / 'correction'))
    first = np.full((2, 3), 7, dtype=np.uint8)
    store.write_label('a.png', first)
    store.write_prediction('a.png', Prediction(4, (0, 2, 0, 3), (2, 3), first, first))
    store.snapshot('iter_4')
    snap_label = tmp_path / 'correction/snapshots/iter_4/labels/a.png'
    # hard-linked, not copied, where the file system allows it
    assert os.stat(snap_label).st_ino == os.stat(store.label_path('a.png')).st_ino
    frozen = _files(tmp_path / 'correction/snapshots/iter_4')

    store.write_label('a.png', first + 1)  # replaces the live file, not the inode
    store.write_label('b.png', first)  # a file created after the snapshot
    assert _files(tmp_path / 'correction/snapshots/iter_4') == frozen

    store.restore('iter_4')
    live = {k: v for k, v in _files(store.root).items() if not k.startswith('snapshots')}
    assert live == frozen
    assert store.read_label('b.png') is None
    assert np.array_equal(store.read_label('a.png'), first)
    # after a restore, writes still leave the snapshot alone
    store.write_label('a.png', first + 2)
    assert _files(tmp_path / 'correction/snapshots/iter_4') == frozen

    store.snapshot('iter_8')
    assert store.list_snapshots() == ['iter_4', 'iter_8']
    store.remove_snapshot('iter_4')
    assert store.list_snapshots() == ['iter_8']
    with pytest.raises(FileNotFoundError, match='iter_4'):
        store.restore('iter_4')


def test_clear_keeps_snapshots(tmp_path):
    store = LabelStore(str(tmp_path / 'correction'))
    store.write_label('a.png', np.zeros((2, 2), np.uint8))
    store.snapshot('iter_2')
    store.clear()
    assert store.read_label('a.png') is None
    assert store.list_snapshots() == ['iter_2']
