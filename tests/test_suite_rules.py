"""The suite's own rules: which tests a run collects, and property tests that say what they skip.

Benchmarks are the tests of ``tests/perf/test_*.py``, marked ``perf``: the default run (the
``-m 'not perf'`` of pyproject's addopts) leaves them out, ``pytest -m perf`` runs them, wherever
the checkout lives (a folder named ``perf`` above it included).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def modules_in(under: Path) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in under.rglob("test_*.py")}


@pytest.fixture(scope="module")
def checkout_under_perf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite and its pytest settings, copied into ``.../perf/nodekeeper``."""
    checkout = tmp_path_factory.mktemp("suite") / "perf" / "nodekeeper"
    shutil.copytree(TESTS, checkout / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", checkout)
    return checkout


def collected_modules(checkout: Path, *args: str) -> set[str]:
    """The test modules of the tests ``pytest --collect-only`` (run in ``checkout``) selects."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {line.split("::", 1)[0] for line in done.stdout.splitlines() if "::" in line}


def test_the_default_run_collects_the_suite_and_leaves_the_benchmarks_out(checkout_under_perf):
    expected = modules_in(TESTS) - modules_in(TESTS / "perf")
    assert collected_modules(checkout_under_perf) == expected


def test_dash_m_perf_collects_the_benchmarks_and_nothing_else(checkout_under_perf):
    benchmarks = modules_in(TESTS / "perf")
    assert benchmarks  # there are some to find
    assert collected_modules(checkout_under_perf, "-m", "perf") == benchmarks
    assert collected_modules(checkout_under_perf, "-m", "perf", "tests/perf") == benchmarks


def _returns_in(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """Lines of the ``return`` statements of ``function`` itself (not of functions it defines)."""
    lines, stack = [], list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Return):
            lines.append(node.lineno)
        stack.extend(ast.iter_child_nodes(node))
    return lines


def test_no_hypothesis_test_returns_early_instead_of_calling_assume():
    """A ``return`` inside an ``@given`` test passes the example it did not test; ``assume()``
    tells Hypothesis to draw another (and its health check notices when too many are
    rejected)."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorators = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
            if any(ast.unparse(d).split(".")[-1] == "given" for d in decorators):
                found += [f"{path.relative_to(ROOT)}:{n}" for n in _returns_in(node)]
    assert not found, f"return inside @given (use hypothesis.assume): {found}"
