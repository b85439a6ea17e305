"""Oracles: what "training" an architecture returns. The benchmark table stands in for it."""

from __future__ import annotations

from typing import Protocol

from naslib_zero.tables import GroundTruth
from search_spaces.base import Arch, SearchSpace


class Oracle(Protocol):
    """Anything that maps an architecture to a value to maximise (e.g. a training function)."""

    def __call__(self, arch: Arch) -> float: ...


class TableOracle:
    """Looks the accuracy up in a benchmark table (by official index when the space has one)."""

    def __init__(self, space: SearchSpace, table: GroundTruth) -> None:
        self.space, self.table = space, table

    def __call__(self, arch: Arch) -> float:
        key = self.space.index(arch) if hasattr(self.space, "index") else self.space.to_str(arch)
        return self.table.lookup(key)
