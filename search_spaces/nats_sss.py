"""The NATS-Bench size search space ("sss"): 8**5 = 32,768 channel configurations.

An ``Arch`` is a tuple of five channel counts ``(C1, ..., C5)``, each from :data:`CHANNELS`
(8, 16, ..., 64); its string form is ``"C1:C2:C3:C4:C5"`` (e.g. ``"64:64:56:64:24"``), as in
NATS-Bench. The cell topology is fixed (see :mod:`search_spaces.nats_sss_model`); only widths
are searched.

Index order (the official one: ``traverse_net`` in AutoDL-Projects
``exps/NATS-Bench/main-sss.py``, and row ``i`` of ``natsbench_sss/nats_sss_accuracy.csv``): the
base-8 number of the choice indices ``C_k / 8 - 1`` with C1 most significant, so index 0 is
``8:8:8:8:8``, 1 is ``8:8:8:8:16`` and 32767 is ``64:64:64:64:64``.

Layer / channel mapping (xautodl ``DynamicShapeTinyNet``; 3 stages of N=1 cell): C1 is the width
of the stem and of the first cell, C2 of the first stride-2 residual block, C3 of the second
cell, C4 of the second residual block and C5 of the last cell, the final BN and the classifier
input. ``to_graph`` returns this chain of six layers (nodes 0..5: stem, cell, resblock, cell,
resblock, cell) with node attributes ``kind``, ``channels`` (output width), ``stride`` and
``decision`` (which of the five choices sets the width); edges ``i -> i + 1``.

``canonical`` is the identity: distinct configurations have weights of different shapes, so no
two of them are the same network. ``encode`` is the one-hot choice of each layer (40 float32).

Checked (``benchmarks/nats_sss_params.py``, ``tests/test_nats_sss.py``): all 32,768 CSV channel
strings parse and re-index to their row, and the model's parameter count equals the CSV's
``params_cifar10`` / ``params_cifar100`` / ``params_ImageNet16-120`` for every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError
from naslib_zero.tables import TableInfo, register_benchmark
from search_spaces.base import DatasetSpec, SearchSpace, check_index, register_space
from search_spaces.nb201 import DATASET_ALIASES, DATASETS
from search_spaces.parsing import as_values, check_text, int_text, is_int, show

CHANNELS: tuple[int, ...] = (8, 16, 24, 32, 40, 48, 56, 64)
NUM_LAYERS = 5
NUM_CHOICES = len(CHANNELS)
SIZE = NUM_CHOICES**NUM_LAYERS
LAYERS: tuple[tuple[str, int, int], ...] = (
    ("stem", 0, 1), ("cell", 0, 1), ("resblock", 1, 2), ("cell", 2, 1), ("resblock", 3, 2),
    ("cell", 4, 1))
"""(kind, decision setting its output width, stride) of each node of :meth:`to_graph`."""

_CHOICE = {c: i for i, c in enumerate(CHANNELS)}
_ALLOWED = ", ".join(map(str, CHANNELS))
_FORM = "C1:C2:C3:C4:C5"
MAX_TEXT = 1_000
"""Longest architecture string ``from_str`` reads."""

Arch = tuple[int, ...]


def _channel(v: Any, layer: int) -> int:
    """``v`` as a channel count of layer ``layer`` (0-based), or InvalidArchitectureError."""
    if not is_int(v) or int(v) not in _CHOICE:
        raise InvalidArchitectureError(
            f"invalid channel count {show(v)} for layer C{layer + 1}: expected one of {_ALLOWED}")
    return int(v)


def _check(arch: Any) -> Arch:
    """Validate an Arch (a tuple of five channel counts) and return it with plain ints."""
    if type(arch) is tuple and len(arch) == NUM_LAYERS and all(
            type(v) is int and v in _CHOICE for v in arch):
        return arch
    if not isinstance(arch, tuple):
        raise InvalidArchitectureError(
            f"a NATS-sss architecture is a tuple of {NUM_LAYERS} channel counts, "
            f"got {type(arch).__name__} {show(arch)}")
    if len(arch) != NUM_LAYERS:
        raise InvalidArchitectureError(
            f"a NATS-sss architecture has {NUM_LAYERS} channel counts, got {len(arch)}")
    return tuple(_channel(v, k) for k, v in enumerate(arch))


@register_space("nats_sss")
class NATSSizeSpace(SearchSpace):
    """NATS-Bench size space: five widths from 8..64 on a fixed-cell NB201 skeleton."""

    name = "nats_sss"
    datasets = DATASETS

    def from_str(self, s: str) -> Arch:
        text = check_text(s, "a NATS-sss architecture string", MAX_TEXT)
        parts = [p.strip() for p in text.split(":")]
        if len(parts) != NUM_LAYERS:
            raise InvalidArchitectureError(
                f"a NATS-sss architecture string has {NUM_LAYERS} channel counts joined by ':' "
                f"({_FORM}), got {len(parts)} in {s!r}")
        arch = []
        for k, part in enumerate(parts):
            value = int_text(part)
            if value is None:
                raise InvalidArchitectureError(
                    f"channel count C{k + 1} must be an integer (ASCII digits, no sign, "
                    f"underscore or leading zero), got {show(part)} in {show(s)}; "
                    f"allowed: {_ALLOWED}")
            arch.append(_channel(value, k))
        return tuple(arch)

    def to_str(self, arch: Arch) -> str:
        return ":".join(map(str, _check(arch)))

    def from_index(self, i: int) -> Arch:
        """The configuration with official index ``i`` (base 8, C1 most significant)."""
        i = check_index(i, SIZE, "NATS-sss")
        digits = []
        for _ in range(NUM_LAYERS):
            i, d = divmod(i, NUM_CHOICES)
            digits.append(CHANNELS[d])
        return tuple(reversed(digits))

    def index(self, arch: Arch) -> int:
        """The official index of ``arch``."""
        code = 0
        for c in _check(arch):
            code = code * NUM_CHOICES + _CHOICE[c]
        return code

    def key(self, arch: Arch) -> int:
        """Benchmark key: the official index."""
        return self.index(arch)

    def sample(self, rng: np.random.Generator) -> Arch:
        """Uniform over the 32,768 configurations."""
        return tuple(CHANNELS[d] for d in rng.integers(0, NUM_CHOICES, size=NUM_LAYERS).tolist())

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """One layer's width changed to another (uniform layer, uniform new width)."""
        arch = _check(arch)
        layer = int(rng.integers(NUM_LAYERS))
        choice = int(rng.integers(NUM_CHOICES - 1))
        choice += choice >= _CHOICE[arch[layer]]
        return arch[:layer] + (CHANNELS[choice],) + arch[layer + 1:]

    def neighbors(self, arch: Arch) -> list[Arch]:
        """The 35 one-layer width changes, by layer then width."""
        arch = _check(arch)
        return [arch[:k] + (c,) + arch[k + 1:]
                for k in range(NUM_LAYERS) for c in CHANNELS if c != arch[k]]

    def decisions(self) -> list[int]:
        return [NUM_CHOICES] * NUM_LAYERS

    def from_decisions(self, values: Sequence[int]) -> Arch:
        """Choice indices 0..7 per layer (index ``d`` is ``CHANNELS[d]``) to an Arch."""
        values = as_values(values, "a NATS-sss decision vector", NUM_LAYERS)
        arch = []
        for k, v in enumerate(values):
            if not is_int(v) or not 0 <= v < NUM_CHOICES:
                raise InvalidArchitectureError(
                    f"invalid choice {show(v)} for layer C{k + 1}: expected an int in "
                    f"0..{NUM_CHOICES - 1} (channels {_ALLOWED})")
            arch.append(CHANNELS[int(v)])
        return tuple(arch)

    def to_decisions(self, arch: Arch) -> list[int]:
        return [_CHOICE[c] for c in _check(arch)]

    def encode(self, arch: Arch) -> np.ndarray:
        """One-hot width choice per layer, float32 of length 40 (layer-major)."""
        x = np.zeros((NUM_LAYERS, NUM_CHOICES), dtype=np.float32)
        x[np.arange(NUM_LAYERS), self.to_decisions(arch)] = 1.0
        return x.ravel()

    def canonical(self, arch: Arch) -> Arch:
        """``arch`` itself: every configuration is a distinct network (see module docstring)."""
        return _check(arch)

    def to_graph(self, arch: Arch) -> nx.DiGraph:
        """The chain stem -> cell -> resblock -> cell -> resblock -> cell (nodes 0..5)."""
        arch = _check(arch)
        graph = nx.DiGraph()
        for node, (kind, decision, stride) in enumerate(LAYERS):
            graph.add_node(node, kind=kind, channels=arch[decision], stride=stride,
                           decision=decision)
        graph.add_edges_from((i, i + 1) for i in range(len(LAYERS) - 1))
        return graph

    def make_model(self, arch: Arch, dataset: DatasetSpec) -> nn.Module:
        """The NATS-Bench ``DynamicShapeTinyNet`` for ``arch``; forward returns logits."""
        from search_spaces.nats_sss_model import NATSSizeNetwork

        return NATSSizeNetwork(_check(arch), dataset.num_classes)

    def size(self) -> int:
        return SIZE


# ------------------------------------------------------------------------- benchmark tables

_FILE = "natsbench_sss/nats_sss_accuracy.csv"

_ORIGIN = (
    f"{_FILE} of the project's shared data set (NATS-Bench sss values copied from "
    "noual/nas_ntk benchmark_scores/*-NATS.csv; see data/README.md); the official benchmark is "
    "NATS-sss-v1_0-50262 from https://github.com/D-X-Y/NATS-Bench (no loader for it here)"
)


def _tables() -> list[TableInfo]:
    return [
        TableInfo(
            "nats_sss", name, "test", _FILE, name, SIZE,
            f"NATS-Bench size space {name} TEST accuracy (%) after 90 epochs (NATS hp='90'), "
            "as extracted by noual/nas_ntk's code (see data/README.md); not re-verified "
            "against the official NATS-Bench files",
            _ORIGIN, benchmark="nats_sss", key_column="index", indexed=True,
            arch_column="channels", params_column=f"params_{name}")
        for name in (d.name for d in DATASETS)
    ]


register_benchmark("nats_sss", "nats_sss", _tables(), aliases=DATASET_ALIASES)
