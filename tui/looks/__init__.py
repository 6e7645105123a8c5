"""How the console shows a kind of resource, where it needs more than its declaration in
``core/kinds``: a detail pane's layout, a form's widgets. A kind with no module here gets the
generic look (``base.Look``): its JSON form in the detail pane, and ``E`` to edit it.

A module here is named after the kind's plural (``containers.py``) and defines ``LOOK``."""

from __future__ import annotations

import importlib
import importlib.util

from core.kinds import Kind

from .base import Look

__all__ = ["Look", "look_of"]


def look_of(kind: Kind[object]) -> Look:
    """The look of ``kind``: its module's ``LOOK``, else the generic one."""
    name = f"{__name__}.{kind.plural}"
    if importlib.util.find_spec(name) is None:
        return Look()
    return importlib.import_module(name).LOOK
