"""The NDS cell design spaces: DARTS, AmoebaNet, ENAS, NASNet and PNAS cells (``nds_*``).

From "On Network Design Spaces for Visual Recognition" (Radosavovic et al., ICCV 2019). An
``Arch`` (:class:`CellArch`) is what an NDS record stores in ``net``: a ``genotype`` (a
normal and a reduction cell, :mod:`search_spaces.darts_genotype`), the network's ``depth``
(cells) and ``width`` (channels of the first cells), ``aux`` (auxiliary head) and
``drop_prob`` (drop path). The spaces differ in their cells (:data:`CELL_FAMILIES`, read off
the five ``nds/*_in.json`` files, which hold no other op or node count):

* ``nds_darts``: 4 nodes, DARTS' eight ops (``none`` included), every node concatenated;
* ``nds_pnas``: 5 nodes, 8 ops (``sep_conv_7x7``, ``conv_7x1_1x7``, ...), every node;
* ``nds_amoeba`` (5 nodes, 8 ops), ``nds_enas`` (5 nodes, 5 ops) and ``nds_nasnet`` (5
  nodes, 13 ops): the output concatenates the loose ends (the nodes no edge reads).

A node may read one input twice (about a third of the records' nodes do, as uniform draws
with replacement give). String form (``to_str``; ``from_str`` reads it back)::

    depth=14;width=48;aux=False;drop_prob=0.0;Genotype(normal=[('none', 0), ...], ...)

Ranges (every architecture, whatever parser built it): ``depth`` one of :data:`DEPTHS`
(6, 10, 14, 18, 22) and ``width`` one of :data:`WIDTHS` (32, 48, 64, 80, 96), the values of
the design space and of every record; ``aux`` True or False; ``drop_prob`` in [0, 1).
``from_str`` reads exactly the grammar ``to_str`` prints: the four fields in that order,
``depth`` and ``width`` in ASCII digits without sign, underscore or leading zero,
``drop_prob`` an ASCII decimal (``0.0``, ``0.2``, ``1e-05``), then the ``Genotype(...)``
string (:func:`search_spaces.darts_genotype.read_genotype`; not the compact form), at most
:data:`MAX_TEXT` characters in all; anything else is an InvalidArchitectureError.

``from_config(net)`` takes the ``net`` dict of a record, ``to_config`` gives it back.

``to_model(arch, "imagenet")`` is pycls' ``NetworkImageNet`` (the DARTS ImageNet network;
:mod:`search_spaces.darts_model`, ``stem="imagenet"``), ``"cifar10"`` its ``NetworkCIFAR``.
:meth:`CellSpace.complexity` counts params and FLOPs as the records do: trainable
parameters, and :func:`search_spaces.nds_model.nas_cell_flops`; both equal every one of the
603 records.

Design space (``sample``, ``decisions``, ``mutate``, ``neighbors``): per cell and node two
inputs and two ops, uniform and independent; depth and width uniform over the values the
records hold (:data:`DEPTHS`, :data:`WIDTHS`). Every record has fewer than 6 M parameters,
which looks like a complexity filter NDS applied; the sampler applies none. ``mutate``
changes, with probability 1/2, one edge of the genotype (an op or an input), else the depth
or the width (1/4 each) to another value. ``canonical`` folds the genotype's commuting
edges (and under the ``all`` concat DARTS' ``none`` inputs); ``encode`` is the genotype's
edge one-hot, then depth and log2 width.

Benchmarks: ``nds`` on each space, the ImageNet records of its ``nds/*_in.json`` (about 120
each, trained 50 epochs), accuracy = 100 - top-1 error (``test``: ``min_test_top1_err``,
``test_final``: the last epoch's).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError
from search_spaces.base import DatasetSpec, SearchSpace, register_space
from search_spaces.darts import DartsSpace
from search_spaces.darts_genotype import CELLS, OPS, Genotype, Rules, read_genotype
from search_spaces.darts_model import DartsConfig, DartsNetwork
from search_spaces.nds import CIFAR10, IMAGENET, register_nds
from search_spaces.nds_model import nas_cell_flops, nds_complexity
from search_spaces.parsing import as_values, check_text, float_text, int_text, is_int, show

DEPTHS: tuple[int, ...] = (6, 10, 14, 18, 22)
WIDTHS: tuple[int, ...] = (32, 48, 64, 80, 96)
MAX_TEXT = 10_200
"""Longest string ``from_str`` reads (a genotype string and the four fields)."""


@dataclass(frozen=True)
class CellFamily:
    """One NDS cell space: its cells' rules, and the file of its ImageNet records."""

    rules: Rules
    file: str
    rows: int


