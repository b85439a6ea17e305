"""Progress bars for long loops (tqdm on stderr; silent when disabled or not interactive)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

_enabled = True


def set_enabled(enabled: bool) -> None:
    """Turn progress bars on or off for the whole process (the CLI's ``--quiet``)."""
    global _enabled
    _enabled = enabled


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """Iterate over ``items`` with a progress bar."""
    yield from tqdm(items, total=total, desc=desc, disable=not _enabled or None,
                    dynamic_ncols=True, leave=False)
