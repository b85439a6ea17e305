"""The NAS-Bench-101 cell search space (423,624 unique cells), registered as ``nb101``.

An ``Arch`` is a pruned cell spec (:class:`~search_spaces.nb101_spec.NB101Arch`: a strictly
upper-triangular 0/1 matrix of at most 7 vertices and 9 edges, and the vertex labels
``input``, ``conv3x3-bn-relu``, ``conv1x1-bn-relu``, ``maxpool3x3``, ``output``), built with
:meth:`NB101Space.from_spec` from any spec NB101's ``ModelSpec`` accepts (dangling vertices are
pruned). The string form is the matrix rows joined by ``.``, a ``/`` and the labels::

    01100.00010.00010.00001.00000/input,conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,output

The benchmark key is the official module hash (:meth:`NB101Space.hash`); ``canonical`` gives
one representative per hash; ``index`` is the position of the hash in the sorted list of all
423,624 hashes. Sampling and mutation follow NB101's own ``random_spec`` and ``mutate_spec``;
``neighbors`` are all valid single edge flips and op changes. The spec-level code lives in
:mod:`search_spaces.nb101_spec`, the network in :mod:`search_spaces.nb101_model`.

Benchmarks (CIFAR-10 only):

* ``nb101``: ``nb101/nb101_30k_val_accuracy.csv``, 30,001 cells, the VALIDATION accuracy of
  ONE training run after 108 epochs (``val``) and at the 4/12/36-epoch budgets (``val@4`` ...),
  and the trainable parameter count;
* ``naslib``: ``nb101/naslib_nb101_val_accuracy.csv``, NASLib's 500 rows (292 distinct cells:
  NASLib drew some cells many times), 108-epoch validation accuracy of one random repeat per
  row, averaged over the rows of a cell;
* ``gennas``: ``nb101/gennas_nb101_2500_accuracy.csv``, 2,500 cells, a 108-epoch single-run
  accuracy whose source does not say which split (most likely TEST, see data/README.md), so
  its metric is called ``accuracy``;
* ``official``: the official ``nb101/nasbench_only108.tfrecord``, if a user has it: validation
  (``val``) and test (``test``) accuracy after 108 epochs, mean over the three repeats.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import CorruptDataError
from naslib_zero.tables import GroundTruth, Source, TableInfo, register_benchmark
from search_spaces import nb101_spec as spec
from search_spaces.base import DatasetSpec, SearchSpace, check_index, register_space
from search_spaces.nb101_spec import NB101Arch

Arch = NB101Arch


@register_space("nb101")
class NB101Space(SearchSpace):
    """NAS-Bench-101: cells of at most 7 vertices and 9 edges, 3 interior ops."""

    name = "nb101"
    datasets = (DatasetSpec("cifar10", (3, 32, 32), 10),)

    def from_spec(self, matrix: Sequence[Sequence[int]] | np.ndarray,
                  ops: Sequence[str]) -> Arch:
        """The (pruned) architecture of an NB101 spec: a 0/1 matrix and vertex labels that
        include ``input`` and ``output``; InvalidArchitectureError names what is wrong."""
        return spec.prune(matrix, ops)

    def hash(self, arch: Arch) -> str:
        """The official NB101 module hash (hex md5), the key of the NB101 dataset."""
        return spec.module_hash(arch)

    def key(self, arch: Arch) -> str:
        return spec.module_hash(arch)

    def from_str(self, s: str) -> Arch:
        return spec.from_str(s)

    def to_str(self, arch: Arch) -> str:
        return spec.to_str(arch)

    def sample(self, rng: np.random.Generator) -> Arch:
        return spec.random_spec(rng)

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        return spec.mutate(arch, rng)

    def neighbors(self, arch: Arch) -> list[Arch]:
        return spec.neighbors(arch)

    def decisions(self) -> list[int]:
        """21 edge bits of the padded 7x7 matrix, then the ops of the 5 interior vertices."""
        return list(spec.DECISIONS)

    def from_decisions(self, values: Sequence[int]) -> Arch:
        return spec.from_decisions(values)

    def to_decisions(self, arch: Arch) -> list[int]:
        return spec.to_decisions(arch)

    def encode(self, arch: Arch) -> np.ndarray:
        """21 padded adjacency bits and a one-hot op per interior vertex (float32, 36)."""
        return spec.encode(arch)

    def canonical(self, arch: Arch) -> Arch:
        return spec.canonical(arch)

    def to_graph(self, arch: Arch) -> nx.DiGraph:
        """Vertices 0..V-1 with attribute ``op`` (their label), one edge per matrix 1."""
        graph = nx.DiGraph()
        graph.add_nodes_from((v, {"op": op}) for v, op in enumerate(arch.ops))
        graph.add_edges_from((i, j) for i, row in enumerate(arch.matrix)
                             for j, bit in enumerate(row) if bit)
        return graph

    def make_model(self, arch: Arch, dataset: DatasetSpec) -> nn.Module:
        """The NB101 network (stem of 128 channels, 3 stacks of 3 cells) for ``arch``."""
        from search_spaces.nb101_model import NB101Network

        return NB101Network(arch.matrix, arch.ops, dataset.num_classes,
                            in_channels=dataset.input_shape[0])

    def size(self) -> int:
        return spec.SIZE

    def index(self, arch: Arch) -> int:
        return spec.index(arch)

    def from_index(self, i: int) -> Arch:
        return spec.from_index(check_index(i, spec.SIZE, "NB101"))


# ------------------------------------------------------------------------- benchmark tables


def _row_arch(row: dict[str, str]) -> str:
    """The string form of a CSV row's pruned spec (``adjacency`` flattened row-major)."""
    n, flat = int(row["num_vertices"]), row["adjacency"].strip()
    if len(flat) != n * n:
        raise ValueError(f"adjacency has {len(flat)} digits, expected {n} x {n}")
    rows = ".".join(flat[i * n:(i + 1) * n] for i in range(n))
    return f"{rows}/{row['ops'].strip().replace('|', ',')}"


