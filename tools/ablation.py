"""The paper's ablations and the parameter-efficient baselines beside Uni-UVPT, on
the built-in toy benchmark, over several seeds (docs/variants.md).

    python tools/ablation.py --toy --seeds 0 1 2 [--variants lora bitfit ...]
                             [--iters N | --full-schedule] [--work-dir DIR]
                             [--extra-configs configs/toy/settings/*.py]
    python tools/ablation.py --list

Each run is a compressed copy of its config's 200-iteration schedule (40 iterations
by default, the cosine LR and the correction's clock scaled alike), so that the
whole sweep (three seeds, every variant) fits 45 minutes on a 2-core CPU.

Prints one table (variant, trainable parameters, mIoU mean ± std over the seeds,
gain over the shared source model) and writes it as ablation.md and ablation.json
into the work dir. A finished run is read back, so an interrupted sweep goes on.
"""
import argparse
import sys

from mmseg_uvpt.user_tools.ablation_sweep import SWEEP_ITERS, run_sweep, toy_variants


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--toy', action='store_true',
                        help='the toy benchmark (the only one so far)')
    parser.add_argument('--list', action='store_true', help='list the variants')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2], metavar='N')
    parser.add_argument('--variants', nargs='+', metavar='NAME',
                        help='the variants to run (default: all)')
    schedule = parser.add_mutually_exclusive_group()
    schedule.add_argument('--iters', type=int, default=SWEEP_ITERS,
                          help='iterations of every adaptation run, the schedule '
                               f'compressed to them (default {SWEEP_ITERS})')
    schedule.add_argument('--full-schedule', action='store_const', const=None,
                          dest='iters', help="the configs' own 200 iterations")
    parser.add_argument('--extra-configs', nargs='+', default=[], metavar='CONFIG',
                        help='further variant configs (each with variant = dict(name=, '
                             'description=)), run after the chosen variants')
    parser.add_argument('--work-dir', default='work_dirs/ablation')
    args = parser.parse_args(argv)
    if args.list:
        for name, (config, description) in toy_variants(
                extra_configs=args.extra_configs).items():
            print(f'{name:24s} {config}\n{"":24s} {description}')
        return 0
    if not args.toy:
        parser.error('give --toy (the sweep runs on the toy benchmark)')
    if len(set(args.seeds)) < len(args.seeds) or min(args.seeds) < 0:
        parser.error(f'--seeds: distinct seeds >= 0, got {args.seeds}')
    run_sweep(args.work_dir, args.seeds, args.variants, args.iters, args.extra_configs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
