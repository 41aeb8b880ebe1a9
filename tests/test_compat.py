"""Each torch-2 fix for mmcv 1.7.2 in mmseg_uvpt.utils.compat, checked by behaviour
that breaks without it."""
import logging
import os

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn

import mmseg_uvpt  # noqa: F401  (applies the fixes)
from mmseg_uvpt.checkpoints import CheckpointError, load_checkpoint_file


class _Custom:
    """Not a tensor or plain container: weights_only loading must refuse it."""


class _Linear(nn.Linear):
    """mmcv runners need a ``train_step``; resume never calls it."""

    def train_step(self, *args, **kwargs):
        raise NotImplementedError


def test_scatter_stream_accepts_int_gpu_index():
    from mmcv.parallel import _functions
    # torch's _get_stream reads device.type; mmcv passes an int. Without a GPU the
    # fixed function returns no stream instead of raising AttributeError.
    if torch.cuda.is_available():
        assert _functions._get_stream(0) is not None
    else:
        assert _functions._get_stream(0) is None


def test_mm_distributed_data_parallel_forward(tmp_path):
    from mmcv.parallel import MMDistributedDataParallel
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store', rank=0,
                            world_size=1)
    try:
        model = MMDistributedDataParallel(nn.Linear(3, 2))
        out = model(torch.ones(4, 3))  # DDP.forward -> mmcv's _run_ddp_forward
        assert out.shape == (4, 2)
    finally:
        dist.destroy_process_group()


def _runner(tmp_path, model):
    from mmcv.runner import IterBasedRunner
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return IterBasedRunner(model, optimizer=optimizer, work_dir=str(tmp_path),
                           logger=logging.getLogger('test_compat'), max_iters=10)


def test_iter_runner_resume_on_cpu(tmp_path):
    model = _Linear(3, 2)
    runner = _runner(tmp_path, model)
    runner._iter = 7
    runner.save_checkpoint(str(tmp_path), filename_tmpl='iter_{}.pth')
    resumed = _runner(tmp_path, _Linear(3, 2))
    # the default map_location calls torch.cuda.current_device() without the fix
    resumed.resume(str(tmp_path / 'iter_8.pth'))
    assert resumed.iter == 7
    torch.testing.assert_close(resumed.model.weight, model.weight)


def test_checkpoint_with_arbitrary_objects_is_refused(tmp_path, monkeypatch):
    path = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': _Custom()}, path)
    monkeypatch.delenv('UVPT_TRUST_CHECKPOINTS', raising=False)
    with pytest.raises(CheckpointError, match='bad.pth'):
        load_checkpoint_file(path)
    # mmcv's own loader goes through the same safe path
    from mmcv.runner import CheckpointLoader
    with pytest.raises(CheckpointError, match='bad.pth'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    monkeypatch.setenv('UVPT_TRUST_CHECKPOINTS', '1')
    with pytest.warns(UserWarning, match='UVPT_TRUST_CHECKPOINTS'):
        assert isinstance(load_checkpoint_file(path)['meta'], _Custom)


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match=os.path.join(str(tmp_path), 'nope.pth')):
        load_checkpoint_file(tmp_path / 'nope.pth')


def test_atomic_save_keeps_previous_file_on_failure(tmp_path):
    from mmseg_uvpt.checkpoints import atomic_save
    path = tmp_path / 'ckpt.pth'
    atomic_save({'a': torch.zeros(2)}, path)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError('boom')

    with pytest.raises(RuntimeError, match='boom'):
        atomic_save({'a': Unpicklable()}, path)
    torch.testing.assert_close(load_checkpoint_file(path)['a'], torch.zeros(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt.pth']


def test_json_logs_accept_tensors_from_resumed_hook_state():
    import mmcv
    import numpy as np
    meta = dict(hook_msgs=dict(hist=torch.tensor([[1, 2]]), best=np.float64(.5)))
    text = mmcv.dump(meta, file_format='json')
    assert text == '{"hook_msgs": {"hist": [[1, 2]], "best": 0.5}}'


def test_numpy_palette_survives_saving(tmp_path):
    import numpy as np
    from PIL import Image
    palette = np.zeros((35, 3), np.uint8)
    palette[7] = (128, 64, 128)
    image = Image.fromarray(np.full((2, 3), 7, np.uint8)).convert('P')
    image.putpalette(palette)  # what mmseg's CityscapesDataset.results2img does
    image.save(tmp_path / 'p.png')
    reloaded = Image.open(tmp_path / 'p.png')
    assert reloaded.getpalette()[21:24] == [128, 64, 128]
    assert np.asarray(reloaded).tolist() == [[7, 7, 7], [7, 7, 7]]
