"""The README's shell examples run as printed after its set-up command: in the checkout, in a
fresh shell where ``nodekeeper`` is not on PATH until the venv is activated the way the README
says, once, before the first example."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.test_readme import BLOCK, README, blocks

ACTIVATE = re.compile(r"`((?:\.|source) \.venv/bin/activate)`")
FRESH_PATH = "/usr/bin:/bin"  # a login shell's, without the venv


def test_the_readme_says_once_how_to_activate_the_venv_before_the_first_example():
    text = README.read_text()
    found = list(ACTIVATE.finditer(text))
    assert len(found) == 1, [m.group(1) for m in found]
    set_up, test, first_example = [m for m in BLOCK.finditer(text) if m.group(1) == "sh"][:3]
    assert test.end() < found[0].start() < first_example.start()
    assert set_up.group(2).startswith("python3 -m venv .venv")  # the venv it activates


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="runs in the README's .venv")
def test_shell_examples_run_as_printed_in_a_fresh_shell_after_the_activation(tmp_path):
    (tmp_path / ".venv").symlink_to(sys.prefix)  # tmp_path is the checkout, with its venv
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NODEKEEPER_DB")}
    env["PATH"] = FRESH_PATH
    assert shutil.which("nodekeeper", path=FRESH_PATH) is None  # so activating is what finds it
    activate = ACTIVATE.search(README.read_text()).group(1)
    for script in blocks("sh")[2:]:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", f"{activate}\n{script}"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, f"{script}\n{result.stderr}"
        assert "error:" not in result.stderr
