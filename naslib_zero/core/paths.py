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
    from naslib_zero.core.errors import DataNotFoundError

    path = Path(path).expanduser()
    if not path.is_file():
        raise DataNotFoundError(f"{what} not found: {path}\n  {how}")
    return path


def writable_path(path: str | os.PathLike[str], what: str, *, folder: bool = False) -> Path:
    """``path`` as a Path, once it is clear that a file (``folder``: a folder) can be written
    there: it exists as one and is writable, or its nearest existing parent is a writable
    folder. Creates nothing; raises InvalidArgumentError naming ``what`` otherwise."""
    from naslib_zero.core.errors import InvalidArgumentError

    path = Path(path).expanduser()
    kind = "folder" if folder else "file"
    if path.exists():
        if path.is_dir() != folder:
            raise InvalidArgumentError(f"{what} {path} must be a {kind}, but it is "
                                       f"{'a folder' if path.is_dir() else 'a file'}")
        if not os.access(path, os.W_OK | (os.X_OK if folder else 0)):
            raise InvalidArgumentError(f"{what} {path} is not writable")
        return path
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidArgumentError(f"cannot create {what} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidArgumentError(f"cannot create {what} {path}: {parent} is not writable")
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
