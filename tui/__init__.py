"""nodekeeper's Textual admin console.

Kept import-free so that ``import tui`` stays cheap; the App lives in ``tui.app``
(``from tui.app import NodekeeperApp, run``).
"""
