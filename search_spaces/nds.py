"""The NDS AnyNet design spaces: ResNet, Vanilla, ResNeXt-A and ResNeXt-B (``nds_*``).

From "On Network Design Spaces for Visual Recognition" (Radosavovic et al., ICCV 2019). An
``Arch`` (:class:`AnyNetArch`) is the pycls AnyNet configuration an NDS record stores in
``net``: ``block_type`` and the lists ``ds`` (depths), ``ws`` (widths), ``ss`` (strides),
``bot_muls`` (bottleneck multipliers) and ``num_gs`` (group counts), the last two empty for
blocks without a bottleneck. **Entry 0 of every list is the stem**, entries 1.. the stages: the
parameter and FLOP counts of every record in ``nds/*.json`` are reproduced exactly by a stem of
``ws[0]`` channels followed by stages ``1..`` (``ds[0]`` is always 1, ``bot_muls[0]`` 1.0,
``num_gs[0]`` 1). ``ss[0]`` is the stem's stride in the record: 1 on CIFAR-10 (the 3x3 stem),
4 for ImageNet ResNet/Vanilla (the 7x7 + max-pool stem), 8 for ImageNet ResNeXt (a stem of
three stride-2 3x3 convs); see :mod:`search_spaces.nds_model`.

``to_model(arch, dataset)`` builds the network on the dataset's stem (CIFAR-10: the 3x3 stem;
ImageNet: the family's), so one configuration runs on either input; ``ss[0]`` records the
stem a benchmark trained and is otherwise not used.

String form (``to_str``; ``from_str`` reads it back)::

    res_bottleneck_block;ds=1,2,2,2;ws=64,16,128,128;ss=8,1,2,2;bot_muls=1.0,0.25,0.5,0.25;num_gs=1,2,4,2

``from_config(net)`` takes the ``net`` dict of a record, ``to_config`` gives it back.

Ranges (every architecture, whatever parser built it): at most :data:`MAX_STAGES` stages after
the stem, stage depths in 1..:data:`MAX_DEPTH`, widths and group counts in 1..:data:`MAX_WIDTH`,
bottleneck multipliers in (0, 64] (every NDS record lies far inside: at most 4 stages, depth
24, width 1024, 16 groups). ``from_str`` reads exactly the grammar ``to_str`` prints: ints in
ASCII digits without sign, underscore or leading zero, multipliers as ASCII decimals
(``0.25``), at most :data:`MAX_TEXT` characters. ``from_decisions`` takes one int per decision
(numpy integers too; never a bool, float or string) in the decision's range.

Design spaces (``sample``, ``decisions``, ``mutate``, ``neighbors``): each stage's depth,
width, and for ResNeXt bottleneck multiplier and group count, drawn independently and
uniformly from the family's choices (:data:`FAMILIES`), on a fixed stage layout (strides).
ResNeXt-A and -B are NDS' ImageNet definitions (three stages after a 64-channel stem; depths
1, 2, 4, 8, 16; widths 16..256 for A and 64..1024 for B; multipliers 1, 1/2, 1/4; groups
1, 2, 4 for A and 1..16 for B); every ResNeXt record lies in them. ResNet and Vanilla use the
choices of NDS' ImageNet learning-rate/weight-decay study, read off its 994 records (stem 16,
32 or 64 channels; four stages of strides 1, 2, 2, 2; 12 depths 1..24; 10 widths 16..512):
NDS' CIFAR ResNet/Vanilla samples are not in the shared data, so their ranges are not
reproduced here. No NDS constraint on complexity is applied. ``mutate`` changes one decision
to another of its values; ``canonical`` is the identity (distinct configurations are distinct
networks). ``encode`` is numeric (stem width, and per stage depth, log2 width and, for
ResNeXt, multiplier and log2 groups; absent stages zero), so it also describes configurations
outside the choices, such as the CIFAR rerun networks.

Benchmarks: every ``nds/*.json`` AnyNet file (:func:`load_records`), accuracy = 100 - top-1
error; metric ``test`` is ``min_test_top1_err`` (NDS' reported metric), ``test_final`` the last
epoch's. The ``lr-wd`` files draw the learning rate and weight decay at random for every model,
so their accuracy is not a function of the architecture alone; the ``reruns`` files are two
architectures trained 100 times each (a seed-noise floor, not a ranking set; their table holds
the mean over seeds, :func:`load_records` every run).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch.nn as nn

from naslib_zero.core.errors import CorruptDataError, InvalidArchitectureError
from naslib_zero.tables import (
    GroundTruth,
    Source,
    TableInfo,
    build_table,
    register_benchmark,
    table_not_found,
)
from search_spaces.base import DatasetSpec, SearchSpace, get_space, register_space
from search_spaces.nds_model import STEM_STRIDE, AnyNetNetwork, StageSpec, count_complexity
from search_spaces.parsing import as_values, check_text, float_text, int_text, is_int, show

BLOCK_TYPES = ("res_basic_block", "res_bottleneck_block", "double_plain_block")
BOTTLENECK = "res_bottleneck_block"
IMAGENET = DatasetSpec("imagenet", (3, 224, 224), 1000)
CIFAR10 = DatasetSpec("cifar10", (3, 32, 32), 10)
_LISTS = ("ds", "ws", "ss", "bot_muls", "num_gs")
MAX_STAGES = 8
"""Most stages after the stem (NDS records have at most 4)."""
MAX_DEPTH = 64
"""Largest stage depth (blocks per stage; NDS records: 24)."""
MAX_WIDTH = 4096
"""Largest width and group count (NDS records: 1024 and 16)."""
MAX_TEXT = 1_000
"""Longest string ``from_str`` reads."""


@dataclass(frozen=True)
class AnyNetArch:
    """An NDS ``net`` configuration; index 0 of each tuple is the stem (module docstring)."""

    block_type: str
    ds: tuple[int, ...]
    ws: tuple[int, ...]
    ss: tuple[int, ...]
    bot_muls: tuple[float, ...] = ()
    num_gs: tuple[int, ...] = ()

    @property
    def stages(self) -> list[StageSpec]:
        """The stages after the stem."""
        bms = self.bot_muls or (1.0,) * len(self.ds)
        gs = self.num_gs or (1,) * len(self.ds)
        return [StageSpec(*v) for v in zip(self.ds[1:], self.ws[1:], self.ss[1:], bms[1:],
                                            gs[1:])]


@dataclass(frozen=True)
class Family:
    """One design space: block type, stems, the stage layout and each decision's choices."""

    block_type: str
    imagenet_stem: str
    stem_widths: tuple[int, ...]
    strides: tuple[int, ...]
    depths: tuple[int, ...]
    widths: tuple[int, ...]
    bot_muls: tuple[float, ...] = ()
    groups: tuple[int, ...] = ()

    @property
    def stage_choices(self) -> tuple[tuple, ...]:
        """The choices of one stage's decisions, in decision order."""
        return tuple(c for c in (self.depths, self.widths, self.bot_muls, self.groups) if c)


