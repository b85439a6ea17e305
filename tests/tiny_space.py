"""A tiny search space for strategy tests: 4 decisions of 4 choices (256 architectures).

An Arch is a tuple of 4 ints in 0..3. The first two decisions are interchangeable (think of two
parallel branches), so ``canonical`` sorts them: (a, b, c, d) and (b, a, c, d) are one class,
which gives 10 * 16 = 160 classes. :func:`tiny_oracle` is a deterministic function of the class
with a unique best architecture, :data:`BEST` = (3, 3, 3, 1).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError
from search_spaces.base import DatasetSpec, SearchSpace

DECISIONS = 4
CHOICES = 4
BEST = (3, 3, 3, 1)

Arch = tuple[int, ...]


def _check(arch: object) -> Arch:
    if (not isinstance(arch, tuple) or len(arch) != DECISIONS
            or not all(isinstance(v, int | np.integer) and 0 <= v < CHOICES for v in arch)):
        raise InvalidArchitectureError(
            f"a tiny architecture is a tuple of {DECISIONS} ints in 0..{CHOICES - 1}, "
            f"got {arch!r}")
    return tuple(int(v) for v in arch)


class TinySpace(SearchSpace):
    """4 decisions x 4 choices; the first two decisions commute."""

    name = "tiny"
    datasets = (DatasetSpec("cifar10", (3, 32, 32), 10),)

    def from_str(self, s: str) -> Arch:
        try:
            return _check(tuple(int(v) for v in s.split("-")))
        except (AttributeError, ValueError):
            raise InvalidArchitectureError(f"expected 'a-b-c-d', got {s!r}") from None

    def to_str(self, arch: Arch) -> str:
        return "-".join(map(str, _check(arch)))

    def sample(self, rng: np.random.Generator) -> Arch:
        return tuple(rng.integers(0, CHOICES, size=DECISIONS).tolist())

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        arch = _check(arch)
        d = int(rng.integers(DECISIONS))
        v = int(rng.integers(CHOICES - 1))
        v += v >= arch[d]
        return arch[:d] + (v,) + arch[d + 1:]

    def neighbors(self, arch: Arch) -> list[Arch]:
        arch = _check(arch)
        return [arch[:d] + (v,) + arch[d + 1:]
                for d in range(DECISIONS) for v in range(CHOICES) if v != arch[d]]

    def decisions(self) -> list[int]:
        return [CHOICES] * DECISIONS

    def from_decisions(self, values: Sequence[int]) -> Arch:
        return _check(tuple(values))

    def to_decisions(self, arch: Arch) -> list[int]:
        return list(_check(arch))

    def encode(self, arch: Arch) -> np.ndarray:
        x = np.zeros((DECISIONS, CHOICES), dtype=np.float32)
        x[np.arange(DECISIONS), _check(arch)] = 1.0
        return x.ravel()

    def canonical(self, arch: Arch) -> Arch:
        a, b, c, d = _check(arch)
        return (min(a, b), max(a, b), c, d)

    def to_graph(self, arch: Arch) -> nx.DiGraph:
        arch = _check(arch)
        graph = nx.DiGraph()
        graph.add_edge(0, 1, op=f"op{arch[0]}")
        graph.add_edge(0, 2, op=f"op{arch[1]}")
        graph.add_edge(1, 3, op=f"op{arch[2]}")
        graph.add_edge(2, 3, op=f"op{arch[2]}")
        graph.add_edge(3, 4, op=f"op{arch[3]}")
        return graph

    def make_model(self, arch: Arch, dataset: DatasetSpec) -> nn.Module:
        """A tiny MLP whose hidden width depends on the architecture."""
        width = 4 + sum(_check(arch))
        return nn.Sequential(nn.Flatten(), nn.LazyLinear(width), nn.ReLU(),
                             nn.Linear(width, dataset.num_classes))

    def size(self) -> int:
        return CHOICES**DECISIONS

    def enumerate(self) -> Iterator[Arch]:
        return iter(itertools.product(range(CHOICES), repeat=DECISIONS))


def tiny_oracle(arch: Arch) -> float:
    """Accuracy-like value in percent, symmetric in the first two decisions; best at BEST."""
    a, b, c, d = _check(arch)
    return 50.0 + 3.0 * (a + b) + 4.0 * c - 3.0 * (d - 1) ** 2 + 0.5 * min(a, b) * c
