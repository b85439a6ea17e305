"""The NAS-Bench-201 cell search space (15,625 cells; NATS-Bench "tss").

An ``Arch`` is a tuple of six op indices into :data:`OPS`, one per cell edge in the official
string order ``(1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2)``, e.g. ``(3, 3, 3, 3, 3, 3)`` is
``|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|``.
Index ``i`` is the official benchmark index (row ``i`` of ``nb201_test_accuracy.csv``); the
order is not a formula, so it ships as ``resources/nb201_order.txt`` (regenerate it with
``benchmarks/make_nb201_order.py``).

``to_graph`` returns nodes 0 (cell input) .. 3 (cell output) and one edge ``i -> j`` per
non-``none`` op, with attribute ``op`` (the op name); a missing edge means ``none``.

``canonical`` merges cells that compute the same function, using a symbolic normal form:
node 0 is the input ``x``; node ``j`` is the multiset (``x + x`` differs from ``x``) of the
terms ``op(node_i)`` of its non-``none`` incoming edges, where ``skip_connect(e) = e`` (its
terms join the sum), a node without terms is ZERO and any op of ZERO is ZERO (true at
initialisation, where BN has beta = 0 so ReLU-Conv-BN(0) = 0, and avg_pool(0) = 0), and ZERO
terms drop out of sums. The key is the normal form of node 3; the representative is the member
of the class with the fewest non-``none`` edges (ties: smallest official index), so its model
holds only the weights the function uses (ops on dead paths are ``none`` there). This gives
4,930 classes.

The NB201 authors report 6,466 unique cells, from ``Structure.to_unique_str(consider_zero=True)``
(xautodl ``genotypes.py``). Every class of theirs lies inside one of ours; theirs is finer in two
ways, each of which splits functionally identical cells: (1) ``none`` edges stay in sums as
``#`` terms, and a node counts as ZERO only when its whole string is a single ``#``, so a node
fed by two ``none`` edges (``#+#``) is not ZERO and ops applied to it survive; (2) a
``skip_connect`` input is sorted as one pre-joined string, so ``a + (b + c)`` and
``b + (a + c)`` differ. Fixing only (1) gives 5,390 classes, only (2) 5,755, both 4,930.
Linearity of ``avg_pool_3x3`` (``pool(a + b) = pool(a) + pool(b)``) is deliberately not used
(it would give 4,660 classes).
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterator, Sequence
from typing import Any

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import CorruptDataError, InvalidArchitectureError, InvalidArgumentError
from naslib_zero.tables import Source, TableInfo, load_csv_table, register_benchmark
from search_spaces.base import DatasetSpec, SearchSpace, check_index, register_space
from search_spaces.nb201_cell import EDGES, NONE, OPS, SKIP
from search_spaces.parsing import as_values, check_text, is_int, show

NUM_EDGES = len(EDGES)
NUM_OPS = len(OPS)
SIZE = NUM_OPS**NUM_EDGES
_FORM = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"
_VALID_OPS = ", ".join(OPS)
_WEIGHTS = NUM_OPS ** np.arange(NUM_EDGES - 1, -1, -1)  # base-5 code, first edge most significant
MAX_TEXT = 1_000
"""Longest architecture string ``from_str`` reads (the longest prints in 151 characters)."""
MAX_C, MAX_N = 4096, 256
"""Largest ``C`` and ``N`` options."""

Arch = tuple[int, ...]

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("cifar10", (3, 32, 32), 10),
    DatasetSpec("cifar100", (3, 32, 32), 100),
    DatasetSpec("ImageNet16-120", (3, 16, 16), 120),
)
"""The datasets of NB201's macro skeleton (shared by the NATS-Bench spaces)."""
DATASET_ALIASES = {"c10": "cifar10", "c100": "cifar100", "imagenet16": "ImageNet16-120",
                   "imagenet": "ImageNet16-120", "in16": "ImageNet16-120"}


def _edge_name(e: int) -> str:
    src, dst = EDGES[e]
    return f"{dst}<-{src}"


