"""RestrictedSpace: every move stays inside the table; clear errors outside it."""

from __future__ import annotations

import numpy as np
import pytest

from naslib_zero.core.errors import InvalidArchitectureError, InvalidArgumentError
from naslib_zero.tables import GroundTruth
from search_spaces import get_space
from search_spaces.restricted import RestrictedSpace

NB201 = get_space("nb201")
ROWS = [int(i) for i in np.random.RandomState(0).choice(NB201.size(), 60, replace=False)]


def table(rows=ROWS, space="nb201") -> GroundTruth:
    archs = [NB201.to_str(NB201.from_index(i)) for i in rows]
    return GroundTruth(space, "cifar10", "test", np.arange(len(rows), dtype=float), archs,
                       "test", "a partial table", keys=tuple(rows), benchmark="part")


@pytest.fixture(scope="module")
def space() -> RestrictedSpace:
    return RestrictedSpace(NB201, table(), min_neighbors=4)


def tabulated(space: RestrictedSpace, arch) -> bool:
    return NB201.index(arch) in ROWS


def test_moves_stay_inside_the_table(space: RestrictedSpace) -> None:
    rng = np.random.default_rng(0)
    assert space.size() == len(ROWS) and space.name == "nb201"
    for _ in range(20):
        arch = space.sample(rng)
        assert tabulated(space, arch)
        neighbors = space.neighbors(arch)
        assert len(neighbors) >= 4 and arch not in neighbors
        assert all(tabulated(space, n) for n in neighbors)
        child = space.mutate(arch, rng)
        assert tabulated(space, child) and child != arch


def test_tabulated_one_edit_neighbours_come_first(space: RestrictedSpace) -> None:
    arch = space.from_index(0)
    direct = [n for n in NB201.neighbors(arch) if NB201.index(n) in ROWS]
    assert space.neighbors(arch)[:len(direct)] == direct


def test_nearest_is_by_encoding_distance(space: RestrictedSpace) -> None:
    target = NB201.from_index(ROWS[5])
    assert space.nearest(target, 1) == [5]
    rows = space.nearest(target, 3, exclude=[5])
    dist = [np.abs(NB201.encode(space.from_index(r)) - NB201.encode(target)).sum() for r in rows]
    assert 5 not in rows and dist == sorted(dist)


def test_decisions_are_repaired_onto_the_table(space: RestrictedSpace) -> None:
    outside = next(a for a in NB201.enumerate() if NB201.index(a) not in ROWS)
    repaired = space.from_decisions(NB201.to_decisions(outside))
    assert tabulated(space, repaired)
    inside = space.from_index(7)
    assert space.from_decisions(space.to_decisions(inside)) == inside
    assert space.decode([9] * 6) is None


def test_index_follows_the_table(space: RestrictedSpace) -> None:
    for row in (0, 17, len(ROWS) - 1):
        assert space.index(space.from_index(row)) == row
        assert NB201.index(space.from_index(row)) == ROWS[row]
    assert list(space.enumerate()) == [NB201.from_index(i) for i in ROWS]


def test_architectures_outside_the_table_are_refused(space: RestrictedSpace) -> None:
    outside = next(a for a in NB201.enumerate() if NB201.index(a) not in ROWS)
    with pytest.raises(InvalidArchitectureError, match="not in the nb201/part cifar10 test"):
        space.from_str(NB201.to_str(outside))
    with pytest.raises(InvalidArchitectureError, match="not in the nb201/part"):
        space.index(outside)
    assert not space.is_valid(outside)
    with pytest.raises(InvalidArchitectureError):
        space.from_index(len(ROWS))


def test_bad_restrictions() -> None:
    with pytest.raises(InvalidArgumentError, match="cannot restrict nb201"):
        RestrictedSpace(NB201, table(space="nb101"))
    with pytest.raises(InvalidArgumentError, match="min_neighbors"):
        RestrictedSpace(NB201, table(), min_neighbors=0)


def test_evolution_keeps_finding_new_rows_on_a_sparse_table(data_dir) -> None:
    """DARTS-1000 holds 1,000 of ~10^19 genotypes (normal = reduce in every row, so no child
    of a mutation is tabulated): untabulated children go to one of their nearest rows."""
    from naslib_zero.tables import load_ground_truth
    from strategies import get_strategy
    from strategies.loop import run_search
    from strategies.oracle import TableOracle

    darts = get_space("darts")
    truth = load_ground_truth("darts", "cifar10", data_dir=data_dir)
    sparse = RestrictedSpace(darts, truth)
    dense = RestrictedSpace(NB201, table(list(range(200))))  # over 1 % of NB201
    assert sparse.projection == 5 and dense.projection == 1
    parent = sparse.sample(np.random.default_rng(0))
    rng = np.random.default_rng(1)
    assert len({darts.to_str(sparse.mutate(parent, rng)) for _ in range(40)}) > 5
    result = run_search(sparse, get_strategy("re", sparse), TableOracle(sparse, truth),
                        budget=150, seed=0)
    assert len({q.arch for q in result.queries}) == 150
