"""Speed, memory and parameters of Uni-UVPT adaptation against full fine-tuning.

    python tools/benchmark.py --out benchmarks/results_h100.json    # all cases, GPU
    python tools/benchmark.py --cases uvpt_swin-b uvpt_swin-b_opt --iters 50
    python tools/benchmark.py --cases uvpt_vit-b14_opt uvpt_vit-l14_opt --batch-size 1
    python tools/benchmark.py --device cpu --toy --out /tmp/toy.json  # CPU smoke run
    python tools/benchmark.py --config my.py --cfg-options model.amp_dtype=bfloat16
    python tools/benchmark.py --list

Per case: median training-step time (all scales, losses, backward, AdamW step; warm-up
excluded), peak GPU memory, whole-image inference time, trainable and total
parameters. The cases are listed in ``mmseg_uvpt/benchmarking/harness.py`` and
``benchmarks/README.md``. The batch is the run's, not a case's, so that one table
compares like with like: 2 by default, as the reference figures; the paper's
adaptation runs at ``--batch-size 1``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import torch
from mmcv import DictAction

import mmseg_uvpt  # noqa: F401  (registers the models; torch-2 fixes for mmcv)
from mmseg_uvpt.benchmarking import harness as bench

FULL_SIZES = dict(crop=512, infer_size=(1024, 512), iters=20, warmup=5)
TOY_SIZES = dict(crop=64, infer_size=(128, 64), iters=3, warmup=1)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', nargs='+', metavar='NAME',
                        help='cases to run (default: all built-in ones; see --list)')
    parser.add_argument('--list', action='store_true', help='list the cases and exit')
    parser.add_argument('--device', choices=('cuda', 'cpu'), default='cuda')
    parser.add_argument('--toy', action='store_true',
                        help="each case's tiny config and tiny inputs (CPU smoke run)")
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--crop', type=int,
                        help='square training crop (default 512; 64 with --toy)')
    parser.add_argument('--infer-size', type=int, nargs=2, metavar=('W', 'H'),
                        help='inference image size (default 1024 512; 128 64 with '
                             '--toy)')
    parser.add_argument('--iters', type=int,
                        help='timed iterations (default 20; 3 with --toy)')
    parser.add_argument('--warmup', type=int,
                        help='untimed warm-up iterations (default 5; 1 with --toy)')
    parser.add_argument('--cpu-threads', type=int,
                        help="torch's CPU threads (default: torch's choice; 1 on a busy "
                             'machine avoids threads waiting on each other)')
    parser.add_argument('--no-onednn', action='store_true',
                        help="CPU: ATen's convolution kernels instead of oneDNN's (seen "
                             'here: oneDNN bf16 convs wrong at some toy shapes)')
    parser.add_argument('--flops', action='store_true',
                        help='also count the TFLOP of one step (FlopCounterMode)')
    parser.add_argument('--config', help='benchmark this model config as an extra case')
    parser.add_argument('--schedule', default=bench.UVPT_SCHEDULE,
                        help="schedule whose optimizer --config uses when it has none")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides of --config, key=value')
    parser.add_argument('--tf32', action='store_true', help='TF32 on for --config')
    parser.add_argument('--time-budget', type=float, metavar='SECONDS',
                        help='start no case after this many seconds; the cases left '
                             'are reported as skipped (the JSON is rewritten after '
                             'every case)')
    parser.add_argument('--out', help='write the results as JSON to this file')
    args = parser.parse_args(argv)
    sizes = TOY_SIZES if args.toy else FULL_SIZES
    for key, default in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, default)
    for key in ('batch_size', 'crop', 'iters'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")} must be at least 1')
    if args.warmup < 0:
        parser.error('--warmup must be at least 0')
    if args.time_budget is not None and args.time_budget < 0:
        parser.error('--time-budget must be at least 0')
    # MiT's stage-1 spatial reduction (an 8×8 stride-8 conv on the 1/4 grid) needs
    # 32 pixels at the smallest pass, which is the 0.5× scale of the crop
    if args.crop < 64 or min(args.infer_size) < 32:
        parser.error(f'--crop must be at least 64 and --infer-size at least 32 32 '
                     f'(got {args.crop} and {args.infer_size}): smaller inputs leave '
                     "MiT's stage-1 grid below its 8×8 spatial-reduction kernel")
    if args.device == 'cuda' and not torch.cuda.is_available() and not args.list:
        parser.error('--device cuda: no CUDA device is visible; use --device cpu')
    return args


def extra_cases(args):
    """The ``--config`` case, if any (its own config also serves ``--toy``)."""
    if not args.config:
        return None
    name = osp.splitext(osp.basename(args.config))[0]
    return {name: dict(description=f'{args.config} (--config)',
                       config=osp.abspath(args.config),
                       toy_config=osp.abspath(args.config), schedule=args.schedule,
                       tf32=args.tf32, overrides=dict(args.cfg_options))}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.list:
        for name, case in bench.CASES.items():
            print(f'{name:<22}{case["description"]}\n{"":<22}{case["config"]} '
                  f'(toy: {case["toy_config"]})')
        return 0
    # every name and config is checked before the first model is built
    try:
        cases = bench.select_cases(args.cases, toy=args.toy, extra=extra_cases(args))
    except (ValueError, FileNotFoundError) as err:
        sys.exit(f'benchmark.py: error: {err}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    infer_size = tuple(args.infer_size)
    deadline = None if args.time_budget is None else time.monotonic() + args.time_budget
    # process-wide switches, restored so that in-process callers (tests) keep theirs
    saved = (torch.get_num_threads(), torch.backends.cudnn.benchmark,
             torch.backends.mkldnn.enabled)
    try:
        torch.backends.mkldnn.enabled = saved[2] and not args.no_onednn
        if args.cpu_threads:
            torch.set_num_threads(args.cpu_threads)
        if args.device == 'cuda':
            torch.backends.cudnn.benchmark = True  # as the training configs run
        settings = dict(batch_size=args.batch_size, crop=args.crop,
                        infer_size=list(infer_size), iters=args.iters,
                        warmup=args.warmup, toy=args.toy,
                        cudnn_benchmark=args.device == 'cuda',
                        cpu_threads=args.cpu_threads or saved[0],
                        onednn=saved[2] and not args.no_onednn)
        save = None
        if args.out:
            environment = bench.environment(args.device)

            def save(results):
                with open(args.out, 'w') as f:
                    json.dump(dict(environment=environment, settings=settings,
                                   cases=results), f, indent=2)
        results = bench.run_cases(cases, args.device, args.batch_size, args.crop,
                                  infer_size, args.iters, args.warmup, flops=args.flops,
                                  deadline=deadline, on_result=save)
    finally:
        torch.set_num_threads(saved[0])
        torch.backends.cudnn.benchmark = saved[1]
        torch.backends.mkldnn.enabled = saved[2]
    print(bench.format_table(results, infer_size))
    if args.out:
        print(f'[benchmark] results written to {args.out}')
    return 0 if all(r['status'] == 'ok' for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
