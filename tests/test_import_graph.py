"""The package-internal import graph: no cycles, lower layers never import higher ones, and
every module imports on its own in a fresh interpreter.

The graph is read statically from the source (every ``import`` and ``from ... import``,
including those inside functions, so a lazy import cannot hide a cycle); ``from a.b import c``
is an edge to ``a.b.c`` when that is a module, else to ``a.b``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("naslib_zero", "search_spaces", "strategies")

# Bottom to top; a module may import its own layer and the layers below it. The first
# matching prefix decides a module's layer.
LAYERS: list[tuple[str, ...]] = [
    ("naslib_zero.core", "naslib_zero.analysis.metrics", "naslib_zero.analysis.ensembles"),
    ("naslib_zero.data", "naslib_zero.tables"),
    ("search_spaces", "naslib_zero.engine", "naslib_zero.proxies"),
    ("naslib_zero.scoring", "naslib_zero.analysis"),
    ("strategies",),
    ("naslib_zero.cli", "naslib_zero"),
]


def module_files() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = module_files()


def _imported(module: str, path: Path) -> set[str]:
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")
                parent = parent[: len(parent) - node.level + (1 if is_package else 0)]
                base = ".".join(parent + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:  # `import a.b.c` of an object path
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    for module, path in MODULES.items():
        graph.add_edges_from((module, target) for target in _imported(module, path))
    return graph


def layer_of(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} belongs to no layer")


def test_the_import_graph_has_no_cycle() -> None:
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c + c[:1]) for c in cycles)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
              for a, b in import_graph().edges if layer_of(b) > layer_of(a)]
    assert not upward, "\n".join(upward)


def test_only_the_command_line_imports_strategies() -> None:
    users = {a for a, b in import_graph().edges
             if b.startswith("strategies") and not a.startswith("strategies")}
    assert all(u.startswith("naslib_zero.cli") for u in users), sorted(users)


def test_the_checker_sees_a_cycle_and_a_lazy_import(tmp_path: Path) -> None:
    graph = import_graph()
    graph.add_edge("naslib_zero.core.errors", "naslib_zero.engine")
    assert list(nx.simple_cycles(graph))
    assert "naslib_zero.scoring.models" in _imported(
        "x", _write(tmp_path, "def f():\n    from naslib_zero.scoring.models import build_model\n"))


def _write(folder: Path, text: str) -> Path:
    path = folder / "probe.py"
    path.write_text(text)
    return path


# Each module first in a fresh interpreter. Third-party packages are imported once in a parent
# process that then forks one child per module, so the children start with none of the
# project's modules loaded (and without paying torch's import time each).
IMPORT_EACH = """
import os, sys, importlib, traceback
import numpy, torch, scipy.stats, networkx, sklearn.ensemble, matplotlib  # noqa: third party
assert not [m for m in sys.modules if m.split('.')[0] in {packages!r}]
failed = []
for name in {modules!r}:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
print("FAILED:" + ",".join(failed))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="uses os.fork")
def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = sorted(m for m in MODULES if not m.endswith(".__main__"))  # those run a program
    code = IMPORT_EACH.format(packages=set(PACKAGES), modules=modules)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, env={**_env(), "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("FAILED:"), result.stdout[-500:] + result.stderr[-3000:]


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
