"""The package's shape: no import circles (lazy imports included), no private names taken from another
module, no module over 700 lines, the subpackages that map onto the paper, ``python -m basins``."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import networkx as nx
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "basins"
MAX_LINES = 700


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str, path: pathlib.Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in the file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((mod, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                out.append((a.name, [], node.lineno))
    return out


def _graph() -> nx.DiGraph:
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        for mod, names, _ in _imports(name, path):
            targets = [mod] + [f"{mod}.{n}" for n in names]
            for t in targets:
                if t in mods and t != name and not name.startswith(t + "."):
                    # a package's __init__ importing its own submodules is not a circle with them
                    if not (mods[name].name == "__init__.py" and t.startswith(name + ".")):
                        g.add_edge(name, t)
    return g


def test_no_import_circles_lazy_imports_included() -> None:
    cycles = [c for c in nx.simple_cycles(_graph())]
    assert not cycles, f"import circles: {cycles[:5]}"


def test_no_module_takes_another_modules_private_names() -> None:
    mods = _modules()
    bad = []
    for name, path in mods.items():
        for mod, names, line in _imports(name, path):
            if not mod.startswith("basins"):
                continue
            for n in names:
                if n.startswith("_") and not (n.startswith("__") and n.endswith("__")):
                    bad.append(f"{path.relative_to(ROOT.parent)}:{line} takes {n} from {mod}")
    assert not bad, "\n".join(bad)


def test_no_module_over_700_lines() -> None:
    long = {str(p.relative_to(ROOT.parent)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


@pytest.mark.parametrize("sub", ["activations", "model", "constructions", "verification", "certification",
                                 "landscape", "oracles", "io", "plot", "cli", "cases"])
def test_the_subpackages_exist(sub: str) -> None:
    assert (ROOT / sub / "__init__.py").is_file()


def test_python_dash_m_basins_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "basins", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "construct" in out.stdout


def test_the_public_names_of_the_package_still_resolve() -> None:
    import basins

    for name in basins.__all__:
        assert getattr(basins, name) is not None, name