_DEPTHS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24)
_WIDTHS = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)
_POW2 = (1, 2, 4, 8, 16)
FAMILIES: dict[str, Family] = {
    "nds_resnet": Family("res_basic_block", "resnet", (16, 32, 64), (1, 2, 2, 2), _DEPTHS,
                         _WIDTHS),
    "nds_vanilla": Family("double_plain_block", "resnet", (16, 32, 64), (1, 2, 2, 2), _DEPTHS,
                          _WIDTHS),
    "nds_resnext-a": Family(BOTTLENECK, "three_conv", (64,), (1, 2, 2), _POW2,
                            (16, 32, 64, 128, 256), (1.0, 0.5, 0.25), (1, 2, 4)),
    "nds_resnext-b": Family(BOTTLENECK, "three_conv", (64,), (1, 2, 2), _POW2,
                            (64, 128, 256, 512, 1024), (1.0, 0.5, 0.25), _POW2),
}


# ------------------------------------------------------------------------------ validation


def _sequence(name: str, values: Any, what: str) -> Sequence:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidArchitectureError(f"{name} must be a list of {what}, got {show(values)}")
    if len(values) > MAX_STAGES + 1:
        raise InvalidArchitectureError(
            f"{name} has {len(values)} entries: at most {MAX_STAGES + 1} (stem + {MAX_STAGES} "
            "stages)")
    return values


def _ints(name: str, values: Any, minimum: int = 1) -> tuple[int, ...]:
    maximum = MAX_DEPTH if name == "ds" else MAX_WIDTH
    out = []
    for v in _sequence(name, values, "ints"):
        if not is_int(v) or not minimum <= v <= maximum:
            raise InvalidArchitectureError(
                f"{name} must hold ints >= {minimum} and <= {maximum}, got {show(v)} in "
                f"{show(values)}")
        out.append(int(v))
    return tuple(out)


