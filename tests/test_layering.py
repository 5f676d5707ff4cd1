"""The stages flow one way: the import-linter contract in pyproject.toml holds, fails on an upward
import, and no two modules import each other (directly or round a longer loop)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.is_file():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_layers_contract_is_kept():
    res = _lint()
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 kept, 0 broken" in res.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """A copy of the package with one deliberate upward import (face → evaluation) fails the check."""
    copy = tmp_path / "src"
    shutil.copytree(REPO / "src" / "microexp", copy / "microexp", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "microexp" / "face" / "upward.py").write_text("from microexp.evaluation import runner  # deliberate\n")
    res = _lint(pythonpath=copy)
    assert res.returncode != 0
    assert "microexp.face.upward -> microexp.evaluation.runner" in res.stdout


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_loop():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules():
    grimp = pytest.importorskip("grimp")
    g = grimp.build_graph("microexp")
    graph = {}
    for m in g.modules:
        # a package's __init__ re-exporting its own modules is not a cycle between ideas
        graph[m] = {i for i in g.find_modules_directly_imported_by(m) if not m.startswith(i + ".")}
    assert _cycles(graph) == []
