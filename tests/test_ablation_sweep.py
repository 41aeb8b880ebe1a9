"""tools/ablation.py and its sweep (mmseg_uvpt/user_tools/ablation_sweep.py): the
variants it finds, the table's arithmetic on made-up runs, and the orchestration with
the training stages replaced by stand-ins (the variants' own training is tested in
test_variants.py)."""
import argparse
import json
import os
import os.path as osp
import runpy

import mmcv
import pytest
from mmcv.utils import DictAction

from mmseg_uvpt.user_tools import ablation_sweep as sweep

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(REPO)  # the variant configs are found relative to the repo


def test_the_toy_variants_are_uni_uvpt_then_every_variant_config():
    found = sweep.toy_variants()
    names = list(found)
    assert names[0] == 'uni-uvpt' and found['uni-uvpt'][0] == 'configs/toy/uvpt_mit-tiny.py'
    assert names[1:] == [
        'no-correction', 'no-pred-consistency', 'no-prompt-consistency', 'single-scale',
        'no-prompt-adapter', 'head-only', 'full-finetune', 'bitfit', 'lora']
    assert all(description for _, description in found.values())


def test_head_only_is_run_once_as_the_no_prompt_adapter_ablation():
    assert sweep.aliases(sweep.toy_variants()) == {'head-only': 'no-prompt-adapter'}


def test_variants_are_selected_by_name_and_an_unknown_one_is_named():
    found = sweep.toy_variants()
    assert list(sweep.select_variants(found, ['lora', 'uni-uvpt'])) == ['lora', 'uni-uvpt']
    assert sweep.select_variants(found, None) == found
    with pytest.raises(KeyError, match=r"\['lorra'\]"):
        sweep.select_variants(found, ['lorra'])


def test_the_schedule_is_compressed_with_the_correction_clock():
    cfg = mmcv.Config.fromfile('configs/toy/uvpt_mit-tiny.py')
    assert cfg.runner.max_iters == 200 and cfg.custom_hooks[0].queue_size == 50
    assert sweep.schedule_options(cfg, None, 120) == []
    # 80 of 200 iterations: the epoch (120), queue (50) and interval (10) x 0.4
    assert sweep.schedule_options(cfg, 80, 120) == [
        'runner.max_iters=80', 'checkpoint_config.interval=80',
        'custom_hooks.0.epoch_iters=48', 'custom_hooks.0.queue_size=20',
        'custom_hooks.0.interval=4']
    # no correction hook: only the runner's schedule changes
    cfg.custom_hooks = []
    assert sweep.schedule_options(cfg, 80, 120) == [
        'runner.max_iters=80', 'checkpoint_config.interval=80']
    with pytest.raises(ValueError):
        sweep.schedule_options(cfg, 0, 120)


def test_the_compressed_options_resolve_into_the_config():
    cfg = mmcv.Config.fromfile('configs/toy/uvpt_mit-tiny.py')
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)  # as train.py
    args = parser.parse_args(['--cfg-options', *sweep.schedule_options(cfg, 20, 120)])
    cfg.merge_from_dict(args.cfg_options)
    hook = cfg.custom_hooks[0]
    assert (cfg.runner.max_iters, hook.epoch_iters, hook.queue_size, hook.interval) == (
        20, 12, 5, 1)
    assert hook.type == 'AdaptiveCorrectionHook' and hook.quantile == 0.8


def test_extra_variant_configs_follow_the_chosen_ones_and_names_stay_unique():
    extra = ['configs/toy/settings/uvpt_mit-tiny_queue-100.py']
    found = sweep.toy_variants(extra_configs=extra)
    assert list(found)[-1] == 'queue-100' and found['queue-100'][0] == extra[0]
    with pytest.raises(ValueError, match='taken by'):
        sweep.toy_variants(extra_configs=extra * 2)


def test_mean_std_and_gain_by_hand():
    runs = {'uni-uvpt': {0: 50.0, 1: 52.0, 2: 57.0}, 'lora': {0: 45.5}}
    params = {'uni-uvpt': dict(trainable=10, total=30, checkpoint_bytes=3 * 2**20),
              'lora': dict(trainable=4, total=30)}
    rows = sweep.summarise(runs, source_miou=40.0, params=params)
    # mean 53; deviations -3, -1, 4: sum of squares 26, / (3 - 1) = 13, sqrt = 3.606
    assert rows[0]['miou_mean'] == 53.0 and rows[0]['miou_std'] == 3.61
    assert rows[0]['gain'] == 13.0 and rows[0]['n'] == 3 and rows[0]['seeds'] == [0, 1, 2]
    assert rows[1]['miou_std'] is None and rows[1]['gain'] == 5.5
    text = sweep.format_markdown(rows, 40.0, {'lora': 'low rank'}, note='a note')
    assert '| uni-uvpt |  | 10 | 3.0 | 53.00 ± 3.61 (n=3) | +13.00 |' in text
    assert '| lora | low rank | 4 | — | 45.50 ± — (n=1) | +5.50 |' in text
    assert 'source-only (the shared source model): 40.00 mIoU' in text and 'a note' in text


