"""The package's import graph: no cycle between modules, and every subpackage imports
only the layers below it (docs/architecture.md, "Layers").

The graph is read with ``ast`` from every module of ``mmseg_uvpt``, relative imports
resolved and imports inside functions included: a lazy import still ties the two
modules together, it only moves the failure to run time.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = 'mmseg_uvpt'
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# Which subpackages each subpackage may import, lowest layer first. ``models`` may
# use ``augmentations`` (Source-GtA's segmentor augments its batches), and the
# run-time keeps the augmentations' style banks in its checkpoints; nothing else
# below ``apis`` may. The top package (``mmseg_uvpt/__init__.py``) imports the
# packages that register classes, and is not a layer.
_LOW = {'checkpoints', 'utils'}
_MODEL = _LOW | {'ops', 'datasets', 'augmentations', 'models'}
ALLOWED = {
    'checkpoints': set(),
    'utils': {'checkpoints'},
    'ops': _LOW,
    'datasets': _LOW | {'ops'},
    'correction': _LOW | {'datasets'},
    'toy_benchmark': _LOW | {'datasets'},
    'augmentations': _LOW | {'ops', 'datasets'},
    'models': _LOW | {'ops', 'datasets', 'augmentations'},
    'benchmarking': _MODEL | {'correction'},
    'core': _LOW,
    'runtime': _LOW | {'datasets', 'augmentations'},
    'apis': _MODEL | {'correction', 'core', 'runtime'},
    'user_tools': _MODEL | {'correction', 'core', 'runtime', 'apis', 'toy_benchmark'},
    'launch': _MODEL | {'correction', 'core', 'runtime', 'apis', 'toy_benchmark'},
}


def module_files(root=ROOT, package=PACKAGE):
    """``{dotted module name: path}`` of every ``.py`` file under ``root``."""
    modules = {}
    for path in sorted(root.rglob('*.py')):
        parts = (package,) + path.relative_to(root).with_suffix('').parts
        if parts[-1] == '__init__':
            parts = parts[:-1]
        modules['.'.join(parts)] = path
    return modules


def imported_modules(name, path, modules):
    """The package's modules that module ``name`` imports anywhere in its body."""
    is_package = path.name == '__init__.py'
    here = name.split('.') if is_package else name.split('.')[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)]
                base = '.'.join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ''
            # ``from pkg import mod`` imports the submodule; ``from mod import x``
            # the module itself
            targets = [f'{base}.{alias.name}' if f'{base}.{alias.name}' in modules
                       else base for alias in node.names]
        else:
            continue
        for target in targets:
            # ``import a.b.c`` of a module of ours, or of an attribute of one
            while target and target not in modules:
                target = target.rpartition('.')[0]
            if target and target != name:
                found.add(target)
    return found


def import_bases(path, module_name=None):
    """``(line, module)`` of every ``import``/``from ... import`` in a file, relative
    ones resolved against ``module_name`` (the file's dotted name)."""
    is_package = path.name == '__init__.py'
    here = (module_name.split('.') if is_package else module_name.split('.')[:-1]) \
        if module_name else []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                base = '.'.join(here[:len(here) - (node.level - 1)] +
                                ([node.module] if node.module else []))
            yield node.lineno, base, [alias.name for alias in node.names]


def unresolved_imports(files, modules, package=PACKAGE):
    """``path:line module`` of every import of the package that names no module of it
    (a module moved and an import left behind: the layer check cannot see those)."""
    bad = []
    for path, module_name in files:
        for line, base, names in import_bases(path, module_name):
            if base != package and not base.startswith(package + '.'):
                continue
            if base not in modules:
                bad.append(f'{path}:{line} {base}')
    return bad


def test_every_import_of_the_package_names_one_of_its_modules():
    modules = module_files()
    repo = ROOT.parent
    files = [(path, name) for name, path in modules.items()]
    files += [(path, None) for folder in ('tests', 'tools')
              for path in sorted((repo / folder).rglob('*.py'))]
    files += [(path, None) for path in sorted(repo.glob('*.py'))]
    assert unresolved_imports(files, modules) == []


