"""Plug-ins: modules imported at start-up that register proxies, spaces, strategies or estimators.

A plug-in is an ordinary module whose import registers things (``@proxy``, ``register_space``,
``register_strategy``, ...). The command line loads, in this order:

1. every entry point of the group ``naslib_zero.plugins`` (an installed package declares
   ``[project.entry-points."naslib_zero.plugins"] my_name = "my_package.proxies"``);
2. the comma list in ``$NASLIB_ZERO_PLUGINS``;
3. the comma lists given with ``--plugins``.

A plug-in is named by a module name, imported from ``sys.path`` (the current folder is not
added: a file there would otherwise shadow installed modules, and a run's result would depend
on where it was started), or by the path of a ``.py`` file (anything ending in ``.py`` or
holding a path separator), executed once under a fixed module name derived from its absolute
path, so every process that loads it gives it the same name.

This process records what it loaded (:func:`loaded_plugins`); the process and Ray executors
load the same list in each worker before it runs any work (spawned workers are fresh
interpreters that inherit ``sys.path`` and the environment, so the names resolve there too).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from naslib_zero.core.errors import NaslibZeroError

ENTRY_POINT_GROUP = "naslib_zero.plugins"
ENV_VAR = "NASLIB_ZERO_PLUGINS"

_LOADED: list[str] = []  # module names and absolute .py paths, in load order


class PluginError(NaslibZeroError, ImportError):
    """A plug-in that cannot be found or raises while it is imported."""


def plugin_names(text: str) -> list[str]:
    """The non-empty items of a comma list (``"a, b.py,"`` -> ``["a", "b.py"]``)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def is_path(name: str) -> bool:
    """Whether a plug-in name is a file path rather than a module name."""
    return name.endswith(".py") or "/" in name or os.sep in name


def module_name_for(path: Path) -> str:
    """The module name a plug-in file is executed under: its stem and a hash of its path."""
    stem = re.sub(r"\W", "_", path.stem)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    return f"naslib_zero_plugin_{stem}_{digest}"


def _import_file(path: Path) -> None:
    name = module_name_for(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as a normal import: pickling and self-imports find it
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def load_plugin(name: str) -> str:
    """Import one plug-in (a module name or a ``.py`` path) once; return how it is recorded
    (the module name, or the file's absolute path). Raises :class:`PluginError`."""
    path = Path(name).expanduser().resolve() if is_path(name) else None
    key = name if path is None else str(path)
    if key in _LOADED:
        return key
    if path is not None and not path.is_file():
        raise PluginError(f"plug-in {name!r} not found: no file {path}")
    try:
        if path is None:
            importlib.import_module(name)
        else:
            _import_file(path)
    except Exception as err:
        hint = ""
        if isinstance(err, ModuleNotFoundError) and err.name == name and "." not in name:
            hint = (" (the current folder is not searched: give the file's path, "
                    f"./{name}.py, or add its folder to PYTHONPATH)")
        raise PluginError(f"plug-in {name!r} failed to import: "
                          f"{type(err).__name__}: {err}{hint}") from err
    _LOADED.append(key)
    return key


def load_plugins(names: Iterable[str]) -> list[str]:
    """Import each plug-in in order (see :func:`load_plugin`); those already loaded are
    skipped. Returns the recorded names."""
    return [load_plugin(name) for name in names]


def load_entry_points() -> list[str]:
    """Import the module of every entry point in the ``naslib_zero.plugins`` group, by
    entry-point name (``pkg.module:attr`` imports ``pkg.module``; importing registers)."""
    loaded = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                     key=lambda ep: ep.name):
        try:
            loaded.append(load_plugin(ep.module))
        except PluginError as err:
            package = ep.dist.name if ep.dist else "an installed package"
            raise PluginError(f"{err} (entry point {ep.name!r} of {package})") from err
    return loaded


def load_startup_plugins(requested: Iterable[str] = ()) -> list[str]:
    """What the command line loads before a command: the entry points,
    ``$NASLIB_ZERO_PLUGINS``, then ``requested`` (the ``--plugins`` items)."""
    return [*load_entry_points(),
            *load_plugins([*plugin_names(os.environ.get(ENV_VAR, "")), *requested])]


def loaded_plugins() -> tuple[str, ...]:
    """Every plug-in this process loaded, in order, as :func:`load_plugins` takes them:
    what an executor's workers load before they run work."""
    return tuple(_LOADED)