def _floats(name: str, values: Any) -> tuple[float, ...]:
    out = []
    for v in _sequence(name, values, "numbers"):
        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real) or not 0 < v <= 64:
            raise InvalidArchitectureError(
                f"{name} must hold numbers in (0, 64], got {show(v)} in {show(values)}")
        out.append(float(v))
    return tuple(out)


def check_arch(arch: AnyNetArch, family: Family) -> AnyNetArch:
    """``arch`` if it is a well-formed configuration of ``family``'s block type, else an error
    saying what is wrong (lengths, stem entries, strides, groups that do not divide)."""
    if not isinstance(arch, AnyNetArch):
        raise InvalidArchitectureError(
            f"an NDS AnyNet architecture is an AnyNetArch, got {type(arch).__name__} "
            f"{show(arch)}")
    make_arch(arch.block_type, arch.ds, arch.ws, arch.ss, arch.bot_muls, arch.num_gs)
    if arch.block_type != family.block_type:
        known = f"one of {', '.join(BLOCK_TYPES)}" if arch.block_type not in BLOCK_TYPES \
            else f"{family.block_type!r} in this space"
        raise InvalidArchitectureError(
            f"unknown block type {show(arch.block_type)}: expected {known}")
    n = len(arch.ds)
    if n < 2 or len(arch.ws) != n or len(arch.ss) != n:
        raise InvalidArchitectureError(
            f"ds, ws and ss must have the same length >= 2 (stem + stages), got "
            f"{len(arch.ds)}, {len(arch.ws)}, {len(arch.ss)}")
    if arch.ds[0] != 1:
        raise InvalidArchitectureError(f"ds[0] is the stem and must be 1, got {arch.ds[0]}")
    stems = (1, STEM_STRIDE[family.imagenet_stem])
    if arch.ss[0] not in stems:
        raise InvalidArchitectureError(
            f"ss[0] is the stem's stride: {stems[0]} (CIFAR) or {stems[1]} (ImageNet) here, "
            f"got {arch.ss[0]}")
    if any(s not in (1, 2) for s in arch.ss[1:]):
        raise InvalidArchitectureError(f"stage strides must be 1 or 2, got {list(arch.ss[1:])}")
    if family.block_type != BOTTLENECK:
        if arch.bot_muls or arch.num_gs:
            raise InvalidArchitectureError(
                f"{arch.block_type} has no bottleneck: bot_muls and num_gs must be empty")
        return arch
    if len(arch.bot_muls) != n or len(arch.num_gs) != n:
        raise InvalidArchitectureError(
            f"bot_muls and num_gs must have the length of ds ({n}), got {len(arch.bot_muls)}, "
            f"{len(arch.num_gs)}")
    for k, stage in enumerate(arch.stages, start=1):
        w_b = stage.bottleneck_width
        if w_b < 1 or w_b % stage.groups:
            raise InvalidArchitectureError(
                f"stage {k}: bottleneck width round({stage.width} * {stage.bot_mul}) = {w_b} "
                f"is not divisible by its {stage.groups} groups")
    return arch


def make_arch(block_type: Any, ds: Any, ws: Any, ss: Any, bot_muls: Any = (),
              num_gs: Any = ()) -> AnyNetArch:
    """An AnyNetArch with plain-typed fields (validated per field, not against a family)."""
    if not isinstance(block_type, str):
        raise InvalidArchitectureError(f"block_type must be a str, got {show(block_type)}")
    return AnyNetArch(block_type, _ints("ds", ds), _ints("ws", ws), _ints("ss", ss),
                      _floats("bot_muls", bot_muls), _ints("num_gs", num_gs))


# ------------------------------------------------------------------------------------ space


