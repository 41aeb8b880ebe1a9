"""Training-step time, peak memory, inference time and parameter counts of the
adaptation and fine-tuning set-ups (benchmarks/README.md), behind ``tools/benchmark.py``.

A *case* is data: a model config, its tiny twin for ``--toy`` runs, the schedule whose
``optimizer`` the step uses, ``cfg-options``-style overrides and the TF32 switch. Every
case is built from its config with random weights; a step is the segmentor's own
``train_step`` (all scales, losses) plus backward and the optimiser step, as mmcv's
``OptimizerHook`` runs it. Inference is mmseg's whole-image ``simple_test``.
"""
import gc
import logging
import os
import os.path as osp
import platform
import statistics
import time
import traceback
from contextlib import contextmanager

import torch
from mmcv import Config
from mmcv.cnn.utils import revert_sync_batchnorm
from mmcv.runner import build_optimizer
from mmseg.models import build_segmentor

from ..utils.param_report import param_table

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODELS = 'configs/_base_/models'
UVPT_SCHEDULE = 'configs/_base_/schedules/uvpt_80k.py'
FINETUNE_SCHEDULE = 'configs/_base_/schedules/pretrain_standard_400k.py'

# Precision/attention settings of the adaptation cases. The baseline is the
# reference's set-up (fp32 throughout, stock attention, no TF32); `opt` turns on the
# cheap switches (bf16 autocast, TF32, fused attention in the frozen blocks);
# `opt_cp` adds gradient checkpointing of the frozen blocks and the adapter's
# interactors, trading time for memory.
_FP32 = dict(tf32=False, overrides={'model.amp_dtype': None,
                                    'model.backbone.fused_attention': False})
_OPTIMISED = dict(tf32=True, overrides={'model.amp_dtype': 'bfloat16',
                                        'model.backbone.fused_attention': True})
_CHECKPOINTED = dict(tf32=True, overrides=dict(
    _OPTIMISED['overrides'],
    **{'model.backbone.with_cp': True, 'model.backbone.prompt_cfg.with_cp': True}))
_VARIANTS = {'': ('fp32', _FP32), '_opt': ('bf16 + fused attention + TF32', _OPTIMISED),
             '_opt_cp': ('bf16 + fused attention + TF32 + checkpointing', _CHECKPOINTED)}
# adaptation models: case prefix -> (description, full-size config, tiny config)
_ADAPTATION = {
    'uvpt_swin-b': ('Uni-UVPT Swin-B, 3 scales', f'{MODELS}/uvpt_daformer_swin-b.py',
                    f'{MODELS}/uvpt_daformer_swin-tiny.py'),
    'uvpt_mit-b5': ('Uni-UVPT MiT-B5, 3 scales', f'{MODELS}/uvpt_daformer_mit-b5.py',
                    f'{MODELS}/uvpt_daformer_mit-tiny.py'),
    # A frozen DINOv2 ViT (not the paper's backbones). ViTPrompt takes the same
    # switches (fused_attention sets timm's fused_attn, with_cp checkpoints its
    # blocks), so the three settings apply as they are. The pyramid trains; the
    # schedule's optimizer has no `pyramid` key, so it steps at the base LR here,
    # not the runs' 10x, which changes neither the step's time nor its memory.
    'uvpt_vit-b14': ('Uni-UVPT ViT-B/14, 3 scales',
                     f'{MODELS}/uvpt_daformer_vit-b14.py',
                     f'{MODELS}/uvpt_daformer_vit-tiny.py'),
    'uvpt_vit-l14': ('Uni-UVPT ViT-L/14, 3 scales',
                     f'{MODELS}/uvpt_daformer_vit-l14.py',
                     f'{MODELS}/uvpt_daformer_vit-tiny.py'),
}