def test_the_sweep_runs_each_variant_and_seed_once_and_writes_the_table(tmp_path,
                                                                        monkeypatch):
    source = dict(source_checkpoint='src.pth', pseudo_label_dir='pl',
                  test=dict(metrics=dict(mIoU=0.4)))
    monkeypatch.setattr(sweep, 'prepare_toy_source', lambda *a, **k: source)
    monkeypatch.setattr(sweep, '_params_of', lambda cfg: dict(trainable=7, total=9))
    monkeypatch.setattr(sweep, 'epoch_length', lambda cfg, pseudo_label_dir: 120)
    calls = []

    def fake_run(config, work_dir, seed, source_, options):
        calls.append((osp.basename(config), osp.relpath(work_dir, tmp_path), seed,
                      tuple(options)))
        os.makedirs(osp.join(work_dir, 'test'))
        with open(osp.join(work_dir, 'test', 'result.json'), 'w') as f:
            json.dump(dict(checkpoint_bytes=1000 * (seed + 1)), f)
        return 40.0 + seed + (5.0 if 'lora' in config else 0.0)

    monkeypatch.setattr(sweep, '_run_once', fake_run)
    out = sweep.run_sweep(str(tmp_path), seeds=(0, 2),
                          variants=['lora', 'no-prompt-adapter', 'head-only'], iters=3)
    assert [c[:3] for c in calls] == [
        ('uvpt_mit-tiny_lora.py', 'lora/seed0', 0), ('uvpt_mit-tiny_lora.py', 'lora/seed2', 2),
        ('uvpt_mit-tiny_no-prompt-adapter.py', 'no-prompt-adapter/seed0', 0),
        ('uvpt_mit-tiny_no-prompt-adapter.py', 'no-prompt-adapter/seed2', 2)]
    # the baselines keep the correction: its clock is compressed with the schedule
    # (the epoch of 120 x 3/200 rounds to 2; queue and interval to their minimum 1)
    assert calls[0][3] == ('runner.max_iters=3', 'checkpoint_config.interval=3',
                           'custom_hooks.0.epoch_iters=2', 'custom_hooks.0.queue_size=1',
                           'custom_hooks.0.interval=1')
    rows = {row['variant']: row for row in out['rows']}
    assert rows['lora']['miou_mean'] == 46.0 and rows['lora']['gain'] == 6.0
    assert rows['lora']['checkpoint_bytes'] == 1000   # the first seed's checkpoint
    assert rows['head-only']['per_seed'] == rows['no-prompt-adapter']['per_seed']
    on_disk = json.load(open(tmp_path / 'ablation.json'))
    assert on_disk['source_miou'] == 40.0 and on_disk['iters'] == 3
    assert '| head-only |' in (tmp_path / 'ablation.md').read_text()


def test_a_finished_run_is_read_back_and_one_with_other_options_refused(tmp_path):
    result = tmp_path / 'seed0' / 'test' / 'result.json'
    result.parent.mkdir(parents=True)
    result.write_text(json.dumps(dict(mIoU=12.34, options=['runner.max_iters=5'])))
    assert sweep._run_once('unused.py', str(tmp_path / 'seed0'), 0, {},
                           ['runner.max_iters=5']) == 12.34
    with pytest.raises(ValueError, match='result.json was run with options'):
        sweep._run_once('unused.py', str(tmp_path / 'seed0'), 0, {}, ['runner.max_iters=6'])


def test_the_tool_lists_variants_and_refuses_bad_arguments(capsys):
    tool = runpy.run_path(osp.join(REPO, 'tools', 'ablation.py'))
    assert tool['main'](['--list']) == 0
    assert 'configs/variants/lora/uvpt_mit-tiny_lora.py' in capsys.readouterr().out
    for argv in (['--seeds', '0'], ['--toy', '--seeds', '1', '1'], ['--toy', '--seeds', '-1']):
        with pytest.raises(SystemExit):
            tool['main'](argv)


def test_a_finished_source_model_is_read_back_not_trained_again(tmp_path, monkeypatch):
    from mmseg_uvpt.apis import pseudo_label, stages, testing
    from mmseg_uvpt import toy_benchmark
    from mmseg_uvpt.user_tools import toy_demo_run
    calls = []
    monkeypatch.setattr(toy_benchmark, 'generate_toy_data', lambda **k: calls.append('data'))
    monkeypatch.setattr(stages, 'pretrain_main', lambda argv: calls.append('pretrain') or
                        dict(last_checkpoint=str(tmp_path / 'new.pth')))
    monkeypatch.setattr(pseudo_label, 'generate_pseudo_labels',
                        lambda *a: calls.append('pseudo_label'))
    monkeypatch.setattr(testing, 'evaluate_main', lambda argv: calls.append('test') or
                        dict(metrics=dict(mIoU=0.1)))
    # nothing there yet, or reuse off: every stage runs
    out = toy_demo_run.prepare_toy_source(str(tmp_path), reuse=True)
    assert calls == ['data', 'pretrain', 'pseudo_label', 'test']
    assert out['test']['metrics']['mIoU'] == 0.1
    (tmp_path / 'pretrain').mkdir()
    (tmp_path / 'pretrain' / 'latest.pth').write_bytes(b'')
    (tmp_path / 'test_source').mkdir()
    (tmp_path / 'test_source' / 'eval_1.json').write_text(
        json.dumps(dict(metrics=dict(mIoU=0.1497))))
    calls.clear()
    out = toy_demo_run.prepare_toy_source(str(tmp_path), reuse=True)
    # the pseudo-labelling still runs (it skips the labelled images itself)
    assert calls == ['data', 'pseudo_label']
    assert out['source_checkpoint'] == str(tmp_path / 'pretrain' / 'latest.pth')
    assert out['test']['metrics']['mIoU'] == 0.1497
    calls.clear()
    toy_demo_run.prepare_toy_source(str(tmp_path))   # the demo: always trains
    assert calls == ['data', 'pretrain', 'pseudo_label', 'test']
