"""The SearchSpace protocol every space implements, and the name -> space registry.

An architecture (``Arch``) is a small immutable, hashable value owned by its space (NB201: a
tuple of six op indices). Everything else -- strings, graphs, torch models, feature vectors --
is derived from it by the space, so strategies and proxies never look inside an ``Arch``.
"""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.errors import UnknownNameError

Arch = Hashable


class SearchSpace(ABC):
    """A finite or infinite set of architectures with the operations NAS code needs.

    ``decisions()`` is the factorised view used by REINFORCE and pymoo: a list with the number
    of choices of each decision; ``from_decisions`` maps one choice per decision to an Arch.
    """

    name: str

    @abstractmethod
    def from_str(self, s: str) -> Arch:
        """Parse the space's string form; raise InvalidArchitectureError on bad input."""

    @abstractmethod
    def to_str(self, arch: Arch) -> str:
        """The space's canonical string form of ``arch`` (round-trips with ``from_str``)."""

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """One architecture drawn uniformly at random."""

    @abstractmethod
    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A random one-edit neighbour of ``arch`` (never ``arch`` itself)."""

    @abstractmethod
    def neighbors(self, arch: Arch) -> list[Arch]:
        """All one-edit neighbours of ``arch``."""

    @abstractmethod
    def decisions(self) -> list[int]:
        """Number of choices of each categorical decision."""

    @abstractmethod
    def from_decisions(self, values: Sequence[int]) -> Arch:
        """The architecture with one choice per decision."""

    @abstractmethod
    def to_decisions(self, arch: Arch) -> list[int]:
        """Inverse of ``from_decisions``."""

    @abstractmethod
    def encode(self, arch: Arch) -> np.ndarray:
        """A numeric feature vector (float32, fixed length) for surrogate models."""

    @abstractmethod
    def canonical(self, arch: Arch) -> Arch:
        """One representative of the class of architectures computing the same function."""

    @abstractmethod
    def to_graph(self, arch: Arch) -> nx.DiGraph:
        """The cell or network as a directed graph whose edges (or nodes) carry the ops."""

    @abstractmethod
    def to_model(self, arch: Arch, num_classes: int = 10) -> nn.Module:
        """The benchmark's reference torch network for ``arch``."""

    def size(self) -> int | None:
        """Number of architectures, or None for spaces too large to enumerate."""
        return None

    def enumerate(self) -> Iterator[Arch]:
        """Every architecture, in the space's official order (finite spaces only)."""
        raise TypeError(f"search space {self.name!r} cannot be enumerated")


_FACTORIES: dict[str, Callable[[], SearchSpace]] = {}
_INSTANCES: dict[str, SearchSpace] = {}


def register_space(name: str) -> Callable[[Callable[[], SearchSpace]], Callable[[], SearchSpace]]:
    """Decorator registering a zero-argument factory (usually the class) under ``name``."""

    def wrap(factory: Callable[[], SearchSpace]) -> Callable[[], SearchSpace]:
        if name in _FACTORIES:
            raise ValueError(f"search space {name!r} is already registered")
        _FACTORIES[name] = factory
        return factory

    return wrap


def list_spaces(pattern: str = "*") -> list[str]:
    """Registered space names matching a shell-style wildcard pattern."""
    return sorted(n for n in _FACTORIES if fnmatch.fnmatch(n, pattern))


def get_space(name: str, **kwargs: Any) -> SearchSpace:
    """The space registered under ``name`` (one shared instance per name)."""
    if name not in _FACTORIES:
        raise UnknownNameError(
            f"unknown search space {name!r}; available: {', '.join(list_spaces()) or 'none'}"
        )
    if kwargs:
        return _FACTORIES[name](**kwargs)
    if name not in _INSTANCES:
        _INSTANCES[name] = _FACTORIES[name]()
    return _INSTANCES[name]