def _op_value(v: Any, where: str) -> int:
    """``v`` as an op index, or InvalidArchitectureError naming ``where``."""
    if not is_int(v) or not 0 <= v < NUM_OPS:
        raise InvalidArchitectureError(
            f"invalid op {show(v)} on {where}: expected an int in 0..{NUM_OPS - 1} ({_VALID_OPS})"
        )
    return int(v)


def _check_values(values: Sequence[Any], what: str) -> Arch:
    if len(values) != NUM_EDGES:
        raise InvalidArchitectureError(
            f"an NB201 {what} has {NUM_EDGES} values (one op per edge), got {len(values)}"
        )
    return tuple(_op_value(v, f"edge {_edge_name(e)}") for e, v in enumerate(values))


def _check(arch: Any) -> Arch:
    """Validate an Arch (a tuple of six op indices) and return it with plain ints."""
    if (  # fast path for plain-int tuples
        type(arch) is tuple
        and len(arch) == NUM_EDGES
        and all(type(v) is int and 0 <= v < NUM_OPS for v in arch)
    ):
        return arch
    if not isinstance(arch, tuple):
        raise InvalidArchitectureError(
            f"an NB201 architecture is a tuple of {NUM_EDGES} op indices, "
            f"got {type(arch).__name__} {show(arch)}"
        )
    return _check_values(arch, "architecture")


@functools.cache
def _order() -> tuple[np.ndarray, np.ndarray]:
    """(ops of each official index, shape (15625, 6); official index of each base-5 code)."""
    text = importlib.resources.files("search_spaces").joinpath("resources/nb201_order.txt")
    lines = text.read_text(encoding="ascii").split()
    digits = np.frombuffer("".join(lines).encode("ascii"), dtype=np.uint8) - ord("0")
    if len(lines) != SIZE or digits.size != SIZE * NUM_EDGES or digits.max() >= NUM_OPS:
        raise CorruptDataError(f"{text} must hold {SIZE} lines of {NUM_EDGES} digits 0..4")
    ops = digits.reshape(SIZE, NUM_EDGES)
    inverse = np.full(SIZE, -1, dtype=np.int32)
    inverse[ops.astype(np.int64) @ _WEIGHTS] = np.arange(SIZE, dtype=np.int32)
    if (inverse < 0).any():
        raise CorruptDataError(f"{text} must list every NB201 cell exactly once")
    ops.flags.writeable = inverse.flags.writeable = False
    return ops, inverse


def _normal_form(arch: Arch) -> tuple:
    """Symbolic normal form of the cell output (see the module docstring); () is ZERO."""
    nodes: list[tuple] = [(("input",),)]
    for dst in range(1, 4):
        terms: list[tuple] = []
        for e, (src, d) in enumerate(EDGES):
            if d != dst or arch[e] == NONE or not nodes[src]:
                continue
            if arch[e] == SKIP:
                terms.extend(nodes[src])
            else:
                terms.append((OPS[arch[e]], nodes[src]))
        nodes.append(tuple(sorted(terms)))
    return nodes[3]


@functools.cache
def _representatives() -> np.ndarray:
    """Official index of the canonical representative of each official index."""
    ops, _ = _order()
    edges = np.count_nonzero(ops != NONE, axis=1)
    best: dict[tuple, int] = {}
    forms = [_normal_form(tuple(row)) for row in ops.tolist()]
    for i in np.lexsort((np.arange(SIZE), edges)):  # fewest edges first, then smallest index
        best.setdefault(forms[i], int(i))
    reps = np.array([best[f] for f in forms], dtype=np.int32)
    reps.flags.writeable = False
    return reps