CELL_FAMILIES: dict[str, CellFamily] = {
    "nds_darts": CellFamily(Rules(OPS, False, 4, "all"), "DARTS_in.json", 121),
    "nds_pnas": CellFamily(Rules(
        ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
         "sep_conv_7x7", "dil_conv_3x3", "conv_7x1_1x7"), False, 5, "all"), "PNAS_in.json", 119),
    "nds_amoeba": CellFamily(Rules(
        ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
         "sep_conv_7x7", "dil_sep_conv_3x3", "conv_7x1_1x7"), False, 5, "loose_ends"),
        "Amoeba_in.json", 124),
    "nds_enas": CellFamily(Rules(
        ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5"),
        False, 5, "loose_ends"), "ENAS_in.json", 117),
    "nds_nasnet": CellFamily(Rules(
        ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
         "dil_conv_3x3", "max_pool_5x5", "max_pool_7x7", "conv_1x1", "conv_3x3", "sep_conv_7x7",
         "conv_3x1_1x3", "conv_7x1_1x7"), False, 5, "loose_ends"), "NASNet_in.json", 122),
}


@dataclass(frozen=True)
class CellArch:
    """An NDS cell-space ``net``: genotype, depth, width, auxiliary head, drop path."""

    genotype: Genotype
    depth: int
    width: int
    aux: bool = False
    drop_prob: float = 0.0


_FIELDS = ("depth", "width", "aux", "drop_prob")


