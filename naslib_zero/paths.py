"""Where data lives: ``--data-dir``, else ``$NASLIB_ZERO_DATA``, else a user cache folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "NASLIB_ZERO_DATA"
CACHE_ENV_VAR = "NASLIB_ZERO_CACHE"


def data_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the data root folder.

    Order: ``explicit`` (the CLI's ``--data-dir``), then the environment variable
    ``NASLIB_ZERO_DATA``, then the user cache folder (``~/.cache/naslib-zero`` on Linux).
    The folder is not created here; readers report which file is missing inside it.
    """
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("naslib-zero"))


def existing_file(path: str | os.PathLike[str], what: str, how: str) -> Path:
    """``path`` as a Path, or DataNotFoundError naming ``what`` and ``how`` to get it."""
    from naslib_zero.errors import DataNotFoundError

    path = Path(path).expanduser()
    if not path.is_file():
        raise DataNotFoundError(f"{what} not found: {path}\n  {how}")
    return path


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Folder for derived files (score caches, converted tables); created on demand."""
    path = data_root(explicit) / ".naslib-zero-cache"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only data folder: fall back to the user cache
        path = Path(platformdirs.user_cache_dir("naslib-zero")) / "derived"
        path.mkdir(parents=True, exist_ok=True)
    return path


def score_cache_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The SQLite score cache: ``explicit`` (``--cache``), else ``$NASLIB_ZERO_CACHE``, else
    ``scores.sqlite`` in the user cache folder. Never inside the data root, which may be
    shared or read-only."""
    chosen = explicit or os.environ.get(CACHE_ENV_VAR)
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_cache_dir("naslib-zero")) / "scores.sqlite"
