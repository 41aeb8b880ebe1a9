"""Build mmcv-full from its sdist for the running interpreter and torch, or reuse a cached wheel.

mmcv-full 1.7.2 has no wheel on the package index for today's torch, and its setup.py
no longer builds as shipped. This script fetches the sdist (hash-checked), patches it
and builds a wheel without build isolation, so that the build sees the installed torch
(an isolated build silently drops the compiled ops). See docs/architecture.md,
"The stack".

The wheel is cached outside the checkout, keyed by mmcv, torch and Python versions and
CUDA on/off (with the CUDA arch list), so a second install on the same machine only
reinstalls the cached wheel. ``--prebuilt DIR`` also looks for that key under DIR
(e.g. a wheelhouse that carries a wheel built on an identical machine).

What keeps the build short (the CUDA build is the largest cost of a GPU machine's
offline install): CUDA code for the present GPUs' architectures only (not torch's
list of every architecture), ninja (without it torch's extension builder compiles the
~130 sources one after another; it is looked for beside this interpreter too), one
job per usable core, and no host debug info (``-g0``: Python's own build flags carry
``-g``, which only makes the objects larger and slower to write).

Usage: python tools/build_mmcv.py [--cuda auto|on|off] [--sdist FILE] [--cache-dir DIR]
                                  [--prebuilt DIR] [--no-install]
"""
import argparse
import hashlib
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import urllib.request
from pathlib import Path

MMCV_VERSION = '1.7.2'
SDIST_NAME = f'mmcv-full-{MMCV_VERSION}.tar.gz'
SDIST_SHA256 = 'aa276a2c68fa84db9bbcdcf6ae941e30f0cb4a7f175bd283516669e00bab3759'


def default_cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(Path.home(), '.cache')
    return Path(os.environ.get('UVPT_CACHE_DIR') or os.path.join(base, 'mmseg_uvpt'))


def want_cuda(mode):
    """CUDA ops when asked, or in auto mode when nvcc and a visible GPU are both there."""
    import torch
    if mode == 'on' or os.environ.get('FORCE_CUDA') == '1':
        return True
    if mode == 'off':
        return False
    return bool(shutil.which('nvcc') and torch.version.cuda and torch.cuda.is_available())


def cuda_arch_list():
    """``TORCH_CUDA_ARCH_LIST`` if set, else the visible GPUs' own architectures:
    torch's default list would compile every kernel once per architecture it knows."""
    import torch
    if os.environ.get('TORCH_CUDA_ARCH_LIST'):
        return os.environ['TORCH_CUDA_ARCH_LIST']
    caps = sorted({torch.cuda.get_device_capability(i)
                   for i in range(torch.cuda.device_count())})
    return ';'.join(f'{major}.{minor}' for major, minor in caps)


def host_cflags(user_cflags=None):
    """The C++ flags of the build: Python's own (``-O3 -DNDEBUG ...``) with their
    ``-g`` turned into ``-g0``, then the user's. setuptools takes ``CFLAGS`` from the
    environment *instead of* Python's flags, so they are repeated here in full."""
    flags = ['-g0' if f == '-g' else f
             for f in (sysconfig.get_config_var('CFLAGS') or '').split()]
    return ' '.join(flags + ([user_cflags] if user_cflags else []))


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 2


def cache_key(cuda, arch):
    import torch
    py = f'py{sys.version_info.major}.{sys.version_info.minor}'
    flavour = f'cuda-{arch.replace(" ", "_").replace(";", "_")}' if cuda else 'cpu'
    return f'mmcv-full-{MMCV_VERSION}_torch-{torch.__version__}_{py}_{flavour}'


def index_url():
    return os.environ.get('PIP_INDEX_URL', 'https://pypi.org/simple').rstrip('/')


def fetch_sdist(dest):
    """Download the sdist named in the package index's simple page and check its hash."""
    page_url = f'{index_url()}/mmcv-full/'
    with urllib.request.urlopen(page_url, timeout=120) as resp:
        page = resp.read().decode()
    match = re.search(r'href="([^"]*/' + re.escape(SDIST_NAME) + r')[^"]*"', page)
    if not match:
        sys.exit(f'build_mmcv: {SDIST_NAME} is not listed at {page_url}; '
                 'download it by hand and pass --sdist FILE')
    url = match.group(1)
    if url.startswith('/'):
        url = re.match(r'https?://[^/]+', page_url).group(0) + url
    print(f'build_mmcv: downloading {url}', flush=True)
    with urllib.request.urlopen(url, timeout=600) as resp, open(dest, 'wb') as out:
        shutil.copyfileobj(resp, out)
    return dest


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_hash(path):
    digest = sha256(path)
    if digest != SDIST_SHA256:
        sys.exit(f'build_mmcv: {path} has sha256 {digest}, expected {SDIST_SHA256}')


