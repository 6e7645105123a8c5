"""TUI components, one per module: ``safe`` (plain, escaped text for untrusted values),
``format`` (cell formatting), ``resource_panel`` (a table with an empty-store hint) and the
panels built on it."""

from .containers_panel import ContainersPanel
from .images_panel import ImagesPanel
from .profiles_panel import ProfilesPanel
from .resource_panel import ResourcePanel
from .safe import escape_control, plain

__all__ = [
    "ContainersPanel",
    "ImagesPanel",
    "ProfilesPanel",
    "ResourcePanel",
    "escape_control",
    "plain",
]
