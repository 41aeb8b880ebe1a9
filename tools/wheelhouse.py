"""Download everything the project installs, except torch and torchvision, into one
folder, for ``tools/install.sh --current-env --offline DIR`` on a machine without a
package index (a GPU cluster's compute node, say).

    python tools/wheelhouse.py DIR [--python 3.12] [--full | --leave-out NAME ...]

What goes in:
- the mmcv-full 1.7.2 sdist, hash-checked (``tools/build_mmcv.py`` builds it there);
- every other pin of ``requirements.txt`` as a wheel for the target Python on
  manylinux x86-64, with the dependencies they pull (walked from each wheel's
  metadata, not through torch: whoever has torch has its dependencies);
- mmsegmentation 0.30.0 without its dependencies (install.sh installs it with
  ``--no-deps``: it declares mmcls, which it never imports);
- the build tools the offline install needs: setuptools (>= 77, for the editable
  install of this package) and ninja (without it torch's extension builder compiles
  mmcv's ~130 sources one at a time);
- ``wheelhouse.json``: the target Python, what is in and what was left out.

By default the packages that GPU images (and most research clusters) already have,
and that are the bulk of the download, are left out: opencv-python-headless, scipy,
matplotlib, tensorboard and numpy (over 100 MiB together for Python 3.12, against
~35 MiB for everything else). install.sh --offline then keeps the environment's own
versions of those and stops, before installing anything, if one is missing.
``--full`` takes them too (for a bare environment that holds nothing but torch).
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pip._vendor.packaging.markers import default_environment
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import build_mmcv  # noqa: E402  (the sdist name, hash and download)

# never downloaded: the target machine's own torch is kept
KEEP_TORCH = ('torch', 'torchvision')
# installed with --no-deps by install.sh: downloaded alone, their metadata not walked
NO_DEPS = ('mmcv-full', 'mmsegmentation')
# on GPU images already and the bulk of a full wheelhouse: left out unless --full
PREINSTALLED = ('opencv-python-headless', 'scipy', 'matplotlib', 'tensorboard', 'numpy')
BUILD_TOOLS = ('setuptools>=77', 'ninja')
# manylinux tags accepted for the target: pip matches each exactly
PLATFORMS = ['manylinux_2_%d_x86_64' % n for n in range(39, 16, -1)] + [
    'manylinux2014_x86_64', 'manylinux2010_x86_64', 'manylinux1_x86_64', 'linux_x86_64']
MANIFEST = 'wheelhouse.json'


def read_pins(path):
    """``{canonical name: 'name==version'}`` of a requirements file, in file order."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = line
    return pins


def target_args(python):
    major, minor = python.split('.')
    args = ['--only-binary=:all:', '--python-version', python, '--implementation', 'cp',
            '--abi', f'cp{major}{minor}', '--abi', 'abi3', '--abi', 'none']
    for tag in PLATFORMS:
        args += ['--platform', tag]
    return args


def pip(*args, quiet=True):
    cmd = [sys.executable, '-m', 'pip', *(['-q'] if quiet else []), *args]
    subprocess.check_call(cmd)


def resolve(requirements, python):
    """pip's resolution of ``requirements`` for the target Python (metadata only):
    ``{name: (version, [Requirement])}``."""
    with tempfile.TemporaryDirectory() as tmp:
        report = osp.join(tmp, 'report.json')
        req_file = osp.join(tmp, 'requirements.txt')
        Path(req_file).write_text('\n'.join(requirements) + '\n')
        # --target: pip takes platform options for an install only into a folder
        pip('install', '--dry-run', '--ignore-installed', '--report', report,
            '--target', osp.join(tmp, 'target'), *target_args(python), '-r', req_file)
        items = json.loads(Path(report).read_text())['install']
    resolved = {}
    for item in items:
        meta = item['metadata']
        reqs = [Requirement(r) for r in meta.get('requires_dist') or []]
        resolved[canonicalize_name(meta['name'])] = (meta['version'], reqs)
    return resolved


