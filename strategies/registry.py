"""The strategy registry: ``register_strategy``, ``get_strategy``, ``strategy_class``,
``list_strategies``."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any, TypeVar

from naslib_zero.core.errors import UnknownNameError
from search_spaces.base import SearchSpace
from strategies.base import Strategy

S = TypeVar("S", bound=type[Strategy])

_STRATEGIES: dict[str, type[Strategy]] = {}


def register_strategy(name: str) -> Callable[[S], S]:
    """Class decorator registering a :class:`Strategy` subclass under ``name`` (sets ``name``)."""

    def wrap(cls: S) -> S:
        if name in _STRATEGIES:
            raise ValueError(f"strategy {name!r} is already registered")
        cls.name = name
        _STRATEGIES[name] = cls
        return cls

    return wrap


def list_strategies(pattern: str = "*") -> list[str]:
    """Registered strategy names matching a shell-style wildcard pattern."""
    return sorted(n for n in _STRATEGIES if fnmatch.fnmatch(n, pattern))


def strategy_class(name: str) -> type[Strategy]:
    """The class registered under ``name``."""
    if name not in _STRATEGIES:
        raise UnknownNameError(
            f"unknown strategy {name!r}; available: {', '.join(list_strategies()) or 'none'}"
        )
    return _STRATEGIES[name]


def get_strategy(name: str, space: SearchSpace, **kwargs: Any) -> Strategy:
    """A new strategy registered under ``name`` for ``space``; ``kwargs`` go to its constructor
    (``seed``, ``proposals`` and the strategy's own options)."""
    return strategy_class(name)(space, **kwargs)
