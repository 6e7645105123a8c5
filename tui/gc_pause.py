"""The cyclic garbage collector around a section's read of the store.

A snapshot of 20,000 containers is some 100,000 objects that live until the next snapshot.
Made with the collector running, they set off its full passes one after the other as the heap
grows (each a quarter larger than at the last one): 0.8-2.3 s of a read, measured on the
2-core machine; and once made, every later full pass walks them again (130-340 ms each, a
keystroke's frame late). So while a snapshot is read and turned into rows the collector is
paused (reference counting frees what goes meanwhile); then one pass frees what was cyclic
garbage (SQLAlchemy's results leave some) and what survives is frozen (``gc.freeze``), as the
app does with what start-up made: later passes leave it alone. The snapshot it replaces is
freed by reference counting when the section lets it go, frozen or not. That one pass (50-260
ms for 20,000 containers on the loaded 2-core machine) runs once the rows are on screen.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_reads = 0  # reads under way (two sections may read at once)
_was_enabled = True  # the collector's state before the first of them


def pause() -> None:
    """Pause the cyclic collector for a big read (reads may overlap); ``resume`` after it."""
    global _reads, _was_enabled
    with _lock:
        if _reads == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _reads += 1


def resume() -> None:
    """A big read is over: when it was the last under way, collect once, freeze what survives
    and let the collector run again."""
    global _reads
    with _lock:
        _reads -= 1
        if _reads == 0:
            gc.collect()
            gc.freeze()
            if _was_enabled:
                gc.enable()
