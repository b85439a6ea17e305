"""Oracles: what "training" an architecture returns. The benchmark table stands in for it."""

from __future__ import annotations

from typing import Protocol

from naslib_zero.tables import GroundTruth
from search_spaces.base import Arch, SearchSpace


class Oracle(Protocol):
    """Anything that maps an architecture to a value to maximise (e.g. a training function)."""

    def __call__(self, arch: Arch) -> float: ...


class TableOracle:
    """Looks the value up in a benchmark table by the space's key; a lower-is-better metric
    (a loss) is negated, so the oracle is always maximised."""

    def __init__(self, space: SearchSpace, table: GroundTruth) -> None:
        self.space, self.table = space, table

    def __call__(self, arch: Arch) -> float:
        return self.table.sign * self.table.lookup(self.space.key(arch))