class CellSpace(SearchSpace):
    """One NDS cell design space (see the module docstring)."""

    datasets = (IMAGENET, CIFAR10)

    def __init__(self, name: str) -> None:
        self.name = name
        self.family = CELL_FAMILIES[name]
        self.rules = self.family.rules
        self._cells = DartsSpace(name, self.rules, DartsConfig())

    def __repr__(self) -> str:
        return f"CellSpace({self.name!r})"

    # ------------------------------------------------------------------ validation, strings

    def _check(self, arch: Any) -> CellArch:
        if not isinstance(arch, CellArch):
            raise InvalidArchitectureError(
                f"an {self.name} architecture is a CellArch, got {type(arch).__name__}")
        if not isinstance(arch.genotype, Genotype):
            raise InvalidArchitectureError(
                f"CellArch.genotype must be a Genotype, got {type(arch.genotype).__name__}")
        genotype = self.rules.check(arch.genotype.normal, arch.genotype.reduce)
        return _checked(genotype, arch.depth, arch.width, arch.aux, arch.drop_prob)

    def from_config(self, net: Mapping[str, Any]) -> CellArch:
        """The architecture of an NDS record's ``net`` dict."""
        if not isinstance(net, Mapping):
            raise InvalidArchitectureError(f"an NDS net config is a dict, got {show(net)}")
        missing = [k for k in ("genotype", *_FIELDS) if k not in net]
        genotype = net.get("genotype")
        if not missing and isinstance(genotype, Mapping):
            missing = [f"genotype.{k}" for k in ("normal", "normal_concat", "reduce",
                                                  "reduce_concat") if k not in genotype]
        elif not missing:
            raise InvalidArchitectureError(
                f"net.genotype must be a dict, got {show(genotype)}")
        if missing:
            raise InvalidArchitectureError(
                f"NDS net config lacks {', '.join(missing)}: {show(net)}")
        parsed = self.rules.from_parts(genotype["normal"], genotype["normal_concat"],
                                       genotype["reduce"], genotype["reduce_concat"])
        return _checked(parsed, *(net[k] for k in _FIELDS))

    def to_config(self, arch: CellArch) -> dict[str, Any]:
        """The ``net`` dict of ``arch``, as NDS records store it."""
        arch = self._check(arch)
        genotype: dict[str, Any] = {}
        for name in CELLS:
            cell = arch.genotype.cell(name)
            genotype[name] = [[op, source] for op, source in cell]
            genotype[f"{name}_concat"] = list(self.rules.concat_of(cell))
        return {"aux": arch.aux, "depth": arch.depth, "drop_prob": arch.drop_prob,
                "genotype": genotype, "width": arch.width}

    def from_str(self, s: str) -> CellArch:
        text = check_text(s, f"an {self.name} architecture string", MAX_TEXT)
        *fields, genotype = text.split(";", len(_FIELDS))
        values: dict[str, str] = {}
        for item in fields:
            key, sep, value = item.strip().partition("=")
            if not sep or key not in _FIELDS or key in values:
                raise InvalidArchitectureError(
                    f"bad field {show(item)} in {show(s)}: expected "
                    f"{';'.join(k + '=...' for k in _FIELDS)};Genotype(...)")
            values[key] = value.strip()
        if len(values) != len(_FIELDS):
            raise InvalidArchitectureError(
                f"{show(s)} lacks one of {', '.join(_FIELDS)} before the genotype")
        depth, width = int_text(values["depth"]), int_text(values["width"])
        drop_prob = float_text(values["drop_prob"])
        if depth is None or width is None or drop_prob is None:
            raise InvalidArchitectureError(
                "depth and width must be ints and drop_prob a number, in ASCII digits without "
                f"sign, underscore or leading zero, in {show(s)}")
        if values["aux"] not in ("True", "False"):
            raise InvalidArchitectureError(
                f"aux must be True or False, got {show(values['aux'])}")
        return _checked(self.rules.from_parts(*read_genotype(genotype)), depth, width,
                        values["aux"] == "True", drop_prob)

    def to_str(self, arch: CellArch) -> str:
        arch = self._check(arch)
        return ";".join([*(f"{k}={getattr(arch, k)}" for k in _FIELDS),
                         self.rules.to_str(arch.genotype)])

    def key(self, arch: CellArch) -> str:
        return self.to_str(self.canonical(arch))

    # ------------------------------------------------------------------------------- moves

    def sample(self, rng: np.random.Generator) -> CellArch:
        genotype = self.rules.sample(rng)
        return CellArch(genotype, DEPTHS[int(rng.integers(len(DEPTHS)))],
                        WIDTHS[int(rng.integers(len(WIDTHS)))])

    def mutate(self, arch: CellArch, rng: np.random.Generator) -> CellArch:
        arch = self._check(arch)
        draw = float(rng.random())
        if draw < 0.5:
            return replace(arch, genotype=self.rules.mutate(arch.genotype, rng))
        field, choices = ("depth", DEPTHS) if draw < 0.75 else ("width", WIDTHS)
        others = [v for v in choices if v != getattr(arch, field)]
        return replace(arch, **{field: others[int(rng.integers(len(others)))]})

    def neighbors(self, arch: CellArch) -> list[CellArch]:
        """Every one-edge genotype edit, then every other depth and width."""
        arch = self._check(arch)
        out = [replace(arch, genotype=g) for g in self._cells.neighbors(arch.genotype)]
        out += [replace(arch, depth=d) for d in DEPTHS if d != arch.depth]
        out += [replace(arch, width=w) for w in WIDTHS if w != arch.width]
        return out

    def decisions(self) -> list[int]:
        """The genotype's decisions, then depth and width."""
        return self.rules.decisions() + [len(DEPTHS), len(WIDTHS)]

    def from_decisions(self, values: Sequence[int]) -> CellArch:
        values = as_values(values, f"an {self.name} decision vector", len(self.decisions()))
        genotype = self.rules.from_decisions(values[:-2])
        depth, width = values[-2:]
        for v, choices in ((depth, DEPTHS), (width, WIDTHS)):
            if not is_int(v) or not 0 <= v < len(choices):
                raise InvalidArchitectureError(
                    f"depth/width decision {show(v)} outside 0..{len(choices) - 1}")
        return CellArch(genotype, DEPTHS[depth], WIDTHS[width])

    def to_decisions(self, arch: CellArch) -> list[int]:
        arch = self._check(arch)
        if arch.depth not in DEPTHS or arch.width not in WIDTHS or arch.aux or arch.drop_prob:
            raise InvalidArchitectureError(
                f"{self.to_str(arch)[:60]}... is outside the {self.name} design space (depth "
                f"in {list(DEPTHS)}, width in {list(WIDTHS)}, no aux head, no drop path)")
        return self.rules.to_decisions(arch.genotype) + [DEPTHS.index(arch.depth),
                                                         WIDTHS.index(arch.width)]

    # ---------------------------------------------------------------------------- features

    def encode(self, arch: CellArch) -> np.ndarray:
        arch = self._check(arch)
        return np.concatenate([self.rules.encode(arch.genotype),
                               np.array([arch.depth, math.log2(arch.width)], np.float32)])

    def canonical(self, arch: CellArch) -> CellArch:
        arch = self._check(arch)
        return replace(arch, genotype=self.rules.canonical(arch.genotype))

    def to_graph(self, arch: CellArch) -> nx.MultiDiGraph:
        """The two cells' graph (:meth:`search_spaces.darts.DartsSpace.to_graph`), with the
        network's depth, width, aux and drop_prob as graph attributes."""
        arch = self._check(arch)
        graph = self._cells.to_graph(arch.genotype)
        graph.graph.update({k: getattr(arch, k) for k in _FIELDS})
        return graph

    # ------------------------------------------------------------------------------ models

    def network_config(self, arch: CellArch, dataset: DatasetSpec) -> DartsConfig:
        arch = self._check(arch)
        return DartsConfig(channels=arch.width, layers=arch.depth,
                           stem="imagenet" if dataset.name == IMAGENET.name else "cifar",
                           auxiliary=arch.aux, drop_path_prob=arch.drop_prob)

    def make_model(self, arch: CellArch, dataset: DatasetSpec) -> nn.Module:
        arch = self._check(arch)
        return DartsNetwork(arch.genotype, self.network_config(arch, dataset),
                            dataset.num_classes, in_channels=dataset.input_shape[0],
                            concat=tuple(self.rules.concat_of(arch.genotype.cell(c))
                                         for c in CELLS))

    def complexity(self, arch: CellArch, dataset: str | DatasetSpec | None = None,
                   ) -> tuple[int, int]:
        """(params, flops) of ``to_model(arch, dataset)`` as NDS counts them (one forward
        pass of one zero image on the CPU); equals the records'."""
        spec = self.dataset(dataset)
        return nds_complexity(self.make_model(arch, spec), spec.input_shape, nas_cell_flops)