def closure(roots, resolved, python, stop):
    """Names reachable from ``roots`` through the resolved wheels' dependencies, for
    the target Python, without entering the packages in ``stop``."""
    env = default_environment()
    env.update(python_version=python, python_full_version=python + '.0',
               sys_platform='linux', platform_system='Linux', platform_machine='x86_64',
               os_name='posix', implementation_name='cpython',
               platform_python_implementation='CPython')
    seen, todo = set(), [(name, frozenset()) for name in roots]
    needed = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen or name in stop:
            continue
        seen.add((name, extras))
        needed.add(name)
        for req in resolved[name][1]:
            wanted = [dict(env, extra=e) for e in extras] + [dict(env, extra='')]
            if req.marker is None or any(req.marker.evaluate(e) for e in wanted):
                todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return needed


def size_mib(folder):
    return sum(f.stat().st_size for f in Path(folder).iterdir() if f.is_file()) / 2**20


def fetch_mmcv_sdist(out_dir):
    dest = Path(out_dir) / build_mmcv.SDIST_NAME
    if not (dest.exists() and build_mmcv.sha256(dest) == build_mmcv.SDIST_SHA256):
        build_mmcv.fetch_sdist(dest)
    build_mmcv.check_hash(dest)
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', metavar='DIR', help='the wheelhouse folder (created)')
    parser.add_argument('--python', default='%d.%d' % sys.version_info[:2],
                        help='target Python, e.g. 3.12 (default: this one)')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--full', action='store_true',
                       help='also take ' + ', '.join(PREINSTALLED))
    group.add_argument('--leave-out', nargs='+', metavar='NAME',
                       help='leave out these pins instead of the default ones')
    parser.add_argument('--requirements', default=str(ROOT / 'requirements.txt'))
    args = parser.parse_args(argv)
    if not re.fullmatch(r'3\.\d+', args.python):
        parser.error(f'--python must look like 3.12, got {args.python!r}')

    pins = read_pins(args.requirements)
    leave_out = set() if args.full else {
        canonicalize_name(n) for n in (args.leave_out or PREINSTALLED)}
    unknown = leave_out - set(pins)
    if unknown:
        parser.error(f'--leave-out: {sorted(unknown)} are not pins of {args.requirements}')
    for name in (*KEEP_TORCH, *NO_DEPS):
        if name not in pins:
            sys.exit(f'wheelhouse: {args.requirements} has no {name} pin')

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # torch stays in the resolution so that the other pins resolve against it, but it
    # is neither walked nor downloaded
    wheel_pins = [p for n, p in pins.items() if n not in NO_DEPS]
    print(f'wheelhouse: resolving {len(wheel_pins)} pins for Python {args.python}',
          flush=True)
    resolved = resolve(wheel_pins, args.python)
    roots = [n for n in pins if n not in (*KEEP_TORCH, *NO_DEPS)]
    needed = closure(roots, resolved, args.python, stop={*KEEP_TORCH, *leave_out})
    wanted = sorted(f'{n}=={resolved[n][0]}' for n in needed)
    print(f'wheelhouse: downloading {len(wanted)} wheels '
          f'(left out: {", ".join(sorted(leave_out)) or "nothing"})', flush=True)
    pip('download', '--no-deps', *target_args(args.python), '-d', str(out), *wanted,
        pins['mmsegmentation'], *BUILD_TOOLS)
    fetch_mmcv_sdist(out)

    # anything else in the folder (from an earlier run with other pins) would be found
    # by --find-links too; name it rather than delete a user's files
    manifest = dict(
        python=args.python,
        requirements_sha256=hashlib.sha256(Path(args.requirements).read_bytes()
                                           ).hexdigest(),
        packages={n: resolved[n][0] for n in sorted(needed)},
        left_out={n: pins[n] for n in sorted(leave_out)},
        no_deps=[pins[n] for n in NO_DEPS], build_tools=list(BUILD_TOOLS),
        mmcv_sdist=dict(name=build_mmcv.SDIST_NAME, sha256=build_mmcv.SDIST_SHA256))
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + '\n')
    print(f'wheelhouse: {out} holds {len(list(out.iterdir()))} files, '
          f'{size_mib(out):.1f} MiB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