class AnyNetSpace(SearchSpace):
    """One NDS AnyNet design space (see the module docstring)."""

    datasets = (IMAGENET, CIFAR10)

    def __init__(self, name: str) -> None:
        self.name = name
        self.family = FAMILIES[name]

    def __repr__(self) -> str:
        return f"AnyNetSpace({self.name!r})"

    # strings and configs
    def from_config(self, net: Mapping[str, Any]) -> AnyNetArch:
        """The architecture of an NDS record's ``net`` dict."""
        if not isinstance(net, Mapping):
            raise InvalidArchitectureError(f"an NDS net config is a dict, got {show(net)}")
        missing = [k for k in ("block_type", "ds", "ws", "ss") if k not in net]
        if missing:
            raise InvalidArchitectureError(
                f"NDS net config lacks {', '.join(missing)}: {show(net)}")
        arch = make_arch(net["block_type"], net["ds"], net["ws"], net["ss"],
                         net.get("bot_muls", ()), net.get("num_gs", ()))
        return check_arch(arch, self.family)

    def to_config(self, arch: AnyNetArch) -> dict[str, Any]:
        """The ``net`` dict of ``arch``, as NDS records store it."""
        arch = check_arch(arch, self.family)
        return {"block_type": arch.block_type, **{k: list(getattr(arch, k)) for k in _LISTS}}

    def from_str(self, s: str) -> AnyNetArch:
        text = check_text(s, "an NDS architecture string", MAX_TEXT)
        block_type, *fields = [p.strip() for p in text.split(";")]
        net: dict[str, Any] = {"block_type": block_type}
        for item in fields:
            key, sep, value = item.partition("=")
            if not sep or key not in _LISTS or key in net:
                raise InvalidArchitectureError(
                    f"bad field {show(item)} in {show(s)}: expected one each of "
                    f"{', '.join(k + '=...' for k in _LISTS)}")
            parse = float_text if key == "bot_muls" else int_text
            net[key] = [parse(v.strip()) for v in value.split(",")] if value else []
            if None in net[key]:
                raise InvalidArchitectureError(
                    f"field {key} of {show(s)} is not a list of numbers in ASCII digits (no "
                    f"sign, underscore or leading zero): {show(value)}")
        return self.from_config(net)

    def to_str(self, arch: AnyNetArch) -> str:
        config = self.to_config(arch)
        parts = [config.pop("block_type")]
        parts += [f"{k}={','.join(map(str, v))}" for k, v in config.items() if v]
        return ";".join(parts)

    # decisions and moves
    def decisions(self) -> list[int]:
        stem = [len(self.family.stem_widths)] if len(self.family.stem_widths) > 1 else []
        return stem + [len(c) for _ in self.family.strides for c in self.family.stage_choices]

    def from_decisions(self, values: Sequence[int]) -> AnyNetArch:
        family, sizes = self.family, self.decisions()
        values = as_values(values, f"an {self.name} decision vector", len(sizes))
        for k, (v, n) in enumerate(zip(values, sizes)):
            if not is_int(v) or not 0 <= v < n:
                raise InvalidArchitectureError(
                    f"{self.name} decision {k} must be an int in 0..{n - 1} (ranges {sizes}), "
                    f"got {show(v)}")
        values = [int(v) for v in values]
        stem = family.stem_widths[values.pop(0)] if len(family.stem_widths) > 1 \
            else family.stem_widths[0]
        per = len(family.stage_choices)
        stages = [[c[v] for c, v in zip(family.stage_choices, values[i * per:(i + 1) * per])]
                  for i in range(len(family.strides))]
        columns = list(zip(*stages))
        bottleneck = family.block_type == BOTTLENECK
        return AnyNetArch(
            family.block_type, (1, *columns[0]), (stem, *columns[1]),
            (STEM_STRIDE[family.imagenet_stem], *family.strides),
            (1.0, *columns[2]) if bottleneck else (), (1, *columns[3]) if bottleneck else ())

    def to_decisions(self, arch: AnyNetArch) -> list[int]:
        arch, family = check_arch(arch, self.family), self.family
        if arch.ss[1:] != family.strides:
            raise InvalidArchitectureError(
                f"{self.to_str(arch)} is outside the {self.name} design space: its stages "
                f"have strides {list(family.strides)}")
        picks = [(family.stem_widths, arch.ws[0])] if len(family.stem_widths) > 1 else []
        for k in range(1, len(arch.ds)):
            stage = (arch.ds[k], arch.ws[k], *((arch.bot_muls[k], arch.num_gs[k])
                                                if family.block_type == BOTTLENECK else ()))
            picks += list(zip(family.stage_choices, stage))
        out = []
        for choices, value in picks:
            if value not in choices:
                raise InvalidArchitectureError(
                    f"{self.to_str(arch)} is outside the {self.name} design space: {value} is "
                    f"not one of {list(choices)}")
            out.append(choices.index(value))
        return out

    def sample(self, rng: np.random.Generator) -> AnyNetArch:
        """Every decision uniform and independent (the design space's distribution)."""
        return self.from_decisions([int(rng.integers(n)) for n in self.decisions()])

    def mutate(self, arch: AnyNetArch, rng: np.random.Generator) -> AnyNetArch:
        """One decision (uniform) changed to another of its values (uniform)."""
        values, sizes = self.to_decisions(arch), self.decisions()
        k = int(rng.integers(len(values)))
        new = int(rng.integers(sizes[k] - 1))
        values[k] = new + (new >= values[k])
        return self.from_decisions(values)

    def neighbors(self, arch: AnyNetArch) -> list[AnyNetArch]:
        """Every one-decision change, by decision then value."""
        values = self.to_decisions(arch)
        return [self.from_decisions(values[:k] + [v] + values[k + 1:])
                for k, n in enumerate(self.decisions()) for v in range(n) if v != values[k]]

    # features
    def encode(self, arch: AnyNetArch) -> np.ndarray:
        """log2 stem width, then per stage depth, log2 width (and multiplier, log2 groups);
        float32, stages beyond the architecture's zero."""
        arch = check_arch(arch, self.family)
        stages = arch.stages
        if len(stages) > len(self.family.strides):
            raise InvalidArchitectureError(
                f"{self.name} encodes up to {len(self.family.strides)} stages, got {len(stages)}")
        bottleneck = self.family.block_type == BOTTLENECK
        per = 4 if bottleneck else 2
        x = np.zeros(1 + per * len(self.family.strides), dtype=np.float32)
        x[0] = math.log2(arch.ws[0])
        for k, s in enumerate(stages):
            row = [s.depth, math.log2(s.width)] + ([s.bot_mul, math.log2(s.groups)]
                                                   if bottleneck else [])
            x[1 + per * k:1 + per * (k + 1)] = row
        return x

    def canonical(self, arch: AnyNetArch) -> AnyNetArch:
        """``arch`` itself (distinct configurations are distinct networks)."""
        return check_arch(arch, self.family)

    def to_graph(self, arch: AnyNetArch) -> nx.DiGraph:
        """The chain stem -> blocks (node attributes ``kind``, ``stage``, ``width``, ``stride``,
        ``groups``, ``bottleneck_width``) -> head."""
        arch = check_arch(arch, self.family)
        graph = nx.DiGraph()
        graph.add_node(0, kind="stem", stage=0, width=arch.ws[0], stride=arch.ss[0], groups=1,
                       bottleneck_width=arch.ws[0])
        for k, stage in enumerate(arch.stages, start=1):
            for i in range(stage.depth):
                graph.add_node(len(graph), kind=arch.block_type, stage=k, width=stage.width,
                               stride=stage.stride if i == 0 else 1, groups=stage.groups,
                               bottleneck_width=stage.bottleneck_width)
        graph.add_node(len(graph), kind="head", stage=len(arch.ds), width=arch.ws[-1],
                       stride=1, groups=1, bottleneck_width=arch.ws[-1])
        graph.add_edges_from((i, i + 1) for i in range(len(graph) - 1))
        return graph

    def stem(self, dataset: DatasetSpec) -> str:
        """The stem of the network on ``dataset``: the family's on ImageNet, else the CIFAR
        3x3 stem."""
        return self.family.imagenet_stem if dataset.name == IMAGENET.name else "cifar"

    def make_model(self, arch: AnyNetArch, dataset: DatasetSpec) -> nn.Module:
        """The pycls AnyNet network on the dataset's stem."""
        arch = check_arch(arch, self.family)
        return AnyNetNetwork(arch.block_type, self.stem(dataset), arch.ws[0], arch.stages,
                             dataset.num_classes)

    def complexity(self, arch: AnyNetArch, dataset: str | DatasetSpec | None = None,
                   ) -> tuple[int, int]:
        """(params, flops) of ``to_model(arch, dataset)`` as NDS counts them, computed from
        the configuration (no model is built); equals the records' ``params``/``flops``."""
        arch, spec = check_arch(arch, self.family), self.dataset(dataset)
        return count_complexity(arch.block_type, self.stem(spec), arch.ws[0], arch.stages,
                                spec.num_classes, spec.input_shape[1])

    def size(self) -> int:
        return int(np.prod(self.decisions(), dtype=object))


