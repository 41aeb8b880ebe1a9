"""tools/benchmark.py on the CPU with the tiny configs: table and JSON layout, parameter
counts, the case overrides reaching the model, and errors raised before any work.
The times themselves are not asserted (speed is measured with the script, never
with a test)."""
import contextlib
import importlib.util
import io
import json
import os.path as osp
import time

import pytest
import torch

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.models.backbones.fused_attention import (
    FusedEfficientMultiheadAttention, FusedWindowMSA)
from mmseg_uvpt.benchmarking import harness as bench

TOOL = osp.join(bench.REPO_ROOT, 'tools', 'benchmark.py')
TOY_RUN = ['--device', 'cpu', '--toy', '--warmup', '1', '--iters', '2',
           '--batch-size', '1', '--crop', '64', '--infer-size', '64', '32',
           '--cpu-threads', '1',
           # oneDNN's bf16 convolutions on the CPU are wrong at some toy shapes (e.g.
           # the weight gradient of a 3×3 stride-2 conv on a 1×1 map is uninitialised
           # memory; MiT-tiny's last prompt hand-over hits it in the 0.5× pass)
           '--no-onednn']
RUN_CASES = ['uvpt_swin-b', 'uvpt_mit-b5_opt_cp', 'ft_swin-b']
TABLE_HEADER = ('| case | train step (ms) | peak memory (GiB) | inference 64×32 (ms) '
                '| trainable | total |')


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def toy_case(name):
    return bench.select_cases([name], toy=True)[0]


@pytest.fixture(scope='module')
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('bench') / 'toy.json'
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        rc = load_tool().main(TOY_RUN + ['--cases', *RUN_CASES, '--out', str(out)])
    assert torch.backends.mkldnn.enabled  # restored after the run
    return rc, json.loads(out.read_text()), printed.getvalue()


def test_toy_run_json_layout_and_types(toy_run):
    rc, report, _ = toy_run
    assert rc == 0
    assert set(report) == {'environment', 'settings', 'cases'}
    assert report['environment']['torch'] == torch.__version__
    assert report['environment']['device'] == 'cpu'
    assert report['settings'] == dict(batch_size=1, crop=64, infer_size=[64, 32],
                                      iters=2, warmup=1, toy=True, cudnn_benchmark=False,
                                      cpu_threads=1, onednn=False)
    assert [r['case'] for r in report['cases']] == RUN_CASES
    for result in report['cases']:
        assert set(result) == set(bench.RESULT_FIELDS), result['case']
        for key, types in bench.RESULT_FIELDS.items():
            assert isinstance(result[key], types), (result['case'], key, result[key])
        assert result['status'] == 'ok'
        assert result['config'] == bench.CASES[result['case']]['toy_config']
        assert result['peak_mem_gib'] is None  # no GPU
        assert result['tflop_per_step'] is None  # --flops not given
        assert len(result['train_step_ms_all']) == 2 and len(result['infer_ms_all']) == 2
        assert all(t > 0 for t in result['train_step_ms_all'] + result['infer_ms_all'])
        assert torch.isfinite(torch.tensor(result['last_loss']))


def test_toy_run_parameter_counts(toy_run):
    results = {r['case']: r for r in toy_run[1]['cases']}
    for name in ('uvpt_swin-b', 'uvpt_mit-b5_opt_cp'):
        assert 0 < results[name]['trainable_params'] < results[name]['total_params']
    finetune = results['ft_swin-b']
    assert finetune['trainable_params'] == finetune['total_params']
    model, _ = bench.build_case(toy_case('ft_swin-b'), 'cpu')
    assert finetune['total_params'] == sum(p.numel() for p in model.parameters())


def test_toy_run_table(toy_run):
    printed = toy_run[2].splitlines()
    lines = printed[printed.index(TABLE_HEADER):]
    assert lines[-1].startswith('[benchmark] results written to')
    lines = lines[:-1]
    assert lines[0] == TABLE_HEADER
    rows = [[c.strip() for c in line.strip('|').split('|')] for line in lines[2:]]
    assert [r[0] for r in rows] == RUN_CASES
    for row, result in zip(rows, toy_run[1]['cases']):
        assert row == [result['case'], f"{result['train_step_ms']:.1f}", 'n/a',
                       f"{result['infer_ms']:.1f}",
                       f"{result['trainable_params'] / 1e6:.1f} M",
                       f"{result['total_params'] / 1e6:.1f} M"]
    assert rows[2][4] == rows[2][5]  # fine-tuning trains everything


def test_frozen_params_are_the_stock_backbone():
    model, optimizer = bench.build_case(toy_case('uvpt_swin-b'), 'cpu')
    stock = sum(p.numel() for n, p in model.backbone.named_parameters()
                if not n.startswith('prompt_adapter.'))
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    assert frozen == stock > 0
    assert isinstance(optimizer, torch.optim.AdamW)


def test_case_overrides_reach_the_model():
    base, _ = bench.build_case(toy_case('uvpt_mit-b5'), 'cpu')
    assert base.amp_dtype is None and not base.backbone.with_cp
    assert not any(isinstance(m, FusedEfficientMultiheadAttention)
                   for m in base.modules())
    opt, _ = bench.build_case(toy_case('uvpt_swin-b_opt_cp'), 'cpu')
    assert opt.amp_dtype is torch.bfloat16 and opt.backbone.with_cp
    assert all(i.with_cp for i in opt.backbone.prompt_adapter.interactors)
    assert sum(isinstance(m, FusedWindowMSA) for m in opt.modules()) == 8  # depths 2·4
    assert bench.CASES['uvpt_swin-b_opt']['tf32']
    assert not bench.CASES['uvpt_swin-b']['tf32']


def test_bad_input_fails_before_any_model_is_built(tmp_path):
    with pytest.raises(ValueError, match="unknown benchmark case.*'nope'"):
        bench.select_cases(['nope'])
    missing = str(tmp_path / 'missing.py')
    extra = {'mine': dict(config=missing, toy_config=missing, schedule=None,
                          tf32=False, overrides={}, description='')}
    with pytest.raises(FileNotFoundError, match='missing.py'):
        bench.select_cases(None, extra=extra)
    with pytest.raises(SystemExit):
        load_tool().main(['--device', 'cpu', '--crop', '32'])


def test_failing_case_is_reported_and_the_sweep_goes_on():
    bad = dict(toy_case('ft_mit-b5'), name='bad',
               overrides={'model.backbone.no_such_argument': 1})
    results = bench.run_cases([bad], 'cpu', 1, 64, (64, 32), iters=1, warmup=0)
    assert results[0]['status'].startswith('error: TypeError')
    assert 'train_step_ms' not in results[0]
    assert 'error: TypeError' in bench.format_table(results, (64, 32))


def test_time_ms_counts_only_the_timed_calls():
    calls = []

    def fn():  # slow during the warm-up, instant afterwards
        calls.append(None)
        if len(calls) <= 2:
            time.sleep(0.3)

    times = bench.time_ms(fn, iters=3, warmup=2, device='cpu')
    assert len(calls) == 5 and len(times) == 3
    assert max(times) < 150


def test_tf32_mode_switches_and_restores():
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    before = matmul.fp32_precision, conv.fp32_precision
    with bench.tf32_mode(True):
        assert (matmul.fp32_precision, conv.fp32_precision) == ('tf32', 'tf32')
    with bench.tf32_mode(False):
        assert (matmul.fp32_precision, conv.fp32_precision) == ('ieee', 'ieee')
    assert (matmul.fp32_precision, conv.fp32_precision) == before
