"""``tools/benchmark.py --time-budget``: cases after the deadline are reported as
skipped (not built), and the results are handed out after every case so that a
caller's own time limit still leaves the finished ones in the JSON."""
import json

import pytest

from mmseg_uvpt.benchmarking import harness as bench
from test_benchmark import load_tool, toy_case


def test_cases_past_the_deadline_are_skipped_unbuilt():
    # a config that would fail to build: a skipped case must not be built at all
    broken = dict(toy_case('ft_mit-b5'), name='broken',
                  overrides={'model.backbone.no_such_argument': 1})
    seen = []
    results = bench.run_cases([broken, toy_case('ft_swin-b')], 'cpu', 1, 64, (64, 32),
                              iters=1, warmup=0, deadline=0.0,
                              on_result=lambda r: seen.append([x['case'] for x in r]))
    assert [r['status'] for r in results] == ['skipped: time budget spent'] * 2
    assert [r['case'] for r in results] == ['broken', 'ft_swin-b']
    assert seen == [['broken'], ['broken', 'ft_swin-b']]
    assert '| broken | skipped: time budget spent |' in bench.format_table(results, (64, 32))


def test_zero_budget_writes_json_and_fails(tmp_path):
    out = tmp_path / 'b.json'
    rc = load_tool().main(['--device', 'cpu', '--toy', '--cases', 'ft_mit-b5',
                           '--time-budget', '0', '--out', str(out)])
    assert rc == 1  # nothing measured is not a success
    report = json.loads(out.read_text())
    assert report['cases'][0]['status'] == 'skipped: time budget spent'
    assert report['settings']['iters'] == 3 and report['environment']['device'] == 'cpu'


@pytest.mark.parametrize('budget', ['-1', 'x'])
def test_bad_budget_is_refused(budget):
    with pytest.raises(SystemExit):
        load_tool().main(['--device', 'cpu', '--toy', '--time-budget', budget])
