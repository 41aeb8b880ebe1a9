"""Check an environment against a wheelhouse and write what ``install.sh --offline``
installs, before anything is installed.

    python tools/offline_plan.py DIR requirements.txt REQS_OUT CONSTRAINTS_OUT

Stops with a message naming the problem when: DIR has no ``wheelhouse.json`` or was
made for another Python or other pins; torch is missing or outside 2.11-2.14;
torchvision is missing; a package the wheelhouse left out is not installed. Writes
``REQS_OUT`` (the pins the wheelhouse holds, plus the build tools) and
``CONSTRAINTS_OUT`` (torch, torchvision and the left-out packages at their installed
versions, so that pip can neither replace nor remove them).
"""
import json
import sys
from importlib import metadata
from pathlib import Path

from pip._vendor.packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wheelhouse import KEEP_TORCH, MANIFEST, NO_DEPS, read_pins  # noqa: E402

TORCH_RANGE = (Version('2.11'), Version('2.15'))  # 2.11 to 2.14, any patch or build


def installed(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def plan(wheelhouse, requirements):
    """``(requirement lines, constraint lines)``; exits with a message on a mismatch."""
    manifest_path = Path(wheelhouse) / MANIFEST
    if not manifest_path.is_file():
        sys.exit(f'install.sh --offline: {manifest_path} is missing; make the folder '
                 'with tools/wheelhouse.sh')
    manifest = json.loads(manifest_path.read_text())
    here = '%d.%d' % sys.version_info[:2]
    if manifest['python'] != here:
        sys.exit(f'install.sh --offline: {wheelhouse} holds wheels for Python '
                 f"{manifest['python']}, this is Python {here} ({sys.executable}); "
                 f'make one with tools/wheelhouse.sh DIR --python {here}')

    torch_version = installed('torch')
    if torch_version is None:
        sys.exit(f'install.sh --offline: no torch in {sys.prefix}: the offline install '
                 'keeps the environment\'s torch and never downloads one')
    if not TORCH_RANGE[0] <= Version(Version(torch_version).base_version) < TORCH_RANGE[1]:
        sys.exit(f'install.sh --offline: torch {torch_version} is outside the supported '
                 '2.11-2.14')
    if installed('torchvision') is None:
        sys.exit('install.sh --offline: no torchvision beside torch '
                 f'{torch_version} (timm needs it; install the one made for that torch)')

    pins = read_pins(requirements)
    held = manifest['packages']
    left_out = manifest.get('left_out', {})
    missing = [n for n in left_out if installed(n) is None]
    if missing:
        sys.exit(f'install.sh --offline: {wheelhouse} left out {", ".join(missing)} '
                 f'(expected in the environment) and {sys.prefix} does not have '
                 f'{"it" if len(missing) == 1 else "them"}; install '
                 f'{"it" if len(missing) == 1 else "them"} or make the wheelhouse '
                 'with --full')
    wanted, stale = [], []
    for name, pin in pins.items():
        if name in (*KEEP_TORCH, *NO_DEPS, *left_out):
            continue
        version = pin.split('==', 1)[1]
        if held.get(name) != version:
            stale.append(f'{pin} (wheelhouse: {held.get(name, "none")})')
        wanted.append(pin)
    if stale:
        sys.exit(f'install.sh --offline: {wheelhouse} was made from other pins than '
                 f'{requirements}: ' + '; '.join(stale) + '. Make it again.')

    sdist = Path(wheelhouse) / manifest['mmcv_sdist']['name']
    if not sdist.is_file():
        sys.exit(f'install.sh --offline: {sdist} is missing')

    constraints = [f'{n}=={installed(n)}' for n in (*KEEP_TORCH, *left_out)]
    print('install.sh --offline: keeping ' + ', '.join(c.replace('==', ' ')
                                                     for c in constraints))
    for name, pin in left_out.items():
        if installed(name) != pin.split('==', 1)[1]:
            print(f'install.sh --offline: note: {name} {installed(name)} is kept '
                  f'(the pin is {pin})')
    return wanted + manifest['build_tools'], constraints


def main(argv=None):
    wheelhouse, requirements, reqs_out, constraints_out = (argv or sys.argv[1:])
    wanted, constraints = plan(wheelhouse, requirements)
    Path(reqs_out).write_text('\n'.join(wanted) + '\n')
    Path(constraints_out).write_text('\n'.join(constraints) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
