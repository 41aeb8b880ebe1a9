"""Prompt-only adapted checkpoints <-> full ones.

    # full checkpoint (for sharing: --weights-only leaves out optimizer and runtime)
    python tools/model_converters/prompt_only.py full PROMPT_ONLY.pth FULL.pth \
        [--source-checkpoint SOURCE.pth] [--weights-only]
    # prompt-only checkpoint of a full adapted one (the config says what is frozen)
    python tools/model_converters/prompt_only.py prompt-only CONFIG FULL.pth \
        PROMPT_ONLY.pth --source-checkpoint SOURCE.pth

A prompt-only checkpoint holds the adapter, the decode head, the mixture logits and
the buffers, and refers to its source checkpoint for the frozen backbone (see
``mmseg_uvpt/checkpoints/prompt_only.py``). Both directions check the frozen tensors
against the source checkpoint's by hash and name the first that differ.
"""
import argparse
import os
import sys

from mmseg_uvpt.utils.cli_errors import add_debug_arg, run_script


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    full = sub.add_parser('full', help='prompt-only -> full checkpoint')
    full.add_argument('src', help='prompt-only checkpoint')
    full.add_argument('dst', help='full checkpoint to write')
    full.add_argument('--source-checkpoint',
                      help='source checkpoint, if not at its recorded path')
    full.add_argument('--weights-only', action='store_true',
                      help='leave out optimizer and runtime state (cannot resume)')
    prompt = sub.add_parser('prompt-only', help='full -> prompt-only checkpoint')
    prompt.add_argument('config', help='the adaptation config the model was trained with')
    prompt.add_argument('src', help='full adapted checkpoint')
    prompt.add_argument('dst', help='prompt-only checkpoint to write')
    prompt.add_argument('--source-checkpoint', required=True,
                        help='the source checkpoint the adaptation started from')
    for p in (full, prompt):
        add_debug_arg(p)
    return parser.parse_args(argv)


def frozen_names_of_config(config):
    """Keys of the frozen parameters of ``config``'s model."""
    from mmcv import Config
    from mmseg.models import build_segmentor

    from mmseg_uvpt.utils.config_checks import check_config_file
    from mmseg_uvpt.checkpoints.prompt_only import frozen_parameter_names
    cfg = Config.fromfile(check_config_file(config))
    cfg.model.pretrained = None
    return frozen_parameter_names(build_segmentor(cfg.model))


def main(argv=None):
    from mmseg_uvpt.checkpoints.prompt_only import export_full, export_prompt_only
    args = parse_args(argv)
    if args.command == 'full':
        out = export_full(args.src, args.dst, args.source_checkpoint,
                          keep_training_state=not args.weights_only)
    else:
        out = export_prompt_only(args.src, args.dst,
                                 frozen_names_of_config(args.config),
                                 args.source_checkpoint)
    print(f'{args.src} -> {args.dst}: {len(out["state_dict"])} tensors, '
          f'{os.path.getsize(args.dst) / 2**20:.1f} MiB')
    return out


if __name__ == '__main__':
    sys.exit(run_script(main, 'prompt_only.py'))
