"""The README stays true: its set-up commands come first and every example in it runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README.read_text()) if lang == language]


def test_readme_opens_with_the_run_and_test_commands():
    first, second = blocks("sh")[:2]
    assert (
        first.strip()
        == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/nodekeeper"
    )
    assert second.strip() == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    )
    ci = (README.parent / ".ci" / "run").read_text()
    assert "grep -m1" in ci and "README.md" in ci  # CI runs that very line


def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for code in blocks("python"):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})


def test_shell_examples_run(tmp_path):
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    env.pop("NODEKEEPER_DB", None)
    output = ""
    for script in blocks("sh")[2:]:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "error:" not in result.stderr
        output += result.stdout
    assert "web1" in output  # `list containers --using br0`
    assert "# from profile:default" in output
    assert "system_metrics" in output  # `db stats` after `collect --once`
