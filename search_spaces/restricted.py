"""A search space restricted to the architectures one benchmark table holds.

NB101's local table holds 30,001 of 423,624 cells, NB301's 1,218 genotypes: a search whose
oracle is such a table can only query what it tabulates. :class:`RestrictedSpace` wraps the
full space and keeps every move inside the table:

* ``sample``: a uniformly drawn row of the table;
* ``neighbors``: the full space's one-edit neighbours that the table holds, topped up to
  ``min_neighbors`` with the nearest other tabulated architectures by L1 distance between
  ``encode`` vectors (ties: table order);
* ``mutate``: the full space's mutation, projected onto the nearest other tabulated
  architecture when the table lacks the child (so evolution keeps the full space's mutation
  distribution and does not get trapped in a small neighbourhood). On a sparse table (under
  1 % of its space, or of an unbounded one: NB301's 1,218 genotypes) the children of one
  parent all have the same few nearest rows, and evolution soon proposes only evaluated ones,
  so there the child goes to a uniformly drawn one of its ``min_neighbors`` nearest rows;
* ``from_decisions``: the full space's architecture if tabulated, else the nearest tabulated one
  (the repair path); ``decode`` still returns None for vectors the full space rejects;
* ``index``/``from_index``/``size``/``enumerate``: over the table's rows, in table order.

Everything else (strings, keys, canonical forms, models, datasets, the space's ``name``) is
the full space's, so scores cached for the full space are reused. ``from_str`` and ``index``
of an architecture outside the table raise InvalidArchitectureError naming the table.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterator, Sequence

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import InvalidArgumentError
from naslib_zero.tables import GroundTruth
from search_spaces.base import Arch, DatasetSpec, SearchSpace, check_index


class RestrictedSpace(SearchSpace):
    """``base`` restricted to the architectures of ``table`` (see the module docstring)."""

    def __init__(self, base: SearchSpace, table: GroundTruth, *, min_neighbors: int = 5) -> None:
        if table.space != base.name:
            raise InvalidArgumentError(f"a {table.space} table cannot restrict {base.name}")
        if len(table) == 0:
            raise InvalidArgumentError(f"the {table.name} table is empty")
        if min_neighbors < 1:
            raise InvalidArgumentError(f"min_neighbors must be >= 1, got {min_neighbors}")
        self.base, self.table, self.min_neighbors = base, table, min_neighbors
        self.name, self.datasets = base.name, base.datasets
        self.ref = base.ref  # workers score with the base space: same strings, models
        self._archs = [base.from_str(text) for text in table.archs]
        size = base.size()
        self.projection = 1 if size and len(table) >= size / 100 else min_neighbors
        self._neighbors: dict[int, list[Arch]] = {}  # row -> its neighbours, as computed

    def __repr__(self) -> str:
        return f"RestrictedSpace({self.base.name}, {self.table.name}, {len(self)} architectures)"

    def __len__(self) -> int:
        return len(self._archs)

    def row(self, arch: Arch) -> int:
        """The table row of ``arch`` (InvalidArchitectureError if the table lacks it)."""
        return self.table.index_of(self.base.key(arch))

    def contains(self, arch: Arch) -> bool:
        return self.base.key(arch) in self.table

    @functools.cached_property
    def _features(self) -> np.ndarray:
        return np.stack([np.asarray(self.base.encode(a), dtype=np.float32) for a in self._archs])

    def nearest(self, arch: Arch, k: int = 1, exclude: Sequence[int] = ()) -> list[int]:
        """Rows of the ``k`` tabulated architectures nearest to ``arch`` by encoding."""
        dist = np.abs(self._features - self.base.encode(arch)).sum(axis=1)
        dist[list(exclude)] = np.inf
        k = min(k, len(dist))
        # the k smallest (ties: table order), without sorting all rows
        cut = np.partition(dist, k - 1)[k - 1]
        rows = np.flatnonzero(dist <= cut)
        rows = rows[np.argsort(dist[rows], kind="stable")][:k]
        return [int(i) for i in rows if np.isfinite(dist[i])]

    # ------------------------------------------------------------------- the contract

    def from_str(self, s: str) -> Arch:
        arch = self.base.from_str(s)
        return self._archs[self.row(arch)]

    def to_str(self, arch: Arch) -> str:
        return self.base.to_str(arch)

    def key(self, arch: Arch) -> Hashable:
        return self.base.key(arch)

    def is_valid(self, arch: Arch) -> bool:
        return self.base.is_valid(arch) and self.contains(arch)

    def sample(self, rng: np.random.Generator) -> Arch:
        return self._archs[int(rng.integers(len(self._archs)))]

    def neighbors(self, arch: Arch) -> list[Arch]:
        row = self.row(arch)
        if row not in self._neighbors:
            self._neighbors[row] = self._tabulated_neighbors(arch, row)
        return list(self._neighbors[row])

    def _tabulated_neighbors(self, arch: Arch, row: int) -> list[Arch]:
        rows = [row]  # the arch itself first, so it is excluded below
        for other in self.base.neighbors(arch):
            key = self.base.key(other)
            if key in self.table:
                row = self.table.index_of(key)
                if row not in rows:
                    rows.append(row)
        missing = self.min_neighbors + 1 - len(rows)
        if missing > 0:
            rows += self.nearest(arch, missing, exclude=rows)
        return [self._archs[r] for r in rows[1:]]

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        child = self.base.mutate(arch, rng)
        if self.contains(child):
            return self._archs[self.row(child)]
        rows = self.nearest(child, self.projection, exclude=[self.row(arch)])
        return self._archs[rows[int(rng.integers(len(rows)))] if len(rows) > 1 else rows[0]]

    def decisions(self) -> list[int]:
        return self.base.decisions()

    def from_decisions(self, values: Sequence[int]) -> Arch:
        arch = self.base.from_decisions(values)
        if self.contains(arch):
            return self._archs[self.row(arch)]
        return self._archs[self.nearest(arch)[0]]

    def to_decisions(self, arch: Arch) -> list[int]:
        return self.base.to_decisions(arch)

    def encode(self, arch: Arch) -> np.ndarray:
        return self.base.encode(arch)

    def canonical(self, arch: Arch) -> Arch:
        return self.base.canonical(arch)

    def to_graph(self, arch: Arch) -> nx.DiGraph:
        return self.base.to_graph(arch)

    def make_model(self, arch: Arch, dataset: DatasetSpec) -> nn.Module:
        return self.base.make_model(arch, dataset)

    def size(self) -> int:
        return len(self._archs)

    def index(self, arch: Arch) -> int:
        return self.row(arch)

    def from_index(self, i: int) -> Arch:
        return self._archs[check_index(i, len(self._archs), f"{self.table.name} table")]

    def enumerate(self) -> Iterator[Arch]:
        return iter(self._archs)