#: name -> case. ``config``/``toy_config`` are relative to the repository root;
#: ``overrides`` are dotted config keys as for ``--cfg-options``.
CASES = {
    f'{prefix}{suffix}': dict(
        description=f'{desc}, {setting}', config=config, toy_config=toy_config,
        schedule=UVPT_SCHEDULE, **variant)
    for prefix, (desc, config, toy_config) in _ADAPTATION.items()
    for suffix, (setting, variant) in _VARIANTS.items()
}
# The alternative a user would otherwise run: stock EncoderDecoder + DAFormerHead,
# every parameter trained, one scale, fp32 (the source models' configs).
CASES.update({
    'ft_swin-b': dict(description='full fine-tuning Swin-B, 1 scale, fp32',
                      config=f'{MODELS}/daformer_swin-b.py',
                      toy_config=f'{MODELS}/daformer_swin-tiny.py',
                      schedule=FINETUNE_SCHEDULE, tf32=False, overrides={}),
    'ft_mit-b5': dict(description='full fine-tuning MiT-B5, 1 scale, fp32',
                      config=f'{MODELS}/daformer_mit-b5.py',
                      toy_config=f'{MODELS}/daformer_mit-tiny.py',
                      schedule=FINETUNE_SCHEDULE, tf32=False, overrides={}),
})

#: per-case result keys and their types (also the JSON layout of ``cases[i]``)
RESULT_FIELDS = dict(
    case=str, description=str, config=str, overrides=dict, tf32=bool, status=str,
    train_step_ms=float, train_step_ms_all=list, peak_mem_gib=(float, type(None)),
    infer_ms=float, infer_ms_all=list, trainable_params=int, total_params=int,
    last_loss=float, tflop_per_step=(float, type(None)))


def resolve(path):
    """A repository-relative path made absolute (absolute paths pass through)."""
    return path if osp.isabs(path) else osp.join(REPO_ROOT, path)


def select_cases(names, toy=False, extra=None):
    """Cases to run, in the order given, with ``config`` set to the tiny one when
    ``toy``. Raises before any work when a name is unknown or a config is missing.

    Args:
        names (list[str] | None): case names; all built-in cases when None or empty.
        toy (bool): use each case's ``toy_config``.
        extra (dict | None): ``name -> case`` added to the built-in ones (a user's
            own config from the command line).
    """
    available = dict(CASES, **(extra or {}))
    names = list(names or (extra or CASES))
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f'unknown benchmark case(s) {unknown}; available: '
                         f'{sorted(available)}')
    selected = []
    for name in names:
        case = dict(available[name], name=name)
        case['config'] = case['toy_config'] if toy else case['config']
        for key in ('config', 'schedule'):
            if case.get(key) and not osp.isfile(resolve(case[key])):
                raise FileNotFoundError(f'benchmark case {name}: {key} file '
                                        f'{resolve(case[key])} does not exist')
        selected.append(case)
    return selected


def build_case(case, device):
    """``(model, optimizer)`` of a case: its config with the overrides, random
    weights (no pretrained or checkpoint init), plain BN instead of SyncBN (one
    process, as mmseg's own train.py does without DDP), on ``device`` in train mode."""
    cfg = Config.fromfile(resolve(case['config']))
    cfg.merge_from_dict(dict(case['overrides'], **{
        'model.pretrained': None, 'model.backbone.init_cfg': None,
        'model.test_cfg.mode': 'whole'}))
    model = build_segmentor(cfg.model)
    # mmcv logs every parameter's init at INFO: thousands of lines for Swin-B
    mmcv_logger = logging.getLogger('mmcv')
    level = mmcv_logger.level
    mmcv_logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        mmcv_logger.setLevel(level)
    model = revert_sync_batchnorm(model).to(device).train()
    optimizer_cfg = cfg.get('optimizer')
    if optimizer_cfg is None:
        optimizer_cfg = Config.fromfile(resolve(case['schedule'])).optimizer
    return model, build_optimizer(model, optimizer_cfg)


