"""The README stays true: its set-up commands come first and every example in it runs."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)


def blocks(language: str) -> list[str]:
    return [code for _, code in numbered_blocks(language)]


def numbered_blocks(language: str) -> list[tuple[int, str]]:
    """The blocks of ``language`` with the README line their first line of code is on."""
    text = README.read_text()
    return [
        (text.count("\n", 0, m.start(2)) + 1, m.group(2))
        for m in BLOCK.finditer(text)
        if m.group(1) == language
    ]


def promise(comment: str) -> str:
    """The result a ``print(...)  # comment`` promises: the comment up to a remark after ``, ``
    or ``: `` outside brackets and quotes (``['web1'], answered in SQL`` promises ``['web1']``)."""
    depth, quote = 0, ""
    for i, char in enumerate(comment):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and comment.startswith((", ", ": "), i):
            return comment[:i]
    return comment


def keeps(promised: str, printed: str) -> bool:
    """Whether ``printed`` is what ``promised`` says; ``...`` in it stands for any text."""
    pattern = ".*".join(re.escape(part) for part in promised.split("..."))
    return re.fullmatch(pattern, printed) is not None


def promised_prints(code: str, first_line: int) -> list[tuple[int, str | None]]:
    """Each ``print(...)`` statement of ``code`` (README line, the result its comment promises,
    None without a comment), in the order of the code."""
    comments = {
        tok.start[0]: tok.string.lstrip("#").strip()
        for tok in tokenize.generate_tokens(io.StringIO(code).readline)
        if tok.type == tokenize.COMMENT
    }
    prints = [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "print"
    ]
    found = []
    for node in sorted(prints, key=lambda node: node.lineno):
        comment = comments.get(node.end_lineno)
        found.append(
            (first_line + node.end_lineno - 1, None if comment is None else promise(comment))
        )
    return found


def test_readme_opens_with_the_run_and_test_commands():
    first, second = blocks("sh")[:2]
    assert (
        first.strip()
        == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/nodekeeper"
    )
    assert second.strip() == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest -n auto"
    )
    ci = (README.parent / ".ci" / "run").read_text()
    assert "grep -m1" in ci and "README.md" in ci  # CI runs that very line


@pytest.mark.parametrize(
    ("comment", "promised"),
    [
        ("['web1'], answered in SQL, profiles included", "['web1']"),
        ("['svc1']: any order, one claim set", "['svc1']"),
        ("{...} profile:default", "{...} profile:default"),
        ("['a, b', 'c: d']: a remark", "['a, b', 'c: d']"),
        ("['svc2']", "['svc2']"),
    ],
)
def test_a_comment_promises_the_result_before_its_remark(comment, promised):
    assert promise(comment) == promised


@pytest.mark.parametrize(
    ("promised", "printed", "kept"),
    [
        ("{...} profile:default", "{'type': 'nic', 'network': 'br0'} profile:default", True),
        ("{...} profile:default", "{'type': 'nic'} profile:web", False),
        ("['web1']", "['web1']", True),
        ("['web1']", "['web1', 'db1']", False),
        ("['web1']", "['web1'] ", False),
    ],
)
def test_a_printed_result_keeps_its_promise_only_when_it_is_that_result(promised, printed, kept):
    assert keeps(promised, printed) is kept


def test_python_examples_print_what_their_comments_promise(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checked = 0
    for first_line, code in numbered_blocks("python"):
        prints = promised_prints(code, first_line)
        silent = [f"README.md:{line}" for line, promised in prints if promised is None]
        assert not silent, f"a print without the result it shows in a comment: {silent}"
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            # Compiled at its README lines, so a traceback points into the README.
            exec(
                compile("\n" * (first_line - 1) + code, "README.md", "exec"), {"__name__": "readme"}
            )
        printed = output.getvalue().splitlines()
        assert len(printed) == len(prints), (prints, printed)  # one line per print
        for (line, promised), result in zip(prints, printed, strict=True):
            assert keeps(promised, result), f"README.md:{line} promises {promised}, prints {result}"
        checked += len(prints)
    assert checked, "no print found in the README's python examples"


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