def _checked(genotype: Genotype, depth: Any, width: Any, aux: Any, drop_prob: Any) -> CellArch:
    """The CellArch of checked fields (ranges in the module docstring)."""
    for name, value, choices in (("depth", depth, DEPTHS), ("width", width, WIDTHS)):
        if not is_int(value) or value < 1:
            raise InvalidArchitectureError(f"{name} must be a positive int, got {show(value)}")
        if name == "width" and value % 2:
            raise InvalidArchitectureError(
                f"width must be even (factorized reduce halves it), got {show(value)}")
        if value not in choices:
            raise InvalidArchitectureError(
                f"{name} must be one of {', '.join(map(str, choices))} (the NDS cell design "
                f"spaces), got {show(value)}")
    if not isinstance(aux, bool):
        raise InvalidArchitectureError(f"aux must be True or False, got {show(aux)}")
    if isinstance(drop_prob, bool) or not isinstance(drop_prob, int | float) or \
            not 0.0 <= drop_prob < 1.0:
        raise InvalidArchitectureError(f"drop_prob must be in [0, 1), got {show(drop_prob)}")
    return CellArch(genotype, int(depth), int(width), aux, float(drop_prob) + 0.0)  # no -0.0


def _factory(name: str):
    def make() -> CellSpace:
        return CellSpace(name)

    make.__doc__ = f"The NDS {name} cell design space."
    return make


for _name, _family in CELL_FAMILIES.items():
    register_space(_name)(_factory(_name))
    register_nds(_name, "nds", _family.file, "imagenet", _family.rows,
                 f"{_family.file.removesuffix('_in.json')} cell models trained 50 epochs")