def make_train_batch(batch_size, crop, num_classes, device):
    """Random normalised images, random labels with an ignored band, and the image
    metas the train pipeline gives (``crop_bbox``/``label_path`` included)."""
    img = torch.randn(batch_size, 3, crop, crop, device=device)
    label = torch.randint(0, num_classes, (batch_size, 1, crop, crop), device=device)
    label[..., : crop // 8, :] = 255  # like the ignored sky/ego-car rows of real labels
    shape = (crop, crop, 3)
    metas = [dict(filename=f'benchmark_{i}.png', ori_filename=f'benchmark_{i}.png',
                  ori_shape=shape, img_shape=shape, pad_shape=shape, scale_factor=1.0,
                  flip=False, flip_direction=None, crop_bbox=(0, crop, 0, crop),
                  label_path=None) for i in range(batch_size)]
    return dict(img=img, img_metas=metas, gt_semantic_seg=label)


def make_test_image(width, height, device):
    """One random normalised image and its meta for whole-image inference."""
    shape = (height, width, 3)
    meta = dict(filename='benchmark.png', ori_filename='benchmark.png', ori_shape=shape,
                img_shape=shape, pad_shape=shape, scale_factor=1.0, flip=False,
                flip_direction=None)
    return torch.randn(1, 3, height, width, device=device), [meta]


def train_step(model, batch, optimizer):
    """One optimisation step as mmcv's runner and ``OptimizerHook`` do it; returns
    the step's loss."""
    optimizer.zero_grad(set_to_none=True)
    outputs = model.train_step(batch, optimizer)
    outputs['loss'].backward()
    optimizer.step()
    return outputs['loss'].detach()


def time_ms(fn, iters, warmup, device):
    """Wall times of ``iters`` calls of ``fn`` in ms, after ``warmup`` untimed calls:
    CUDA events on the GPU (the time the device spends on the call's work),
    ``perf_counter`` on the CPU."""
    for _ in range(warmup):
        fn()
    cuda = torch.device(device).type == 'cuda'
    if cuda:
        torch.cuda.synchronize(device)
    times = []
    for _ in range(iters):
        if cuda:
            start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            begin = time.perf_counter()
            fn()
            times.append((time.perf_counter() - begin) * 1e3)
    return times


@contextmanager
def tf32_mode(enabled):
    """TF32 matmuls and convolutions on or off inside the block, restored after.
    Uses torch's ``fp32_precision`` API only (torch refuses to mix it with the legacy
    ``allow_tf32`` flags)."""
    backends = (torch.backends.cuda.matmul, torch.backends.cudnn.conv)
    saved = [b.fp32_precision for b in backends]
    for b in backends:
        b.fp32_precision = 'tf32' if enabled else 'ieee'
    try:
        yield
    finally:
        for b, value in zip(backends, saved):
            b.fp32_precision = value


def count_tflop(fn):
    """TFLOP of one call of ``fn`` as torch's ``FlopCounterMode`` counts them
    (matrix products, convolutions and attention, forward and backward)."""
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops() / 1e12


def measure_case(case, device, batch_size, crop, infer_size, iters, warmup,
                 flops=False):
    """Builds and measures one case; returns its result dict (``RESULT_FIELDS``).
    With ``flops``, one more (untimed) step is counted by :func:`count_tflop`."""
    cuda = torch.device(device).type == 'cuda'
    torch.manual_seed(0)
    with tf32_mode(case['tf32']):
        model, optimizer = build_case(case, device)
        params = param_table(model)[0][-1]
        batch = make_train_batch(batch_size, crop, model.num_classes, device)
        losses = []
        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        step_ms = time_ms(lambda: losses.append(train_step(model, batch, optimizer)),
                          iters, warmup, device)
        peak = torch.cuda.max_memory_allocated(device) / 2**30 if cuda else None
        tflop = None
        if flops:
            tflop = count_tflop(lambda: train_step(model, batch, optimizer))
        del batch, optimizer
        model.eval()
        img, metas = make_test_image(*infer_size, device)
        with torch.no_grad():
            infer_ms = time_ms(lambda: model.simple_test(img, metas, rescale=True),
                               iters, warmup, device)
    return dict(
        case=case['name'], description=case['description'], config=case['config'],
        overrides=dict(case['overrides']), tf32=case['tf32'], status='ok',
        train_step_ms=statistics.median(step_ms), train_step_ms_all=step_ms,
        peak_mem_gib=peak, infer_ms=statistics.median(infer_ms), infer_ms_all=infer_ms,
        trainable_params=params['trainable'], total_params=params['total'],
        last_loss=float(losses[-1]), tflop_per_step=tflop)


def run_cases(cases, device, batch_size, crop, infer_size, iters, warmup, flops=False,
              deadline=None, on_result=None):
    """Measures every case in turn. A case that fails (out of memory, say) is
    reported with ``status`` 'error: ...' and the others still run.

    Args:
        deadline (float | None): a ``time.monotonic()`` after which no further case
            is started; those left are reported with ``status`` 'skipped: ...'.
        on_result (callable | None): called with the results so far after each
            case (to save them as they come, before a caller's own time limit).
    """
    results = []
    for case in cases:
        unmeasured = dict(case=case['name'], description=case['description'],
                          config=case['config'], overrides=dict(case['overrides']),
                          tf32=case['tf32'])
        if deadline is not None and time.monotonic() > deadline:
            results.append(dict(unmeasured, status='skipped: time budget spent'))
        else:
            print(f'[benchmark] {case["name"]}: {case["description"]} '
                  f'({case["config"]})', flush=True)
            try:
                results.append(measure_case(case, device, batch_size, crop, infer_size,
                                            iters, warmup, flops))
            except Exception as err:  # noqa: BLE001 - one case must not end the sweep
                traceback.print_exc()
                results.append(dict(unmeasured,
                                    status=f'error: {type(err).__name__}: {err}'))
            finally:
                # free this case's model before the next is built (peak memory is
                # per case)
                gc.collect()
                if torch.device(device).type == 'cuda':
                    torch.cuda.empty_cache()
        if on_result is not None:
            on_result(results)
    return results


def _cpu_name():
    """The CPU model from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device):
    """Versions and hardware that the figures belong to."""
    import mmcv
    import mmseg

    from ..utils.git_version import git_version
    commit, dirty = git_version()
    env = dict(torch=torch.__version__, mmcv=mmcv.__version__, mmseg=mmseg.__version__,
               python=platform.python_version(), git_hash=commit, git_dirty=dirty,
               device=str(device), cpu=_cpu_name(),
               cpu_cores=os.cpu_count(), cuda=torch.version.cuda)
    if torch.device(device).type == 'cuda':
        env['gpu'] = torch.cuda.get_device_name(device)
    return env


def _millions(n):
    return f'{n / 1e6:.1f} M' if n >= 1e5 else f'{n / 1e3:.1f} k'


def format_table(results, infer_size):
    """The results as a Markdown table (errors in the step column; a TFLOP/step
    column when any case was counted)."""
    w, h = infer_size
    flops = any(r.get('tflop_per_step') is not None for r in results)
    header = ['case', 'train step (ms)', 'peak memory (GiB)',
              f'inference {w}×{h} (ms)', 'trainable', 'total'] + ['TFLOP/step'] * flops
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for r in results:
        if r['status'] != 'ok':
            row = [r['case'], r['status']] + [''] * (len(header) - 2)
        else:
            peak = 'n/a' if r['peak_mem_gib'] is None else f"{r['peak_mem_gib']:.1f}"
            row = [r['case'], f"{r['train_step_ms']:.1f}", peak, f"{r['infer_ms']:.1f}",
                   _millions(r['trainable_params']), _millions(r['total_params'])]
            if flops:
                row.append('n/a' if r['tflop_per_step'] is None
                           else f"{r['tflop_per_step']:.3g}")
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)