_SHARED = "of the project's shared data set (see data/README.md)"
_30K = "nb101/nb101_30k_val_accuracy.csv"
_ONE_RUN = ("NAS-Bench-101 CIFAR-10 VALIDATION accuracy (%) of ONE training run with a "
            "{e}-epoch budget (not the mean of NB101's 3 repeats; no test accuracy in this file)")


def _table(benchmark: str, metric: str, file: str, column: str, rows: int | None,
           description: str, **extra) -> TableInfo:
    return TableInfo("nb101", "cifar10", metric, file, column, rows, description,
                     f"{file} {_SHARED}", benchmark=benchmark, key_column="hash", key_type=str,
                     arch_column=None, row_arch=_row_arch, **extra)


_OFFICIAL = "nb101/nasbench_only108.tfrecord"
_OFFICIAL_ORIGIN = ("the official NAS-Bench-101 file nasbench_only108.tfrecord "
                    "(https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord), "
                    f"placed at {_OFFICIAL} under the data root or passed as source=PATH")


def _load_official(table: TableInfo, root: Path, source: Source) -> GroundTruth:
    """The official file: mean over repeats of the final 108-epoch accuracy, in percent."""
    from naslib_zero.tables.nb101_official import read_nb101_tfrecord

    path = root / table.file if isinstance(source, str) and source == "auto" else Path(source)
    keys, archs, values = [], [], []
    for record in read_nb101_tfrecord(path, epochs=108):
        accs = [r.final_validation_accuracy if table.metric == "val" else r.final_test_accuracy
                for r in record.runs]
        keys.append(record.hash)
        archs.append(spec.to_str(spec.prune(record.adjacency, record.ops)))
        values.append(100.0 * float(np.mean(accs)))
    if not keys:
        raise CorruptDataError(f"{path}: no 108-epoch record")
    return GroundTruth("nb101", "cifar10", table.metric, np.array(values), tuple(archs),
                       str(path), table.description, keys=tuple(keys), benchmark="official")


register_benchmark("nb101", "nb101", [
    _table("nb101", "val", _30K, "val_acc_108ep", 30_001, _ONE_RUN.format(e=108),
           params_column="params"),
    *(_table("nb101", f"val@{e}", _30K, f"val_acc_{e}ep", 30_001, _ONE_RUN.format(e=e))
      for e in (36, 12, 4)),
], aliases={"c10": "cifar10"})
register_benchmark("nb101", "naslib", [
    _table("naslib", "val", "nb101/naslib_nb101_val_accuracy.csv", "val_accuracy", 500,
           "NAS-Bench-101 CIFAR-10 VALIDATION accuracy (%) after 108 epochs as NASLib's "
           "zero-cost benchmark stores it: 500 rows of 292 cells, each row one random repeat; "
           "rows of one cell are averaged", mean_duplicates=True, params_column="params_M",
           params_unit=1e6),
])
register_benchmark("nb101", "gennas", [
    _table("gennas", "accuracy", "nb101/gennas_nb101_2500_accuracy.csv", "accuracy_108ep",
           2_500, "NAS-Bench-101 CIFAR-10 accuracy (%) of one run after 108 epochs, split "
           "not stated by the source (GenNAS); most likely TEST accuracy: lower than the "
           "30k file's validation accuracy on 161 of the 163 shared cells"),
])
register_benchmark("nb101", "official", [
    TableInfo("nb101", "cifar10", metric, _OFFICIAL, "", None,
              f"NAS-Bench-101 CIFAR-10 {what} accuracy (%) after 108 epochs, mean over the 3 "
              "repeats, from the official nasbench_only108.tfrecord", _OFFICIAL_ORIGIN,
              benchmark="official", key_column="hash", key_type=str)
    for metric, what in (("val", "VALIDATION"), ("test", "TEST"))
], _load_official)
