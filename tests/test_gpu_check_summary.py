"""tools/gpu_check_summary.py: the statuses it refines (benchmark cut short by its
budget, toy mIoU against the CPU run), the files it writes and its exit status."""
import importlib.util
import json
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'gpu_check_summary', osp.join(REPO, 'tools', 'gpu_check_summary.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(out, parts, bench_statuses=None, tests_tail='5 passed in 3.1s'):
    (out / '.parts.tsv').write_text(''.join('\t'.join(map(str, p)) + '\n' for p in parts))
    (out / 'gpu_tests.log').write_text(f'....\n=== {tests_tail} ===\n')
    if bench_statuses is not None:
        cases = [dict(case=f'c{i}', status=s) for i, s in enumerate(bench_statuses)]
        for c in cases:
            if c['status'] == 'ok':
                c.update(train_step_ms=500.0, peak_mem_gib=27.5, infer_ms=40.0,
                         trainable_params=28_017_794, total_params=114_762_810)
        (out / 'benchmark.json').write_text(json.dumps(dict(
            settings=dict(infer_size=[1024, 512]), cases=cases)))


def toy_file(tmp_path, uvpt, source):
    path = tmp_path / 'toy.json'
    path.write_text(json.dumps(dict(uvpt_miou=uvpt, source_only_miou=source)))
    return str(path)


def test_all_parts_pass_and_the_files(tmp_path):
    tool = load_tool()
    write_run(tmp_path, [('install', 'pass', 250, 420, ''), ('gpu_tests', 'pass', 40, 60, ''),
                         ('benchmark', 'pass', 80, 90, ''), ('toy', 'pass', 70, 90, ''),
                         ('ddp', 'skipped', 0, 0, 'needs 2 or more GPUs (this machine: 1)')],
              bench_statuses=['ok', 'ok'])
    rc = tool.summarize(str(tmp_path), 'gpu', toy_file(tmp_path, 19.5, 15.0), 440, 530)
    assert rc == 0
    report = json.loads((tmp_path / 'summary.json').read_text())
    parts = {p['part']: p for p in report['parts']}
    assert parts['toy']['note'] == 'mIoU 19.50 (source-only 15.00; CPU run 17.30)'
    assert parts['benchmark']['note'] == '2 of 2 cases measured'
    assert parts['gpu_tests']['note'] == '5 passed in 3.1s'
    assert report['toy']['uvpt_miou'] == 19.5 and report['seconds'] == 440
    text = (tmp_path / 'summary.md').read_text()
    assert '| ddp | skipped | 0 | 0 | needs 2 or more GPUs (this machine: 1) |' in text
    assert '| c0 | 500.0 | 27.5 | 40.0 | 28.0 M | 114.8 M |' in text  # benchmark table


def test_benchmark_cut_by_its_budget_is_partial_not_failed(tmp_path):
    tool = load_tool()
    write_run(tmp_path, [('benchmark', 'fail', 60, 60, 'exit status 1')],
              bench_statuses=['ok', 'skipped: time budget spent'])
    assert tool.summarize(str(tmp_path), 'gpu') == 0
    part = json.loads((tmp_path / 'summary.json').read_text())['parts'][0]
    assert part['status'] == 'partial'
    assert part['note'] == 'exit status 1; 1 of 2 cases measured'
    # a case that errored stays a failure
    write_run(tmp_path, [('benchmark', 'fail', 60, 60, 'exit status 1')],
              bench_statuses=['ok', 'error: OutOfMemoryError: ...'])
    assert tool.summarize(str(tmp_path), 'gpu') == 1


@pytest.mark.parametrize('uvpt,source,ok,why', [
    (17.32, 14.99, True, None),
    (13.5, 13.9, False, 'did not beat the source model'),
    (23.5, 14.9, False, 'more than 5 points from the CPU run'),
    (12.0, 10.0, False, 'more than 5 points from the CPU run'),
])
def test_toy_range(tmp_path, uvpt, source, ok, why):
    tool = load_tool()
    assert tool.check_toy(dict(uvpt_miou=uvpt, source_only_miou=source))[0] is ok
    write_run(tmp_path, [('toy', 'pass', 70, 90, '')])
    rc = tool.summarize(str(tmp_path), 'gpu', toy_file(tmp_path, uvpt, source))
    part = json.loads((tmp_path / 'summary.json').read_text())['parts'][0]
    assert rc == (0 if ok else 1) and part['status'] == ('pass' if ok else 'fail')
    if why:
        assert why in part['note']


def test_timeouts_fail_and_missing_toy_summary(tmp_path):
    tool = load_tool()
    write_run(tmp_path, [('install', 'timeout', 420, 420, 'stopped after its 420s budget'),
                         ('toy', 'pass', 10, 90, '')])
    assert tool.summarize(str(tmp_path), 'gpu', str(tmp_path / 'none.json')) == 1
    parts = json.loads((tmp_path / 'summary.json').read_text())['parts']
    assert parts[1]['status'] == 'fail' and 'no summary at' in parts[1]['note']


def test_cpu_mode_says_what_ran(tmp_path):
    tool = load_tool()
    write_run(tmp_path, [('gpu_tests', 'pass', 25, 90, ''), ('benchmark', 'pass', 58, 90, ''),
                         ('toy', 'skipped', 0, 0, 'needs CUDA')],
              bench_statuses=['ok'], tests_tail='28 skipped, 342 deselected in 13.37s')
    assert tool.summarize(str(tmp_path), 'cpu') == 0
    parts = {p['part']: p for p in json.loads((tmp_path / 'summary.json').read_text())['parts']}
    assert parts['gpu_tests']['note'] == ('no CUDA: every GPU test collected and skipped '
                                          'itself (28 skipped, 342 deselected in 13.37s)')
    assert parts['benchmark']['note'] == '1 of 1 cases measured; on the CPU with the tiny configs'
    assert parts['toy']['status'] == 'skipped'