def test_unresolved_imports_are_found(tmp_path):
    pkg = tmp_path / 'pkg'
    (pkg / 'apis').mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'apis' / '__init__.py').write_text('')
    (pkg / 'apis' / 'a.py').write_text('def f():\n    from .gone import g\n'
                                       'from pkg.apis import a\nimport pkg.old\n')
    modules = module_files(pkg, 'pkg')
    files = [(path, name) for name, path in modules.items()]
    found = unresolved_imports(files, modules, 'pkg')
    assert sorted(entry.rpartition(' ')[2] for entry in found) == ['pkg.apis.gone', 'pkg.old']


def import_graph(root=ROOT, package=PACKAGE):
    modules = module_files(root, package)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph):
    """One import cycle as a list of modules, or ``None``."""
    state = {}  # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def layer_of(module):
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else None


def layer_violations(graph):
    """``(importer, imported)`` pairs that break the layer table."""
    bad = []
    for name, targets in graph.items():
        layer = layer_of(name)
        if layer is None:
            continue
        for target in targets:
            other = layer_of(target)
            if other != layer and other not in ALLOWED[layer]:
                bad.append((name, target))
    return sorted(bad)


@pytest.fixture(scope='module')
def graph():
    return import_graph()


def test_every_subpackage_has_a_layer(graph):
    layers = {layer_of(name) for name in graph} - {None}
    assert layers - set(ALLOWED) == set(), 'give the new subpackage a row in ALLOWED'


def test_no_import_cycle(graph):
    cycle = find_cycle(graph)
    assert cycle is None, 'import cycle: ' + ' -> '.join(cycle)


def test_layers_import_only_downwards(graph):
    assert layer_violations(graph) == []


def test_the_graph_sees_relative_lazy_and_absolute_imports(tmp_path):
    # a tiny package where b imports c inside a function (relative) and c imports
    # b at module level (absolute): one cycle, and c (utils) importing apis breaks
    # the layers
    pkg = tmp_path / 'pkg'
    (pkg / 'apis').mkdir(parents=True)
    (pkg / 'utils').mkdir()
    (pkg / '__init__.py').write_text('from . import apis\n')
    (pkg / 'apis' / '__init__.py').write_text('')
    (pkg / 'utils' / '__init__.py').write_text('')
    (pkg / 'apis' / 'b.py').write_text('def f():\n    from ..utils.c import g\n')
    (pkg / 'utils' / 'c.py').write_text('from pkg.apis import b\n\ndef g():\n    pass\n')
    graph = import_graph(pkg, 'pkg')
    assert graph['pkg'] == {'pkg.apis'}
    assert graph['pkg.apis.b'] == {'pkg.utils.c'}
    assert graph['pkg.utils.c'] == {'pkg.apis.b'}
    assert find_cycle(graph) == ['pkg.apis.b', 'pkg.utils.c', 'pkg.apis.b']
    assert layer_violations(graph) == [('pkg.utils.c', 'pkg.apis.b')]



def script_names(repo=ROOT.parent):
    """Names of the scripts a user runs: the top-level ones and those in ``tools/``."""
    return {path.stem for folder in (repo, repo / 'tools') for path in folder.glob('*.py')}


def test_no_module_shares_a_name_with_a_script():
    # ``apis/train.py`` beside ``train.py`` sent readers to the wrong file
    clashes = sorted(f'{name} ({script}.py)' for name in module_files()
                     for script in [name.rpartition('.')[2]] if script in script_names())
    assert clashes == [], 'rename the modules: ' + ', '.join(clashes)


def test_script_names_are_read_from_the_repo(tmp_path):
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'train.py').write_text('')
    (tmp_path / 'tools' / 'infer.py').write_text('')
    (tmp_path / 'README.md').write_text('')
    assert script_names(tmp_path) == {'train', 'infer'}
