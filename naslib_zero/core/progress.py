"""Progress of long loops, on stderr.

On a terminal: a tqdm bar. Elsewhere (a log file, a pipe, a batch job, a notebook): one plain
line every :data:`LINE_SECONDS` seconds, e.g. ``RE: 40/100 query (40 %) in 36 s, about 54 s
left``, so long work shows progress also without a terminal. ``--quiet``
(:func:`set_enabled`) turns both off.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")

LINE_SECONDS = 10.0  # seconds between two progress lines when stderr is not a terminal

_enabled = True


def set_enabled(enabled: bool) -> None:
    """Turn progress display on or off for the whole process (the CLI's ``--quiet``)."""
    global _enabled
    _enabled = enabled


class Progress:
    """Shows ``done`` out of ``total`` work units (``None``: unknown total); call
    :meth:`update` after each step and :meth:`close` at the end (or use ``with``)."""

    def __init__(self, total: int | None, desc: str = "", unit: str = "it") -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.done = 0
        self._start = self._last_line = time.monotonic()
        terminal = _enabled and sys.stderr.isatty()
        self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True,
                         leave=False) if terminal else None
        self._lines = _enabled and not terminal

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self._lines and self.done and time.monotonic() - self._last_line >= LINE_SECONDS:
            self._last_line = time.monotonic()
            print(self._line(), file=sys.stderr, flush=True)

    def _line(self) -> str:
        elapsed = time.monotonic() - self._start
        head = f"{self.desc}: " if self.desc else ""
        if not self.total:
            return f"{head}{self.done} {self.unit} in {elapsed:.0f} s"
        left = elapsed * (self.total - self.done) / self.done
        return (f"{head}{self.done}/{self.total} {self.unit} "
                f"({100 * self.done / self.total:.0f} %) in {elapsed:.0f} s, "
                f"about {left:.0f} s left")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """Iterate over ``items``, showing progress (``total`` defaults to ``len(items)``)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    with Progress(total, desc) as shown:
        for item in items:
            yield item
            shown.update()
