"""Run the whole Uni-UVPT pipeline on the built-in toy benchmark (the README's demo).

    python tools/toy_demo.py [--work-dir work_dirs/toy_demo] [--seed 0] [--fresh]
                             [--train-options KEY=VALUE ...]

Generates and converts the toy data (once), pretrains a tiny source model, generates
pseudo-labels, adapts with Uni-UVPT, tests both models, and writes summary.json,
summary.txt and grid.png into the work dir.
"""
import argparse
import sys

from mmseg_uvpt.user_tools.toy_demo_run import run_toy_demo


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/toy_demo')
    parser.add_argument('--seed', type=int, default=0, help='seed of every training stage')
    parser.add_argument('--fresh', action='store_true', help='delete the work dir first')
    parser.add_argument('--train-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='config options of the adaptation stage, e.g. '
                             'model.amp_dtype=bfloat16')
    args = parser.parse_args(argv)
    summary = run_toy_demo(args.work_dir, seed=args.seed, fresh=args.fresh,
                           train_options=tuple(args.train_options))
    return 0 if summary['uvpt_miou'] > summary['source_only_miou'] else 1


if __name__ == '__main__':
    sys.exit(main())
