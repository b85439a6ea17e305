"""Search strategies: each module registers one or more strategies with ``register_strategy``.

``get_strategy("re", space, seed=0)`` builds a strategy by name; ``list_strategies()`` lists the
names (tests are generated from it, so a newly registered strategy is tested at once).
Constructors are keyword-only after ``space`` and validate their arguments early.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any, TypeVar

from naslib_zero.errors import UnknownNameError
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


def get_strategy(name: str, space: SearchSpace, **kwargs: Any) -> Strategy:
    """A new strategy registered under ``name`` for ``space``; ``kwargs`` go to its constructor
    (``seed``, ``proposals`` and the strategy's own options)."""
    if name not in _STRATEGIES:
        raise UnknownNameError(
            f"unknown strategy {name!r}; available: {', '.join(list_strategies()) or 'none'}"
        )
    return _STRATEGIES[name](space, **kwargs)


# The modules register themselves on import; they import ``register_strategy`` from here.
from strategies import evolution, nsga2, predictor, random_search, reinforce  # noqa: E402, F401
from strategies.evolution import AgingEvolution  # noqa: E402
from strategies.nsga2 import NSGA2Search  # noqa: E402
from strategies.predictor import PredictorSearch  # noqa: E402
from strategies.random_search import RandomSearch  # noqa: E402
from strategies.reinforce import Reinforce  # noqa: E402

__all__ = [
    "AgingEvolution",
    "NSGA2Search",
    "PredictorSearch",
    "RandomSearch",
    "Reinforce",
    "Strategy",
    "get_strategy",
    "list_strategies",
    "register_strategy",
]
