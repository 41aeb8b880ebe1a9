"""Label the target train split with a source model (Uni-UVPT stage 2;
docs/method.md §6).

    python generate_pseudo_label.py --config configs/pseudo_label/X.py \\
        --checkpoint model/X.pth --pseudo_label_dir data/pseudo_labels/X

``--checkpoint`` and ``--pseudo_label_dir`` default to the config's
``source_checkpoint`` and ``pseudo_label_dir``. A re-run skips finished images.
"""
import argparse
import sys

from mmcv import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', required=True, help='pseudo-label config file')
    parser.add_argument('--checkpoint', help='source checkpoint '
                        "(default: the config's source_checkpoint)")
    parser.add_argument('--pseudo_label_dir', '--pseudo-label-dir',
                        help="output folder (default: the config's pseudo_label_dir)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. data.workers_per_gpu=0')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    # as mmseg_uvpt.utils.cli_errors.add_debug_arg; the package is imported after
    # parsing, so that --help stays fast
    parser.add_argument('--debug', action='store_true',
                        help='show the traceback of an input error (or UVPT_DEBUG=1)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # imported after parsing so that --help and argument errors stay fast
    from mmseg_uvpt.apis.pseudo_label import generate_pseudo_labels
    from mmseg_uvpt.utils.config_checks import (ConfigError, check_cfg_options,
                                                check_config_file, check_dataset_paths,
                                                check_file)
    from mmseg_uvpt.utils.distributed import init_distributed

    cfg = Config.fromfile(check_config_file(args.config))
    check_cfg_options(cfg, args.cfg_options)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    checkpoint = args.checkpoint or cfg.get('source_checkpoint')
    out_dir = args.pseudo_label_dir or cfg.get('pseudo_label_dir')
    if not out_dir:
        raise ConfigError(f'give --pseudo_label_dir or set pseudo_label_dir in '
                          f'{args.config}')
    check_file(checkpoint, '--checkpoint' if args.checkpoint else 'source_checkpoint')
    check_dataset_paths(cfg, ('pseudo_label', ), need_labels=False)
    info = init_distributed(args.launcher, cfg.get('dist_params'))
    manifest = generate_pseudo_labels(cfg, checkpoint, out_dir)
    if info.rank == 0:
        print(f'{manifest["count"]}/{manifest["expected"]} pseudo-labels in {out_dir}')
    return manifest


if __name__ == '__main__':
    from mmseg_uvpt.utils.cli_errors import run_script
    sys.exit(run_script(main, 'generate_pseudo_label.py'))
