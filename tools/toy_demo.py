"""Run the whole Uni-UVPT pipeline on the built-in toy benchmark (the README's demo).

    python tools/toy_demo.py [--work-dir work_dirs/toy_demo] [--seed 0 | --seeds 0 1 2]
                             [--fresh] [--train-options KEY=VALUE ...]

Generates and converts the toy data (once), pretrains a tiny source model, generates
pseudo-labels, adapts with Uni-UVPT, tests both models, and writes summary.json,
summary.txt and grid.png into the work dir. With ``--seeds`` it does all of that once
per seed, seed N in <work dir>/seed{N}, then prints the mean ± sample std over the
seeds (also in summary_seeds.json/.txt); ``python tools/results_table.py
<work dir>`` shows the same as a table. It exits non-zero unless adaptation beats
the source model (with ``--seeds``: in every seed).
"""
import argparse
import sys

from mmseg_uvpt.user_tools.toy_demo_run import run_toy_demo, run_toy_demo_seeds


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/toy_demo')
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument('--seed', type=int, default=0,
                       help='seed of every training stage')
    seeds.add_argument('--seeds', type=int, nargs='+', metavar='N',
                       help='one whole run per seed, in <work dir>/seed{N}')
    parser.add_argument('--fresh', action='store_true',
                        help='delete the work dir first (with --seeds: each seed\'s)')
    parser.add_argument('--train-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='config options of the adaptation stage, e.g. '
                             'model.amp_dtype=bfloat16')
    args = parser.parse_args(argv)
    if args.seeds:
        if len(set(args.seeds)) < len(args.seeds):
            parser.error(f'--seeds: a seed is given twice in {args.seeds}')
        if any(seed < 0 for seed in args.seeds):
            parser.error(f'--seeds: seeds are >= 0, got {args.seeds}')
        combined = run_toy_demo_seeds(args.work_dir, args.seeds, fresh=args.fresh,
                                      train_options=tuple(args.train_options))
        return 0 if len(combined['seeds_beating_source']) == combined['n'] else 1
    summary = run_toy_demo(args.work_dir, seed=args.seed, fresh=args.fresh,
                           train_options=tuple(args.train_options))
    return 0 if summary['uvpt_miou'] > summary['source_only_miou'] else 1


if __name__ == '__main__':
    sys.exit(main())
