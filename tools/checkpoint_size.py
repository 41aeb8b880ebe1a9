"""Size on disk of a prompt-only adapted checkpoint against a full one.

    python tools/checkpoint_size.py                      # Swin-B and MiT-B5 (GTA5)
    python tools/checkpoint_size.py --configs configs/uvpt/X.py --toy

Each config's model is built with random weights, its optimizer (AdamW) takes one
step on zero gradients so that its state has the size it has in a run, and the
checkpoint is written the way the runner writes it: full, and prompt-only (frozen
parameters left out, the source recorded by path and hashes), each with and without
the optimizer state. Prints a Markdown table of the file sizes in MiB.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile

import torch
from mmcv.runner.checkpoint import weights_to_cpu

import mmseg_uvpt  # noqa: F401  (registers the models; torch-2 fixes for mmcv)
from mmseg_uvpt.checkpoints import atomic_save
from mmseg_uvpt.benchmarking import harness as bench
from mmseg_uvpt.checkpoints.prompt_only import FrozenHashCache, split_prompt_only

DEFAULT_CONFIGS = ('configs/uvpt/swin-b_standard_gta52cityscapes.py',
                   'configs/uvpt/mit-b5_standard_gta52cityscapes.py')
TOY_CONFIGS = ('configs/toy/uvpt_mit-tiny.py', )
MIB = 2 ** 20


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', help='adaptation configs to measure')
    parser.add_argument('--toy', action='store_true',
                        help='the toy config (seconds on a CPU)')
    return parser.parse_args(argv)


def _size(obj, folder, name):
    path = osp.join(folder, name)
    atomic_save(obj, path)
    size = os.path.getsize(path)
    os.remove(path)
    return size


def measure(config, folder):
    """File sizes (bytes) of the four checkpoint forms of ``config``'s model, and its
    trainable and total parameter counts."""
    model, optimizer = bench.build_case(
        dict(config=config, overrides={}, schedule=None), 'cpu')
    for param in model.parameters():
        if param.requires_grad:
            param.grad = torch.zeros_like(param)
    optimizer.step()  # AdamW creates exp_avg/exp_avg_sq for the trained parameters
    state = weights_to_cpu(model.state_dict())
    source = osp.join(folder, 'source.pth')
    # the prompt-only record names its source; its contents do not matter here
    prompt_state, record = split_prompt_only(state, FrozenHashCache().hashes(model),
                                             source)
    meta = dict(iter=80000, epoch=27)
    optim = optimizer.state_dict()
    forms = dict(
        full=dict(meta=meta, state_dict=state),
        full_opt=dict(meta=meta, state_dict=state, optimizer=optim),
        prompt=dict(meta=meta, state_dict=prompt_state, prompt_only=record),
        prompt_opt=dict(meta=meta, state_dict=prompt_state, prompt_only=record,
                        optimizer=optim))
    sizes = {name: _size(obj, folder, f'{name}.pth') for name, obj in forms.items()}
    params = list(model.parameters())
    sizes.update(trainable=sum(p.numel() for p in params if p.requires_grad),
                 total=sum(p.numel() for p in params))
    return sizes


def format_table(rows):
    lines = [
        '| config | params trained / total | full | prompt-only | ratio | '
        'full + optimizer | prompt-only + optimizer | ratio |',
        '|---|---|---|---|---|---|---|---|']
    for config, s in rows:
        lines.append(
            f'| {osp.basename(config)} | {s["trainable"] / 1e6:.1f} M / '
            f'{s["total"] / 1e6:.1f} M | {s["full"] / MIB:.1f} MiB | '
            f'{s["prompt"] / MIB:.1f} MiB | {s["prompt"] / s["full"]:.3f} | '
            f'{s["full_opt"] / MIB:.1f} MiB | {s["prompt_opt"] / MIB:.1f} MiB | '
            f'{s["prompt_opt"] / s["full_opt"]:.3f} |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    configs = args.configs or (TOY_CONFIGS if args.toy else DEFAULT_CONFIGS)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for config in configs:
            rows.append((config, measure(bench.resolve(config), folder)))
    print(format_table(rows))
    return rows


if __name__ == '__main__':
    main()
