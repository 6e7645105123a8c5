"""The README's pictures are current: ``screenshots/make_screenshots.py`` run as the README says
(from the checkout, with the venv's python, nothing on PYTHONPATH) into a temporary folder
draws the very SVGs committed in ``screenshots/``."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path("screenshots/make_screenshots.py")
REGENERATE = f"regenerate them with `python {SCRIPT}` (the venv active) and commit the SVGs"


def test_the_screenshots_are_the_ones_the_script_makes_now(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TEXTUAL")}
    made = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    committed = {p.name: p for p in (ROOT / "screenshots").glob("*.svg")}
    fresh = {p.name: p for p in tmp_path.glob("*.svg")}
    assert sorted(committed) == sorted(fresh), f"screenshots/ has other pictures: {REGENERATE}"
    stale = [
        name for name in sorted(fresh) if fresh[name].read_bytes() != committed[name].read_bytes()
    ]
    assert not stale, f"screenshots/ is out of date ({', '.join(stale)}): {REGENERATE}"


def test_the_dashboard_picture_shows_a_collector_running() -> None:
    """As a user sees it with ``nodekeeper collect`` running, not an empty collector line."""
    svg = (ROOT / "screenshots" / "1-dashboard.svg").read_text()
    text = html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)))
    text = text.replace("\xa0", " ")  # the SVG spaces are non-breaking
    assert "● collector running: pid 4242 on node1, every 2s, seen 1s ago" in text
    assert "no collector running" not in text
