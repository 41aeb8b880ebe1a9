"""Prove the installed stack: import the compiled mmcv ops, mmseg's models and this
package, and print their versions. Exit status 1 with the failing import otherwise.

Usage: python -m mmseg_uvpt.utils.check_stack
"""
import importlib
import sys


def main():
    try:
        for name in ('mmcv.ops', 'mmseg.models', 'mmseg_uvpt'):
            importlib.import_module(name)
    except Exception as err:  # report any import failure, this is a probe
        print(f'check_stack: import {name} failed: {type(err).__name__}: {err}')
        return 1
    import mmcv
    import mmseg
    import torch
    from mmcv.ops import get_compiling_cuda_version, get_compiler_version
    cuda_ops = get_compiling_cuda_version()
    print(f'python {sys.version.split()[0]} | torch {torch.__version__} '
          f'(cuda available: {torch.cuda.is_available()}) | mmcv-full {mmcv.__version__} '
          f'(ops compiled by {get_compiler_version()}, CUDA ops: {cuda_ops}) | '
          f'mmseg {mmseg.__version__} | mmseg_uvpt ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
