"""In-process progress listeners: how the CLI's progress bars hear about days and folds as they finish."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str, str], None]
_listeners: list[Listener] = []


@contextmanager
def progress_listener(listener: Listener) -> Iterator[None]:
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def report_progress(item: str, status: str) -> None:
    for listener in list(_listeners):
        listener(item, status)