@register_space("nb201")
class NB201Space(SearchSpace):
    """NAS-Bench-201: a 4-node cell, 6 edges, 5 ops per edge, official index order."""

    name = "nb201"
    datasets = DATASETS

    def __init__(self, C: int = 16, N: int = 5) -> None:  # noqa: N803
        """``C`` and ``N``: the network's first-stage channels and cells per stage (the
        benchmark's 16 and 5 by default; smaller for reduced training, e.g. ``C=4``)."""
        for name, value, limit in (("C", C, MAX_C), ("N", N, MAX_N)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
                raise InvalidArgumentError(
                    f"nb201: {name} must be a positive int of at most {limit}, got {show(value)}")
        self.C, self.N = C, N

    def from_str(self, s: str) -> Arch:
        parts = check_text(s, "an NB201 architecture string", MAX_TEXT).split("+")
        if len(parts) != 3:
            raise InvalidArchitectureError(
                f"an NB201 architecture string has 3 nodes joined by '+' ({_FORM}), "
                f"got {len(parts)} in {s!r}"
            )
        ops: list[int] = []
        for dst, part in enumerate(parts, start=1):
            if len(part) < 2 or part[0] != "|" or part[-1] != "|":
                raise InvalidArchitectureError(
                    f"node {dst} must look like '|op~0|...|' ({_FORM}), got {part!r} in {s!r}"
                )
            entries = part[1:-1].split("|")
            if len(entries) != dst:
                raise InvalidArchitectureError(
                    f"node {dst} must have {dst} input edge(s), got {len(entries)} in {part!r}"
                )
            for src, entry in enumerate(entries):
                name, sep, node = entry.partition("~")
                if not sep:
                    raise InvalidArchitectureError(
                        f"edge {dst}<-{src} must look like 'op~{src}', got {entry!r} in {s!r}"
                    )
                if node != str(src):
                    raise InvalidArchitectureError(
                        f"edge {dst}<-{src} must name input node {src} ('{name}~{src}'), "
                        f"got {entry!r} in {s!r}"
                    )
                if name not in OPS:
                    raise InvalidArchitectureError(
                        f"unknown op {name!r} on edge {dst}<-{src}; valid ops: {_VALID_OPS}"
                    )
                ops.append(OPS.index(name))
        return tuple(ops)

    def to_str(self, arch: Arch) -> str:
        arch = _check(arch)
        nodes: list[list[str]] = [[] for _ in range(3)]
        for (src, dst), op in zip(EDGES, arch, strict=True):
            nodes[dst - 1].append(f"{OPS[op]}~{src}")
        return "+".join("|" + "|".join(node) + "|" for node in nodes)

    def from_index(self, i: int) -> Arch:
        """The architecture with official benchmark index ``i``."""
        return tuple(_order()[0][check_index(i, SIZE, "NB201")].tolist())

    def index(self, arch: Arch) -> int:
        """The official benchmark index of ``arch``."""
        code = 0
        for op in _check(arch):
            code = code * NUM_OPS + op
        return int(_order()[1][code])

    def key(self, arch: Arch) -> int:
        """Benchmark key: the official index."""
        return self.index(arch)

    def sample(self, rng: np.random.Generator) -> Arch:
        return tuple(rng.integers(0, NUM_OPS, size=NUM_EDGES).tolist())

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        arch = _check(arch)
        edge = int(rng.integers(NUM_EDGES))
        op = int(rng.integers(NUM_OPS - 1))
        op += op >= arch[edge]
        return arch[:edge] + (op,) + arch[edge + 1 :]

    def neighbors(self, arch: Arch) -> list[Arch]:
        """The 24 one-edge changes, by edge then op."""
        arch = _check(arch)
        return [
            arch[:e] + (op,) + arch[e + 1 :]
            for e in range(NUM_EDGES)
            for op in range(NUM_OPS)
            if op != arch[e]
        ]

    def decisions(self) -> list[int]:
        return [NUM_OPS] * NUM_EDGES

    def from_decisions(self, values: Sequence[int]) -> Arch:
        values = as_values(values, "an NB201 decision vector", NUM_EDGES)
        return _check_values(values, "decision vector")

    def to_decisions(self, arch: Arch) -> list[int]:
        return list(_check(arch))

    def encode(self, arch: Arch) -> np.ndarray:
        """One-hot op per edge, float32 of length 30 (edge-major)."""
        x = np.zeros((NUM_EDGES, NUM_OPS), dtype=np.float32)
        x[np.arange(NUM_EDGES), _check(arch)] = 1.0
        return x.ravel()

    def canonical(self, arch: Arch) -> Arch:
        """Smallest-index member of ``arch``'s class (see the module docstring)."""
        return self.from_index(int(_representatives()[self.index(arch)]))

    def to_graph(self, arch: Arch) -> nx.DiGraph:
        arch = _check(arch)
        graph = nx.DiGraph()
        graph.add_nodes_from(range(4))
        for (src, dst), op in zip(EDGES, arch, strict=True):
            if op != NONE:
                graph.add_edge(src, dst, op=OPS[op])
        return graph

    def make_model(self, arch: Arch, dataset: DatasetSpec) -> nn.Module:
        """The NB201 ``TinyNetwork`` (the space's C and N) for ``arch``; returns logits."""
        from search_spaces.nb201_model import NB201Network

        return NB201Network(_check(arch), dataset.num_classes, self.C, self.N)

    def size(self) -> int:
        return SIZE

    def enumerate(self) -> Iterator[Arch]:
        return (tuple(row) for row in _order()[0].tolist())


# ------------------------------------------------------------------------- benchmark tables

_TEST = {
    "cifar10": "NAS-Bench-201 cifar10 TEST accuracy (%) after 200 epochs, mean over seeds "
    "(trained on the CIFAR-10 train+valid images, evaluated on the CIFAR-10 test set)",
    "cifar100": "NAS-Bench-201 cifar100 TEST accuracy (%) after 200 epochs, mean over seeds "
    "(x-test split)",
    "ImageNet16-120": "NAS-Bench-201 ImageNet16-120 TEST accuracy (%) after 200 epochs, mean "
    "over seeds (x-test split)",
}
_VAL = {  # dataset -> (CSV column, description)
    "cifar10": (
        "cifar10-valid",
        "NAS-Bench-201 cifar10 VALIDATION accuracy (%) after 200 epochs, mean over seeds, of "
        "the 'cifar10-valid' setting: trained on 25k CIFAR-10 train images, evaluated on the "
        "other 25k (x-valid)",
    ),
    "cifar100": (
        "cifar100",
        "NAS-Bench-201 cifar100 VALIDATION accuracy (%) after 200 epochs, mean over seeds "
        "(x-valid split)",
    ),
    "ImageNet16-120": (
        "ImageNet16-120",
        "NAS-Bench-201 ImageNet16-120 VALIDATION accuracy (%) after 200 epochs, mean over "
        "seeds (x-valid split)",
    ),
}
_ORIGIN = (
    "{file} of the project's shared data set ({what}; see data/README.md), or pass "
    "source=<path to the official NAS-Bench-201-v1_0-e61699.pth or v1_1-096897.pth from "
    "https://github.com/D-X-Y/NAS-Bench-201>"
)


def _tables() -> list[TableInfo]:
    test_file, val_file = "nb201/nb201_test_accuracy.csv", "nb201/nb201_val_accuracy.csv"
    test_origin = _ORIGIN.format(
        file=test_file, what="NATS-Bench tss values from v-tao/nats-bench-landscape")
    val_origin = _ORIGIN.format(file=val_file, what="from leeyeehoo/GenNAS-Zero")
    tables = []
    for name, test in _TEST.items():
        column, val = _VAL[name]
        tables.append(TableInfo("nb201", name, "test", test_file, name, SIZE, test, test_origin,
                                benchmark="nb201", indexed=True))
        tables.append(TableInfo("nb201", name, "val", val_file, column, SIZE, val, val_origin,
                                benchmark="nb201", indexed=True))
    return tables


def _load(table: TableInfo, root, source: Source):
    if isinstance(source, str) and source == "auto":
        return load_csv_table(table, root)
    from naslib_zero.tables.nb201_official import (
        load_official_table,  # imports torch: only on demand
    )

    return load_official_table(source, table.dataset, table.metric, cache_root=root)


register_benchmark("nb201", "nb201", _tables(), _load, aliases=DATASET_ALIASES)
