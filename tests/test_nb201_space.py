"""NB201 search space: official order, round trips, neighbours, canonical forms, bad input."""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from naslib_zero.core.errors import InvalidArchitectureError
from search_spaces import get_space
from search_spaces.nb201 import EDGES, OPS, NB201Space

SPACE = get_space("nb201")
ALL_CONV = (3, 3, 3, 3, 3, 3)
ALL_CONV_STR = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)


@pytest.fixture(scope="module")
def official_strings(data_dir: Path) -> list[str]:
    with open(data_dir / "nb201" / "nb201_test_accuracy.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["index"]) for r in rows] == list(range(15625))
    return [r["arch"] for r in rows]


def from_graph(graph: nx.DiGraph) -> tuple[int, ...]:
    """Rebuild an Arch from ``to_graph`` output (a missing edge is ``none``)."""
    assert sorted(graph.nodes) == [0, 1, 2, 3]
    ops = [OPS.index(graph.edges[e]["op"]) if graph.has_edge(*e) else 0 for e in EDGES]
    return tuple(ops)


def authors_unique_str(arch: tuple[int, ...]) -> str:
    """xautodl ``Structure.to_unique_str(consider_zero=True)``, rewritten for an Arch."""
    nodes = {0: "0"}
    for dst in range(1, 4):
        terms = []
        for (src, d), op_index in zip(EDGES, arch, strict=True):
            if d != dst:
                continue
            op = OPS[op_index]
            if op == "none" or nodes[src] == "#":
                terms.append("#")
            elif op == "skip_connect":
                terms.append(nodes[src])
            else:
                terms.append(f"({nodes[src]})@{op}")
        nodes[dst] = "+".join(sorted(terms))
    return nodes[3]


def test_registered_and_basic_facts() -> None:
    assert isinstance(SPACE, NB201Space)
    assert SPACE.name == "nb201"
    assert SPACE.size() == 15625
    assert SPACE.decisions() == [5] * 6
    assert SPACE.from_str(ALL_CONV_STR) == ALL_CONV
    assert SPACE.to_str(ALL_CONV) == ALL_CONV_STR


def test_all_round_trips_in_official_order(official_strings: list[str]) -> None:
    archs = list(SPACE.enumerate())
    assert len(set(archs)) == len(archs) == 15625
    for i, (arch, s) in enumerate(zip(archs, official_strings, strict=True)):
        assert SPACE.from_index(i) == arch
        assert SPACE.index(arch) == i
        assert SPACE.to_str(arch) == s
        assert SPACE.from_str(s) == arch
        assert SPACE.from_decisions(SPACE.to_decisions(arch)) == arch
        assert from_graph(SPACE.to_graph(arch)) == arch


def test_index_lookups_are_fast() -> None:
    archs = list(SPACE.enumerate())
    start = time.perf_counter()
    assert [SPACE.index(a) for a in archs] == list(range(15625))
    assert [SPACE.from_index(i) for i in range(15625)] == archs
    assert time.perf_counter() - start < 1.0


def test_graph_has_one_edge_per_non_none_op() -> None:
    graph = SPACE.to_graph((0, 1, 2, 3, 4, 0))
    assert sorted(graph.nodes) == [0, 1, 2, 3]
    assert {(u, v): d["op"] for u, v, d in graph.edges(data=True)} == {
        (0, 2): "skip_connect",
        (1, 2): "nor_conv_1x1",
        (0, 3): "nor_conv_3x3",
        (1, 3): "avg_pool_3x3",
    }
    assert SPACE.to_graph((0,) * 6).number_of_edges() == 0


def test_numpy_ints_are_accepted_and_normalised() -> None:
    arch = tuple(np.array(ALL_CONV, dtype=np.int64))
    assert SPACE.to_str(arch) == ALL_CONV_STR
    assert SPACE.index(arch) == SPACE.index(ALL_CONV)
    assert SPACE.from_decisions(np.array(ALL_CONV)) == ALL_CONV
    assert all(type(v) is int for v in SPACE.from_decisions(np.array(ALL_CONV)))
    assert SPACE.from_index(np.int64(5)) == SPACE.from_index(5)


def test_encode_is_one_hot() -> None:
    arch = (0, 1, 2, 3, 4, 0)
    x = SPACE.encode(arch)
    assert x.dtype == np.float32 and x.shape == (30,)
    assert x.sum() == 6
    assert list(np.flatnonzero(x)) == [5 * e + op for e, op in enumerate(arch)]


def test_neighbors() -> None:
    arch = (0, 1, 2, 3, 4, 0)
    neighbours = SPACE.neighbors(arch)
    assert len(neighbours) == len(set(neighbours)) == 24
    assert neighbours == SPACE.neighbors(arch)
    for n in neighbours:
        assert sum(a != b for a, b in zip(arch, n, strict=True)) == 1


def test_sample_and_mutate_are_reproducible() -> None:
    arch = SPACE.sample(np.random.default_rng(0))
    assert arch == SPACE.sample(np.random.default_rng(0))
    assert SPACE.to_str(arch)  # valid
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    assert [SPACE.mutate(arch, rng_a) for _ in range(50)] == [
        SPACE.mutate(arch, rng_b) for _ in range(50)
    ]
    rng = np.random.default_rng(1)
    mutants = [SPACE.mutate(arch, rng) for _ in range(2000)]
    assert set(mutants) == set(SPACE.neighbors(arch))  # every neighbour, never arch itself


def test_canonical_over_the_space() -> None:
    archs = list(SPACE.enumerate())
    reps = [SPACE.canonical(a) for a in archs]
    assert len(set(reps)) == 4930
    used = [sum(op != 0 for op in a) for a in archs]
    for rep, n in zip(reps, used, strict=True):
        assert SPACE.canonical(rep) == rep
        assert sum(op != 0 for op in rep) <= n  # the representative has the fewest edges


def test_canonical_is_coarser_than_the_authors_rule() -> None:
    archs = list(SPACE.enumerate())
    ours_by_theirs: dict[str, set] = defaultdict(set)
    for arch in archs:
        ours_by_theirs[authors_unique_str(arch)].add(SPACE.canonical(arch))
    assert len(ours_by_theirs) == 6466  # the count reported by the NB201 authors
    assert all(len(reps) == 1 for reps in ours_by_theirs.values())  # theirs refine ours


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((0, 0, 0, 0, 0, 0), (3, 3, 3, 0, 0, 0)),  # nothing reaches the output: ZERO
        ((0, 0, 0, 0, 0, 0), (0, 0, 3, 0, 4, 3)),  # node 1 is ZERO, so is everything after it
        ((3, 0, 0, 1, 0, 3), (3, 0, 0, 1, 0, 0)),  # conv of node 2, whose inputs are all none
        ((0, 1, 4, 3, 2, 1), (0, 1, 0, 3, 0, 1)),  # edges out of the ZERO node 1
        ((1, 0, 0, 0, 1, 0), (0, 0, 0, 1, 0, 0)),  # skip(skip(x)) = x
        ((3, 4, 0, 0, 1, 1), (4, 3, 0, 0, 1, 1)),  # conv(x) + pool(x) in either node
        ((3, 1, 4, 4, 1, 1), (3, 4, 1, 1, 4, 1)),  # a + (b + c) = b + (a + c)
    ],
)
def test_canonical_merges(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    assert SPACE.canonical(a) == SPACE.canonical(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((1, 0, 0, 1, 1, 0), (0, 0, 0, 1, 0, 0)),  # x + x differs from x
        ((0, 0, 0, 2, 0, 0), (0, 0, 0, 3, 0, 0)),  # conv1x1(x) vs conv3x3(x)
        ((0, 0, 0, 3, 0, 0), (0, 0, 0, 0, 0, 0)),  # conv(x) vs ZERO
        ((3, 0, 0, 0, 3, 0), (0, 0, 0, 3, 0, 0)),  # conv(conv(x)) vs conv(x)
        ((3, 0, 0, 0, 4, 0), (4, 0, 0, 0, 3, 0)),  # pool(conv(x)) vs conv(pool(x))
    ],
)
def test_canonical_keeps_apart(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    assert SPACE.canonical(a) != SPACE.canonical(b)


def test_canonical_representative_prunes_dead_ops() -> None:
    assert SPACE.canonical((3, 3, 3, 0, 0, 0)) == (0,) * 6  # nothing reaches the output
    assert SPACE.canonical((0, 1, 4, 3, 2, 1)) == (0, 1, 0, 3, 0, 1)  # node 1 is ZERO
    # ties in the number of edges go to the smallest official index
    rep = SPACE.canonical((1, 0, 0, 0, 1, 0))  # skip(skip(x)) = x = skip(x) directly
    members = [a for a in SPACE.enumerate() if SPACE.canonical(a) == rep]
    fewest = min(sum(op != 0 for op in a) for a in members)
    assert rep == min((a for a in members if sum(op != 0 for op in a) == fewest),
                      key=SPACE.index)


@pytest.mark.parametrize(
    ("s", "match"),
    [
        ("", "3 nodes"),
        ("|none~0|+|none~0|none~1|", "3 nodes"),
        (ALL_CONV_STR + "+|none~0|", "3 nodes"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 must look like"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2", "node 3 must look like"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 must have 2 input edge"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|none~3|", "node 3 must have 3"),
        ("|none~0|+|none~0|none1|+|none~0|none~1|none~2|", "edge 2<-1 must look like"),
        ("|none~0|+|none~0|none~0|+|none~0|none~1|none~2|", "edge 2<-1 must name input node 1"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "edge 1<-0 must name input node 0"),
        (
            "|none~0|+|none~0|conv_3x3~1|+|none~0|none~1|none~2|",
            "unknown op 'conv_3x3' on edge 2<-1",
        ),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|max_pool~2|", "valid ops: none, skip_connect"),
        (123, "must be a str"),
        (None, "must be a str"),
    ],
)
def test_from_str_rejects(s: object, match: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=match):
        SPACE.from_str(s)  # type: ignore[arg-type]


BAD_ARCHS = [
    ([3, 3, 3, 3, 3, 3], "tuple of 6 op indices"),
    ("333333", "tuple of 6 op indices"),
    ((3, 3, 3), "has 6 values"),
    ((3,) * 7, "has 6 values"),
    ((3, 3, 5, 3, 3, 3), "invalid op 5 on edge 2<-1"),
    ((-1, 3, 3, 3, 3, 3), "invalid op -1 on edge 1<-0"),
    ((3, 3, 3, 3, 3, 3.0), "invalid op 3.0 on edge 3<-2"),
    ((3, 3, 3, "3", 3, 3), "invalid op '3' on edge 3<-0"),
    ((True, 3, 3, 3, 3, 3), "invalid op True"),
]


@pytest.mark.parametrize(
    "method",
    ["to_str", "index", "to_decisions", "encode", "canonical", "to_graph", "to_model", "neighbors"],
)
@pytest.mark.parametrize(("arch", "match"), BAD_ARCHS)
def test_methods_reject_bad_archs(method: str, arch: object, match: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=match):
        getattr(SPACE, method)(arch)


@pytest.mark.parametrize(("arch", "match"), BAD_ARCHS[:2])
def test_mutate_rejects_bad_archs(arch: object, match: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=match):
        SPACE.mutate(arch, np.random.default_rng(0))  # type: ignore[arg-type]


@pytest.mark.parametrize("i", [-1, 15625, 10**9, 1.0, "3", True, None])
def test_from_index_rejects(i: object) -> None:
    with pytest.raises(InvalidArchitectureError, match=r"index must be an int in \[0, 15625\)"):
        SPACE.from_index(i)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (3, "decision vector is a sequence of 6 ints"),
        ([3] * 5, "decision vector has 6 values"),
        ([3] * 7, "decision vector has 6 values"),
        ([3, 3, 3, 3, 3, 5], "invalid op 5 on edge 3<-2"),
        ([3, 3, 3, 3, 3, -1], "invalid op -1"),
        (np.array([3.0] * 6), "invalid op 3.0 on edge 1<-0"),  # no silent float casts
    ],
)
def test_from_decisions_rejects(values: object, match: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=match):
        SPACE.from_decisions(values)  # type: ignore[arg-type]