def _factory(name: str):
    def make() -> AnyNetSpace:
        return AnyNetSpace(name)

    make.__doc__ = f"The NDS {name} design space."
    return make


for _name in FAMILIES:
    register_space(_name)(_factory(_name))


# ------------------------------------------------------------------------- records, tables


@dataclass(frozen=True)
class NDSRecord:
    """One trained model of an NDS file (errors are top-1 error in %)."""

    job_id: int
    rng_seed: int
    net: dict[str, Any]
    optim: dict[str, Any]
    params: int
    flops: int
    min_test_top1_err: float
    final_test_top1_err: float
    rerun_group: str | None = None


_FIELDS = ("job_id", "rng_seed", "net", "optim", "params", "flops", "min_test_top1_err",
           "final_test_top1_err")


def load_records(path: str | Path) -> list[NDSRecord]:
    """The records of one ``nds/*.json`` file, validated (CorruptDataError names the file and
    the record)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorruptDataError(f"{path}: not a readable JSON file ({err})") from None
    if not isinstance(data, list) or not data:
        raise CorruptDataError(f"{path}: expected a non-empty JSON list of NDS records")
    records = []
    for i, row in enumerate(data):
        if not isinstance(row, dict) or any(k not in row for k in _FIELDS):
            raise CorruptDataError(f"{path}: record {i} lacks one of {', '.join(_FIELDS)}")
        errors = [row["min_test_top1_err"], row["final_test_top1_err"]]
        if not all(isinstance(e, (int, float)) and math.isfinite(e) for e in errors):
            raise CorruptDataError(f"{path}: record {i} has a non-numeric error {errors}")
        records.append(NDSRecord(*(row[k] for k in _FIELDS), row.get("rerun_group")))
    return records


def load_nds(table: TableInfo, root: Path, source: Source) -> GroundTruth:
    path = root / table.file if isinstance(source, str) and source == "auto" else Path(source)
    if not path.is_file():
        raise table_not_found(table, path)
    records = load_records(path)
    if table.rows is not None and len(records) != table.rows:
        raise CorruptDataError(f"{path}: {len(records)} records, expected {table.rows}")
    space = get_space(table.space)
    archs = []
    for i, record in enumerate(records):
        try:
            archs.append(space.from_config(record.net))
        except InvalidArchitectureError as err:
            raise CorruptDataError(f"{path}: record {i}: {err}") from None
    values = np.array([getattr(record, table.column) for record in records], dtype=np.float64)
    return build_table(table, path, tuple(space.key(a) for a in archs),
                       tuple(space.to_str(a) for a in archs), values)


_ORIGIN = ("the NDS files of leeyeehoo/GenNAS-Zero data/download_data/nds_data/ (see the shared "
           "data's README); the originals come with facebookresearch/nds")
_METRICS = (("test", "min_test_top1_err", "minimum over epochs (NDS' reported metric)"),
            ("test_final", "final_test_top1_err", "at the last epoch"))


def nds_tables(space: str, benchmark: str, file: str, dataset: str, rows: int, what: str,
                mean_duplicates: bool = False) -> list[TableInfo]:
    return [TableInfo(space, dataset, metric, f"nds/{file}", column, rows,
                      f"{dataset} top-1 test accuracy (%) {when}, 100 - {column}, of {what}",
                      _ORIGIN, benchmark=benchmark, key_column="net", key_type=str,
                      arch_column="net", from_error=True, mean_duplicates=mean_duplicates)
            for metric, column, when in _METRICS]


def register_nds(space: str, benchmark: str, *args: Any, **kwargs: Any) -> None:
    register_benchmark(space, benchmark, nds_tables(space, benchmark, *args, **kwargs),
                       loader=load_nds)


_LR_WD = ("models trained 50 epochs with a learning rate and weight decay drawn at random per "
          "model (accuracy is not a function of the architecture alone)")
_RERUNS = ("the mean over 100 seeds of each of two architectures trained 100 epochs (a noise "
           "floor: load_records has every run)")
for _family, _stem in (("nds_resnet", "ResNet"), ("nds_vanilla", "Vanilla")):
    register_nds(_family, "nds_lr-wd", f"{_stem}_lr-wd_in.json", "imagenet",
              494 if _stem == "ResNet" else 500, f"{_stem} {_LR_WD}")
    register_nds(_family, "nds_reruns", f"{_stem}_reruns.json", "cifar10", 200,
              f"{_stem} {_RERUNS}", mean_duplicates=True)
for _family, _stem, _rows in (("nds_resnext-a", "ResNeXt-A", 130),
                              ("nds_resnext-b", "ResNeXt-B", 164)):
    register_nds(_family, "nds", f"{_stem}_in.json", "imagenet", _rows,
              f"{_stem} models trained 50 epochs (lr 0.05, wd 5e-5, cosine)")
