"""Importers: bring resources kept elsewhere (traditional LXC directories, ...) into the store."""

from .lxc import ImportReport, ParseError, import_lxc, parse_container

__all__ = ["ImportReport", "ParseError", "import_lxc", "parse_container"]
