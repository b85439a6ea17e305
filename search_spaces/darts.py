"""The DARTS cell search space (``darts``) and NAS-Bench-301's version of it (``nb301``).

An ``Arch`` is a :class:`~search_spaces.darts_genotype.Genotype` (a normal and a reduction
cell, four nodes of two ``(op, input)`` edges each). Its string form is the DARTS
``Genotype(...)`` string, exactly as in ``darts/darts_1000_cifar10_accuracy.csv`` and
``nb301/naslib_nb301_val_accuracy.csv``::

    Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ...], normal_concat=[2, 3, 4, 5],
             reduce=[...], reduce_concat=[2, 3, 4, 5])

``from_str`` also reads NASLib's compact ``[[normal], [reduce]]`` JSON (``to_compact`` prints
it). The two spaces differ in their rules:

* ``darts``: the eight DARTS ops; a node may read the same input twice, because the DARTS-1000
  file does (2,612 of its 8,000 nodes do). ``get_space("darts", distinct_inputs=True)`` is
  DARTS' own constraint, ``ops=...`` a subset of the ops (a sequence, or names joined by ``|``).
* ``nb301``: no ``none`` op, two distinct inputs per node, as NAS-Bench-301 and NASLib sample.

Both take the network options of :mod:`search_spaces.darts_model`: ``preset`` (``darts`` by
default for ``darts``, ``nb301`` for ``nb301``) and any :class:`DartsConfig` field to override
it (``channels``, ``layers``, ``auxiliary``, ...), e.g. ``get_space("nb301", preset="naslib")``.

Classes (``canonical``): a node's two edges commute (their outputs are summed) and a ``none``
edge outputs zeros whatever it reads, so it is moved to the lowest input it may use. Nothing
else is folded (every node feeds the cell output). The 1,000 DARTS-1000 rows and the 1,218
NB301 rows are 1,000 and 1,218 distinct classes. The benchmark key is the canonical string.

Moves: ``sample`` is NASLib's NB301 sampler (per node two inputs, distinct where the rules
say so, and two ops, uniformly); ``mutate`` and ``neighbors`` change one op or one input of
one edge (NASLib's ``mutate`` and ``get_nbhd``). ``decisions`` are, per cell and node, the
inputs (one decision over the ordered pairs of distinct inputs when they must differ, so no
decision vector is invalid and REINFORCE/NSGA-II never reject a draw) and the two ops.
``encode`` is the op one-hot of each of the 14 possible edges of each cell.

Benchmarks (CIFAR-10):

* ``nb301`` (space ``nb301``): NASLib's 1,218 rows, ``val`` = CIFAR-10 validation accuracy as
  NASLib stores it, either real training or a draw of NB301's surrogate (NASLib does not say
  which); 493 rows exist only in the older (2022-05) NASLib file, 7 of whose shared rows
  differ from the newer by up to 0.17 points. ``nb301_2022_06`` holds the newer file's 725.
  Parameter counts (``params_M``) are those of the ``naslib`` preset.
* ``darts1000`` (space ``darts``): SWAP's 1,000 randomly sampled genotypes (normal cell =
  reduction cell in every row) with their CIFAR-10 validation accuracy after 200 epochs of
  training (training configuration not published).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError, InvalidArgumentError
from naslib_zero.tables import TableInfo, register_benchmark
from search_spaces.base import DatasetSpec, SearchSpace, register_space
from search_spaces.darts_genotype import CELLS, OPS, Genotype, Rules
from search_spaces.darts_model import DartsConfig, DartsNetwork, preset
from search_spaces.parsing import show

Arch = Genotype


class DartsSpace(SearchSpace):
    """DARTS genotypes under ``rules``, built into networks with ``network``."""

    datasets = (DatasetSpec("cifar10", (3, 32, 32), 10),)

    def __init__(self, name: str, rules: Rules, network: DartsConfig) -> None:
        self.name, self.rules, self.network = name, rules, network

    def __repr__(self) -> str:
        return f"DartsSpace({self.name}, ops={list(self.rules.ops)}, " \
               f"distinct_inputs={self.rules.distinct_inputs}, {self.network})"

    # ------------------------------------------------------------------------- strings

    def from_str(self, s: str) -> Arch:
        return self.rules.parse(s)

    def to_str(self, arch: Arch) -> str:
        return self.rules.to_str(self._check(arch))

    def from_compact(self, compact: str | Sequence) -> Arch:
        """NASLib's compact encoding (JSON string or nested lists)."""
        return self.rules.from_compact(compact)

    def to_compact(self, arch: Arch) -> str:
        return self.rules.to_compact(self._check(arch))

    def key(self, arch: Arch) -> str:
        return self.rules.to_str(self.canonical(arch))

    def _check(self, arch: Any) -> Arch:
        if not isinstance(arch, Genotype):
            raise InvalidArchitectureError(
                f"a {self.name} architecture is a Genotype, got {type(arch).__name__}")
        return self.rules.check(arch.normal, arch.reduce)

    # --------------------------------------------------------------------------- moves

    def sample(self, rng: np.random.Generator) -> Arch:
        return self.rules.sample(rng)

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        return self.rules.mutate(self._check(arch), rng)

    def neighbors(self, arch: Arch) -> list[Arch]:
        arch = self._check(arch)
        return list(dict.fromkeys(n for n in self.rules.edits(arch) if n != arch))

    def decisions(self) -> list[int]:
        return self.rules.decisions()

    def from_decisions(self, values: Sequence[int]) -> Arch:
        return self.rules.from_decisions(values)

    def to_decisions(self, arch: Arch) -> list[int]:
        return self.rules.to_decisions(self._check(arch))

    def encode(self, arch: Arch) -> np.ndarray:
        return self.rules.encode(self._check(arch))

    def canonical(self, arch: Arch) -> Arch:
        return self.rules.canonical(self._check(arch))

    def to_graph(self, arch: Arch) -> nx.MultiDiGraph:
        """Per cell, nodes ``(cell, 0..5)`` (0, 1: the cell inputs; 2..5: the intermediate
        nodes) and ``(cell, "out")``; one edge per genotype edge with attribute ``op`` (a
        multigraph: a node may read one input twice), and identity edges to the output."""
        arch = self._check(arch)
        graph = nx.MultiDiGraph()
        for name in CELLS:
            graph.add_nodes_from(((name, k), {"cell": name})
                                 for k in range(self.rules.nodes + 2))
            graph.add_node((name, "out"), cell=name)
            for e, (op, source) in enumerate(arch.cell(name)):
                graph.add_edge((name, source), (name, 2 + e // 2), op=op)
            graph.add_edges_from(((name, k), (name, "out"), {"op": "concat"})
                                 for k in self.rules.concat_of(arch.cell(name)))
        return graph

    # --------------------------------------------------------------------------- models

    def make_model(self, arch: Arch, dataset: DatasetSpec) -> nn.Module:
        """The DARTS network of ``arch`` in this space's network configuration."""
        arch = self._check(arch)
        return DartsNetwork(arch, self.network, dataset.num_classes,
                            in_channels=dataset.input_shape[0],
                            concat=tuple(self.rules.concat_of(arch.cell(c)) for c in CELLS))


def _network(preset_name: str, options: dict[str, Any]) -> DartsConfig:
    return preset(preset_name).with_options(**options)


def _ops(ops: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(ops, str):
        ops = [op.strip() for op in ops.replace("+", "|").split("|") if op.strip()]
    if not isinstance(ops, list | tuple):
        raise InvalidArgumentError(f"ops must be a sequence of op names, got {show(ops)}")
    return tuple(ops)


@register_space("darts")
def darts_space(ops: str | Sequence[str] = OPS, distinct_inputs: bool = False,
                preset: str = "darts", **network: Any) -> DartsSpace:
    """The DARTS space: ``ops`` (default all eight), ``distinct_inputs`` (default False, as
    the DARTS-1000 file), and the network ``preset`` with overrides."""
    if not isinstance(distinct_inputs, bool):
        raise InvalidArgumentError(
            f"distinct_inputs must be a bool, got {show(distinct_inputs)}")
    return DartsSpace("darts", Rules(_ops(ops), distinct_inputs), _network(preset, network))


@register_space("nb301")
def nb301_space(preset: str = "nb301", **network: Any) -> DartsSpace:
    """NAS-Bench-301: seven ops (no ``none``), distinct inputs, the NB301 network preset."""
    return DartsSpace("nb301", Rules(OPS[1:], True), _network(preset, network))


# ------------------------------------------------------------------------- benchmark tables

_SHARED = "of the project's shared data set (see data/README.md)"
_NB301 = "nb301/naslib_nb301_val_accuracy.csv"
_NB301_TEXT = (
    "CIFAR-10 VALIDATION accuracy (%) of NAS-Bench-301 genotypes as NASLib's zero-cost "
    "benchmark stores it: real training (~100 epochs) or a draw of the NB301 surrogate, not "
    "recorded which; approximate ground truth")


def _key_parser(rules: Rules):
    def canonical_key(text: str) -> str:
        return rules.to_str(rules.canonical(rules.parse(text)))

    return canonical_key


def _nb301_table(benchmark: str, rows: int, text: str, **extra) -> TableInfo:
    return TableInfo("nb301", "cifar10", "val", _NB301, "val_accuracy", rows, text,
                     f"{_NB301} {_SHARED}", benchmark=benchmark, key_column="genotype",
                     key_type=_key_parser(Rules(OPS[1:], True)), arch_column="genotype",
                     params_column="params_M", params_unit=1e6,
                     params_options=(("preset", "naslib"),), **extra)


register_benchmark("nb301", "nb301", [_nb301_table(
    "nb301", 1_218, _NB301_TEXT + "; 1,218 rows, 493 of them only in NASLib's older (2022-05) "
    "file")])
register_benchmark("nb301", "nb301_2022_06", [_nb301_table(
    "nb301_2022_06", 725, _NB301_TEXT + "; the 725 rows of NASLib's 2022-06 file",
    row_filter=("naslib_file_version", "2022-06"))])
register_benchmark("darts", "darts1000", [TableInfo(
    "darts", "cifar10", "val", "darts/darts_1000_cifar10_accuracy.csv", "cifar10_accuracy",
    1_000, "CIFAR-10 VALIDATION accuracy (%) of 1,000 random DARTS genotypes (normal cell = "
    "reduction cell) after 200 epochs of training, from SWAP (Peng et al., ICLR 2024)",
    f"darts/darts_1000_cifar10_accuracy.csv {_SHARED}", benchmark="darts1000",
    key_column="genotype", key_type=_key_parser(Rules(OPS, False)), arch_column="genotype")])
