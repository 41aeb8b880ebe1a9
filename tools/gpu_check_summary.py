"""Write ``summary.md`` and ``summary.json`` of a ``tools/gpu_check.sh`` run.

    python tools/gpu_check_summary.py OUT --mode gpu|cpu [--toy-summary FILE]
                                          [--seconds S] [--deadline S]

Reads the parts' statuses (``OUT/.parts.tsv``, written by gpu_check.sh), the last
line of the pytest log, ``OUT/benchmark.json`` and the toy demo's summary. Refines
two statuses: a benchmark whose only non-ok cases were skipped for time is
'partial'; a toy run whose mIoU is not above the source model's or is off the CPU
run's by more than the tolerance is 'fail'. Exit status 0 when no part failed or ran
out of time (skipped parts do not count), 1 otherwise.
"""
import argparse
import json
import os.path as osp
import platform
import subprocess
import sys

# the toy demo on 2-core CPU machines (README "Two commands", torch 2.14.1, seed 0):
# source-only about 15.0, Uni-UVPT about 17.3 mIoU (17.22 and 17.32 on AMD machines,
# 17.42 on an Intel AVX-512 one: other kernels round differently). A GPU run (cuDNN,
# bf16 adaptation) takes another trajectory; 5 points is the range its mIoU must fall in.
TOY_CPU_UVPT_MIOU = 17.3
TOY_TOLERANCE = 5.0
BAD = ('fail', 'timeout')
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def read_parts(out):
    parts = []
    with open(osp.join(out, '.parts.tsv')) as f:
        for line in f:
            name, status, seconds, budget, note = line.rstrip('\n').split('\t')
            parts.append(dict(part=name, status=status, seconds=int(seconds),
                              budget=int(budget), note=note))
    return parts


def last_line(path):
    if not osp.isfile(path):
        return ''
    with open(path, errors='replace') as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    return lines[-1] if lines else ''


def benchmark_table(report, log):
    """The results as the Markdown table ``tools/benchmark.py`` prints (from the log
    when the stack cannot be imported)."""
    try:
        from mmseg_uvpt.benchmarking.harness import format_table
    except ImportError:
        with open(log, errors='replace') as f:
            return ''.join(ln for ln in f if ln.startswith('|')).rstrip()
    return format_table(report['cases'], tuple(report['settings']['infer_size']))


def check_toy(toy, reference=TOY_CPU_UVPT_MIOU, tolerance=TOY_TOLERANCE):
    """``(ok, note)`` of a toy demo summary against the CPU run."""
    uvpt, source = toy['uvpt_miou'], toy['source_only_miou']
    notes = [f'mIoU {uvpt:.2f} (source-only {source:.2f}; CPU run {reference:.2f})']
    ok = True
    if uvpt <= source:
        ok = False
        notes.append('adaptation did not beat the source model')
    if abs(uvpt - reference) > tolerance:
        ok = False
        notes.append(f'more than {tolerance:g} points from the CPU run')
    return ok, '; '.join(notes)


def environment():
    env = dict(python=platform.python_version())
    try:
        import torch
        env.update(torch=torch.__version__, cuda=torch.version.cuda,
                   gpus=[torch.cuda.get_device_name(i)
                         for i in range(torch.cuda.device_count())])
    except Exception as err:  # noqa: BLE001 - the summary is written whatever broke
        env['torch'] = f'unavailable: {err}'
    try:
        env['git_hash'] = subprocess.run(
            ['git', 'rev-parse', 'HEAD'], capture_output=True, text=True,
            cwd=osp.dirname(osp.abspath(__file__))).stdout.strip() or None
    except OSError:
        env['git_hash'] = None
    return env


def summarize(out, mode, toy_summary=None, seconds=None, deadline=None):
    parts = read_parts(out)
    by_name = {p['part']: p for p in parts}
    bench = None
    bench_path = osp.join(out, 'benchmark.json')
    if 'benchmark' in by_name and by_name['benchmark']['status'] != 'skipped' \
            and osp.isfile(bench_path):
        with open(bench_path) as f:
            bench = json.load(f)
        statuses = [c['status'] for c in bench['cases']]
        part = by_name['benchmark']
        done = sum(s == 'ok' for s in statuses)
        if part['status'] in BAD and done and all(
                s == 'ok' or s.startswith('skipped') for s in statuses):
            part['status'] = 'partial'
        part['note'] = '; '.join(filter(None, [
            part['note'], f'{done} of {len(statuses)} cases measured']))
    tests = by_name.get('gpu_tests')
    if tests and tests['status'] != 'skipped':
        tail = last_line(osp.join(out, 'gpu_tests.log')).strip('= ')
        if mode == 'cpu':  # what ran is the collection and the imports
            tail = f'no CUDA: every GPU test collected and skipped itself ({tail})'
        tests['note'] = '; '.join(filter(None, [tests['note'], tail]))
    if mode == 'cpu' and by_name.get('benchmark', {}).get('status') not in (None, 'skipped'):
        by_name['benchmark']['note'] += '; on the CPU with the tiny configs'
    toy = by_name.get('toy')
    toy_result = None
    if toy and toy['status'] == 'pass':
        if toy_summary and osp.isfile(toy_summary):
            with open(toy_summary) as f:
                toy_result = json.load(f)
            ok, toy['note'] = check_toy(toy_result)
            toy['status'] = 'pass' if ok else 'fail'
        else:
            toy['status'], toy['note'] = 'fail', f'no summary at {toy_summary}'

    env = environment()
    lines = [f'# gpu_check summary ({mode} mode)', '',
             f"python {env['python']} | torch {env.get('torch')} | CUDA {env.get('cuda')} | "
             f"GPUs: {', '.join(env.get('gpus') or []) or 'none'} | git {env.get('git_hash')}",
             '']
    if seconds is not None:
        lines += [f'{seconds} s in all (deadline {deadline} s)', '']
    lines += ['| part | status | seconds | budget | note |', '|---|---|---|---|---|']
    lines += [f"| {p['part']} | {p['status']} | {p['seconds']} | {p['budget']} | "
              f"{p['note']} |" for p in parts]
    if bench is not None:
        lines += ['', '## Benchmark', '',
                  benchmark_table(bench, osp.join(out, 'benchmark.log'))]
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out, 'summary.md'), 'w') as f:
        f.write(text)
    report = dict(mode=mode, environment=env, seconds=seconds, deadline=deadline,
                  parts=parts, toy=toy_result,
                  benchmark_settings=bench and bench['settings'])
    with open(osp.join(out, 'summary.json'), 'w') as f:
        json.dump(report, f, indent=2)
    print(text)
    return 1 if any(p['status'] in BAD for p in parts) else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out')
    parser.add_argument('--mode', choices=('gpu', 'cpu'), required=True)
    parser.add_argument('--toy-summary')
    parser.add_argument('--seconds', type=int)
    parser.add_argument('--deadline', type=int)
    args = parser.parse_args(argv)
    return summarize(args.out, args.mode, args.toy_summary, args.seconds, args.deadline)


if __name__ == '__main__':
    sys.exit(main())