def patch_setup(setup_py):
    """Make the 1.7.2 setup.py build against today's torch and setuptools.

    - torch >= 2.13 headers need C++20, setup.py asks for C++14/17;
    - setuptools >= 81 no longer ships pkg_resources, which setup.py imports, and
      torch itself needs setuptools >= 77, so we swap the import rather than pinning
      an old setuptools.
    """
    text = setup_py.read_text()
    text = text.replace(
        'from pkg_resources import DistributionNotFound, get_distribution, parse_version',
        'from importlib.metadata import PackageNotFoundError as DistributionNotFound\n'
        'from importlib.metadata import distribution as get_distribution\n'
        'from packaging.version import parse as parse_version')
    text = re.sub(r'-std=c\+\+1[47]', '-std=c++20', text)
    if 'import pkg_resources' in text or 'from pkg_resources' in text or \
            re.search(r'-std=c\+\+1[47]', text):
        sys.exit(f'build_mmcv: could not patch {setup_py}; has the sdist changed?')
    setup_py.write_text(text)


def build_wheel(sdist, cuda, arch, out_dir):
    with tempfile.TemporaryDirectory(prefix='mmcv-build-') as tmp:
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp, filter='data')
        src = Path(tmp) / f'mmcv-full-{MMCV_VERSION}'
        patch_setup(src / 'setup.py')
        env = dict(os.environ, MMCV_WITH_OPS='1')
        env.setdefault('MAX_JOBS', str(usable_cores()))
        # torch uses ninja only when `ninja` runs from PATH; a venv's own ninja (the
        # wheelhouse ships one) is beside the interpreter, which may not be on PATH
        env['PATH'] = os.pathsep.join([osp.dirname(sys.executable), env.get('PATH', '')])
        if not shutil.which('ninja', path=env['PATH']):
            print('build_mmcv: WARNING: no ninja on PATH: the sources compile one at a '
                  'time (pip install ninja)', flush=True)
        env['CFLAGS'] = host_cflags(env.get('CFLAGS'))
        if cuda:
            env.update(FORCE_CUDA='1', TORCH_CUDA_ARCH_LIST=arch)
        else:
            env.pop('FORCE_CUDA', None)
            # torch.cuda.is_available() decides in setup.py; hide any GPU for a CPU build
            env['CUDA_VISIBLE_DEVICES'] = ''
        print(f'build_mmcv: building mmcv-full {MMCV_VERSION} '
              f'({"CUDA " + arch if cuda else "CPU"} ops, {env["MAX_JOBS"]} jobs); '
              'this takes several minutes once per machine', flush=True)
        subprocess.check_call([sys.executable, '-m', 'pip', 'wheel', '--no-build-isolation',
                               '--no-deps', '-w', str(out_dir), str(src)], env=env)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cuda', choices=['auto', 'on', 'off'],
                        default=os.environ.get('UVPT_MMCV_CUDA', 'auto'),
                        help='CUDA ops (default: $UVPT_MMCV_CUDA, else auto: when nvcc '
                             'and a GPU are there)')
    parser.add_argument('--sdist', help='use this mmcv-full sdist instead of downloading it')
    parser.add_argument('--cache-dir', type=Path, default=default_cache_dir())
    parser.add_argument('--prebuilt', type=Path, action='append', default=[],
                        metavar='DIR', help='also reuse a wheel found under DIR/<key>/ '
                        '(read-only; may be given several times)')
    parser.add_argument('--no-install', action='store_true', help='only build and cache')
    args = parser.parse_args(argv)

    cuda = want_cuda(args.cuda)
    arch = cuda_arch_list() if cuda else ''
    key = cache_key(cuda, arch)
    print(f'build_mmcv: wheel key {key}', flush=True)
    wheel_dir = args.cache_dir / 'wheels' / key
    wheels = sorted(wheel_dir.glob('mmcv_full-*.whl'))
    for folder in args.prebuilt:
        wheels = wheels or sorted((folder / key).glob('mmcv_full-*.whl'))
    if wheels:
        print(f'build_mmcv: reusing cached {wheels[-1]}')
    else:
        args.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix='mmcv-', dir=args.cache_dir) as tmp:
            sdist = Path(args.sdist) if args.sdist else fetch_sdist(Path(tmp) / SDIST_NAME)
            check_hash(sdist)
            build_wheel(sdist, cuda, arch, Path(tmp) / 'dist')
            built = next((Path(tmp) / 'dist').glob('mmcv_full-*.whl'))
            wheel_dir.parent.mkdir(parents=True, exist_ok=True)
            staged = Path(tmp) / 'staged'
            staged.mkdir()
            shutil.move(str(built), staged / built.name)
            # rename the whole folder in one step so a killed build never leaves a
            # half-written wheel in the cache
            shutil.rmtree(wheel_dir, ignore_errors=True)
            os.replace(staged, wheel_dir)
        wheels = sorted(wheel_dir.glob('mmcv_full-*.whl'))
        print(f'build_mmcv: cached {wheels[-1]}')
    if not args.no_install:
        subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--no-deps',
                               '--no-index', '--force-reinstall', '--no-cache-dir',
                               str(wheels[-1])])


if __name__ == '__main__':
    main()
