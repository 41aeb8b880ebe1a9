"""Every config under ``configs/`` resolves to exactly the recorded values.

Guards refactors of the config files themselves (folding repeated bodies into shared
``_base_`` files, moving comments, renaming bases): the inheritance may change, the
resolved config may not. For every ``.py`` under ``configs/`` (the ``_base_`` files
too; ``configs/_generated/``, the launchers' output, is left out) the test loads
``Config.fromfile(path)`` and compares a canonical text of the resolved dict with the
golden file ``tests/data/resolved_configs.json``; a config added or removed without
updating the golden fails as well.

The canonical text is one line per leaf value, dict keys sorted:
``.data.train.pipeline[3].crop_size(0) = 512`` -- the path keeps dicts (``.key``),
lists (``[i]``) and tuples (``(i)``) apart, the value is its ``repr`` (so ``1`` vs
``1.0`` vs ``True``, ``'1'`` and ``None`` stay apart; floats as ``repr``); an empty
container is a leaf (``{}``, ``[]``, ``()``). A mismatch lists the lines that
differ, path first.

Only the resolved values are pinned, not the key order of the dicts nor the config's
own text or file name (``cfg.filename`` and ``cfg.text`` hold this checkout's
absolute path, so they are not recorded; the test checks that no recorded text holds
it). ``custom_imports`` is not imported while loading (``import_custom_modules=False``):
it only registers the plug-in's components and does not change the resolved dict.

A refactor that adds a config (a new shared base file) records it without touching
the other entries; this refuses to write if any recorded config resolves
differently or a recorded config is gone::

    .venv/bin/python tests/test_resolved_configs.py --add-new

After a change that is meant to alter resolved configs (a new value, a removed
config), regenerate the whole golden and review its diff::

    .venv/bin/python tests/test_resolved_configs.py --update
"""
import difflib
import json
import os
import os.path as osp
import sys

import pytest
from mmcv import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs')
GOLDEN = osp.join(REPO, 'tests', 'data', 'resolved_configs.json')
# folders under configs/ that hold no hand-written configs (the launchers' output)
SKIP_DIRS = {'_generated'}
# configs that do not load on their own; none at present
UNLOADABLE = set()
FORMAT = 'canonical-lines/2'


def config_names():
    """Paths of the configs relative to the repository, '/'-separated, sorted."""
    names = []
    for root, dirs, files in os.walk(CONFIGS):
        dirs[:] = sorted(d for d in dirs
                         if d not in SKIP_DIRS and d != '__pycache__')
        for f in files:
            if f.endswith('.py'):
                rel = osp.relpath(osp.join(root, f), REPO).replace(os.sep, '/')
                if rel not in UNLOADABLE:
                    names.append(rel)
    return sorted(names)


def _key(k):
    return '.' + (k if isinstance(k, str) and k.isidentifier() else repr(k))


def canonical_lines(value, path=''):
    """One ``path = repr(leaf)`` line per leaf, dict keys sorted.

    A dict key is ``.name`` (``.'a-b'`` or ``.0`` where it is no identifier), a list
    item ``[i]``, a tuple item ``(i)``: the path keeps the container types apart, an
    empty container is a leaf (``{}``, ``[]``, ``()``).
    """
    if isinstance(value, (dict, list, tuple)) and type(value) not in (dict, list,
                                                                      tuple):
        raise TypeError(f'{path}: no canonical form for {type(value).__name__}')
    if isinstance(value, dict) and value:
        lines = []
        for k in sorted(value, key=lambda k: (type(k).__name__, repr(k))):
            lines += canonical_lines(value[k], path + _key(k))
        return lines
    if isinstance(value, (list, tuple)) and value:
        pattern = '({})' if isinstance(value, tuple) else '[{}]'
        lines = []
        for i, v in enumerate(value):
            lines += canonical_lines(v, path + pattern.format(i))
        return lines
    if value is None or type(value) in (bool, int, float, str, dict, list, tuple):
        return [f'{path or "<root>"} = {value!r}']
    # anything else would print its own repr (perhaps with an address): refuse it
    raise TypeError(f'{path}: no canonical form for {type(value).__name__}')


def resolve(name):
    cfg = Config.fromfile(osp.join(REPO, name), import_custom_modules=False)
    return canonical_lines(cfg._cfg_dict.to_dict())


def resolve_all():
    return {name: resolve(name) for name in config_names()}


def load_golden():
    with open(GOLDEN, encoding='utf-8') as f:
        golden = json.load(f)
    assert golden['format'] == FORMAT, golden['format']
    return golden['configs']


def write_golden(resolved):
    os.makedirs(osp.dirname(GOLDEN), exist_ok=True)
    with open(GOLDEN, 'w', encoding='utf-8') as f:
        json.dump(dict(format=FORMAT, configs=resolved), f, indent=1,
                  sort_keys=True, ensure_ascii=False)
        f.write('\n')


def test_golden_lists_every_config():
    golden, current = set(load_golden()), set(config_names())
    assert current == golden, (
        f'configs without a golden entry: {sorted(current - golden)}; golden entries '
        f'without a config: {sorted(golden - current)} (regenerate with --update)')


@pytest.mark.parametrize('name', config_names())
def test_resolved_config_matches_golden(name):
    golden = load_golden()
    if name not in golden:
        pytest.fail(f'{name} has no golden entry (regenerate with --update)')
    got, want = resolve(name), golden[name]
    if got != want:
        diff = '\n'.join(difflib.unified_diff(want, got, 'golden', 'resolved',
                                              n=0, lineterm=''))
        pytest.fail(f'{name} resolves differently from the golden:\n{diff}')


def test_golden_holds_no_checkout_path():
    text = open(GOLDEN, encoding='utf-8').read()
    assert REPO not in text and REPO.replace(os.sep, '/') not in text


def main(argv):
    if argv not in (['--update'], ['--add-new']):
        sys.exit(__doc__)
    resolved = resolve_all()
    for name, lines in resolved.items():
        if any(REPO in line for line in lines):
            sys.exit(f'{name}: its resolved text holds the checkout path {REPO}')
    if argv == ['--add-new']:
        golden = load_golden()
        gone = sorted(set(golden) - set(resolved))
        changed = sorted(n for n in golden
                         if n in resolved and resolved[n] != golden[n])
        if gone or changed:
            sys.exit(f'not written: configs gone {gone}, resolving differently '
                     f'{changed} (run the test; --update if that is meant)')
        added = sorted(set(resolved) - set(golden))
        resolved = dict(golden, **{n: resolved[n] for n in added})
        print('added:', ', '.join(added) or 'nothing')
    write_golden(resolved)
    print(f'wrote {len(resolved)} configs to {osp.relpath(GOLDEN, REPO)}')


if __name__ == '__main__':
    main(sys.argv[1:])
