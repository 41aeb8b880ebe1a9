"""Generate the toy benchmark (GTA-like source, Cityscapes-like target, 512x256).

    python tools/generate_toy_data.py                     # data/toy, seed 0
    python tools/generate_toy_data.py --convert --nproc 2 # also write trainIds
    python tools/generate_toy_data.py --adverse           # + toy ACDC and Dark Zurich

A finished set with the same parameters is left alone. See data/README.md.
"""
import argparse
import sys

from mmseg_uvpt.toy_benchmark import generate_toy_adverse_data, generate_toy_data


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='data/toy', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-source', type=int, default=300)
    parser.add_argument('--num-target-train', type=int, default=120)
    parser.add_argument('--num-target-val', type=int, default=40)
    parser.add_argument('--nproc', type=int, default=1,
                        help='worker processes (the output does not depend on it)')
    parser.add_argument('--convert', action='store_true',
                        help='run the GTA and Cityscapes converters afterwards')
    parser.add_argument('--adverse', action='store_true',
                        help='also write fog/night/rain/snow variants of the target '
                             'in ACDC\'s layout (OUT/acdc) and a night set in Dark '
                             'Zurich\'s (OUT/dark_zurich)')
    parser.add_argument('--num-adverse-train', type=int, default=24,
                        help='train images per condition (and Dark Zurich)')
    parser.add_argument('--num-adverse-val', type=int, default=8)
    parser.add_argument('--num-adverse-test', type=int, default=8)
    args = parser.parse_args(argv)
    counts = (args.num_source, args.num_target_train, args.num_target_val,
              args.num_adverse_train, args.num_adverse_val, args.num_adverse_test)
    if min(counts) < 1 or args.nproc < 1:
        parser.error('the sample counts and --nproc must be >= 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    generated = generate_toy_data(
        out=args.out, seed=args.seed, num_source=args.num_source,
        num_target_train=args.num_target_train,
        num_target_val=args.num_target_val, nproc=args.nproc,
        convert=args.convert)
    print(f"toy data {'written to' if generated else 'already complete in'} "
          f'{args.out}')
    if args.adverse:
        generated = generate_toy_adverse_data(
            out=args.out, seed=args.seed, num_train=args.num_adverse_train,
            num_val=args.num_adverse_val, num_test=args.num_adverse_test,
            nproc=args.nproc)
        state = 'written to' if generated else 'already complete in'
        print(f'toy ACDC and Dark Zurich {state} {args.out}/acdc, '
              f'{args.out}/dark_zurich')
    return 0


if __name__ == '__main__':
    sys.exit(main())
