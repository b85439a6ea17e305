"""Ground-truth benchmark tables: the trained accuracy of every architecture of a search space.

Choices:

* A table (:class:`GroundTruth`) is one read-only float64 array indexed by the space's official
  architecture index (NB201: 0..15624, the order of the benchmark's ``meta_archs``) plus the
  architecture strings in the same order. A lookup is one array access, a batch lookup one
  fancy-index, and the string -> index dict is built once per table. It does not depend on the
  search-space classes: the table's own ``arch`` column is the join key.
* Loaders are registered per space (:func:`register_tables`: space name -> available tables,
  dataset aliases and one loader function), so adding nb101/nb301 tables means registering
  them, not editing a chain of if/elif on names. Only ``nb201`` is registered here.
* The default for every table is the full training budget (NB201: 200 epochs), never a
  reduced-epoch shortcut; what a column means is written in :attr:`GroundTruth.description`.
* CSVs are read with :mod:`csv` and numpy (no pandas) and validated strictly: required columns,
  field count per line, numeric finite values, ``index`` column equal to the row number, unique
  architecture strings, expected row count. Anything else is a :class:`CorruptDataError` naming
  the file, line and problem; a missing file is a :class:`DataNotFoundError` naming the file, the
  folder looked in, where to get the data, and ``--data-dir`` / ``$NASLIB_ZERO_DATA``.
* Loaded tables are cached in-process per (file, size, mtime): repeated loads are free, an
  edited file is re-read. Tables are immutable, so sharing one object is safe.
"""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from naslib_zero.errors import (
    CorruptDataError,
    DataNotFoundError,
    InvalidArchitectureError,
    UnknownNameError,
)
from naslib_zero.paths import ENV_VAR, data_root

Source = str | os.PathLike[str]

_METRIC_ALIASES = {"test": "test", "val": "val", "valid": "val", "validation": "val"}


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """Accuracy (percent) of every architecture of ``space`` on ``dataset``.

    ``values[i]`` and ``archs[i]`` belong to the architecture with official index ``i``.
    ``source`` is the file the numbers came from; ``description`` says what they are.
    """

    space: str
    dataset: str
    metric: str
    values: np.ndarray = field(repr=False)
    archs: tuple[str, ...] = field(repr=False)
    source: str
    description: str
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.flags.writeable:  # never share a buffer the caller may still modify
            values = values.copy()
            values.setflags(write=False)
        archs = tuple(self.archs)
        if values.ndim != 1 or len(archs) != len(values):
            raise ValueError(f"need one value per architecture: {values.shape} vs {len(archs)}")
        index = {arch: i for i, arch in enumerate(archs)}
        if len(index) != len(archs):
            raise ValueError(f"duplicate architecture strings in {self.source}")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "archs", archs)
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.values)

    def index_of(self, arch: str | int | np.integer) -> int:
        """The official index of an architecture string (an index is checked and returned)."""
        if isinstance(arch, str):
            try:
                return self._index[arch]
            except KeyError:
                raise InvalidArchitectureError(
                    f"architecture {arch!r} is not in the {self.space} table ({len(self)} "
                    f"architectures from {self.source}); expected a string like {self.archs[0]!r}"
                ) from None
        if isinstance(arch, int | np.integer) and not isinstance(arch, bool | np.bool_):
            if 0 <= arch < len(self.values):
                return int(arch)
            raise InvalidArchitectureError(
                f"{self.space} architecture index {int(arch)} is out of range 0..{len(self) - 1}"
            )
        raise InvalidArchitectureError(
            f"expected an architecture index or string, got {type(arch).__name__} {arch!r}"
        )

    def lookup(self, arch: str | int | np.integer) -> float:
        """Accuracy of one architecture, given by official index or architecture string."""
        return float(self.values[self.index_of(arch)])

    def lookup_many(self, archs: Iterable[int] | Iterable[str] | np.ndarray) -> np.ndarray:
        """Accuracies of many architectures (all indices or all strings), same shape as input."""
        keys = archs if isinstance(archs, np.ndarray) else np.asarray(list(archs))
        if keys.size == 0:
            return np.empty(keys.shape, dtype=np.float64)
        if keys.dtype.kind in "iu":
            bad = (keys < 0) | (keys >= len(self.values))
            if bad.any():
                raise InvalidArchitectureError(
                    f"{int(bad.sum())} {self.space} architecture index(es) out of range "
                    f"0..{len(self) - 1}, e.g. {int(keys[bad].flat[0])}"
                )
            return self.values[keys]
        if keys.dtype.kind in "UO":
            flat = np.fromiter(
                (self.index_of(k) for k in keys.ravel().tolist()), dtype=np.intp, count=keys.size
            )
            return self.values[flat.reshape(keys.shape)]
        raise InvalidArchitectureError(
            f"expected architecture indices or strings, got an array of dtype {keys.dtype}"
        )


# ------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class TableInfo:
    """One (space, dataset, metric) table and the CSV file that holds it by default.

    ``file`` is relative to the data root; ``column`` is its value column; ``rows`` the number
    of architectures (row i = index i); ``origin`` says where the file comes from.
    """

    space: str
    dataset: str
    metric: str
    file: str
    column: str
    rows: int
    description: str
    origin: str


Loader = Callable[[TableInfo, Path, Source], GroundTruth]
"""``loader(table, data_root, source) -> GroundTruth``; ``source`` is "auto" or a file path."""


@dataclass(frozen=True)
class _SpaceTables:
    tables: dict[tuple[str, str], TableInfo]
    datasets: dict[str, str]  # normalised alias -> canonical dataset name
    loader: Loader


_REGISTRY: dict[str, _SpaceTables] = {}


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


def register_tables(
    space: str,
    tables: Sequence[TableInfo],
    loader: Loader,
    aliases: dict[str, str] | None = None,
) -> None:
    """Make ``tables`` of ``space`` loadable through ``loader``.

    ``aliases`` maps extra dataset names to canonical ones; matching ignores case, '-', '_'.
    """
    if space in _REGISTRY:
        raise ValueError(f"tables for space {space!r} are already registered")
    datasets = {_norm(t.dataset): t.dataset for t in tables}
    datasets.update({_norm(alias): name for alias, name in (aliases or {}).items()})
    _REGISTRY[space] = _SpaceTables({(t.dataset, t.metric): t for t in tables}, datasets, loader)


def list_tables(space: str | None = None) -> list[TableInfo]:
    """The registered tables (of one space, or of all), without reading any file."""
    spaces = [space.lower()] if space is not None else sorted(_REGISTRY)
    return [t for s in spaces if s in _REGISTRY for t in _REGISTRY[s].tables.values()]


def _resolve(space: str, dataset: str, metric: str) -> tuple[_SpaceTables, TableInfo]:
    entry = _REGISTRY.get(space.lower())
    if entry is None:
        raise UnknownNameError(
            f"no ground-truth tables for search space {space!r}; "
            f"available: {', '.join(sorted(_REGISTRY))}"
        )
    canonical = entry.datasets.get(_norm(dataset))
    names = sorted({t.dataset for t in entry.tables.values()})
    if canonical is None:
        raise UnknownNameError(
            f"unknown dataset {dataset!r} for {space}; available: {', '.join(names)}"
        )
    kind = _METRIC_ALIASES.get(metric.lower())
    table = entry.tables.get((canonical, kind)) if kind else None
    if table is None:
        have = sorted(t.metric for t in entry.tables.values() if t.dataset == canonical)
        raise UnknownNameError(
            f"unknown metric {metric!r} for {space}/{canonical}; available: {', '.join(have)}"
        )
    return entry, table


def load_ground_truth(
    space: str,
    dataset: str,
    metric: str = "test",
    data_dir: str | os.PathLike[str] | None = None,
    source: Source = "auto",
) -> GroundTruth:
    """The ground-truth table of ``space`` on ``dataset``.

    ``metric`` is "test" (default) or "val" ("valid"/"validation" accepted); see
    :func:`list_tables` for what each table contains. ``data_dir`` is the data root (the CLI's
    ``--data-dir``; default ``$NASLIB_ZERO_DATA`` or the user cache). ``source="auto"`` reads
    the compact CSV under the data root; a file path reads that benchmark file instead (nb201:
    the official ``NAS-Bench-201-v1_*.pth``, see :mod:`naslib_zero.nb201_official`).
    """
    entry, table = _resolve(space, dataset, metric)
    return entry.loader(table, data_root(data_dir), source)


# ----------------------------------------------------------------------------- CSV reading

_CSV_CACHE: dict[tuple[TableInfo, str], tuple[tuple[int, int], GroundTruth]] = {}


def load_index_csv(table: TableInfo, root: Path) -> GroundTruth:
    """Read ``table`` from its CSV (columns ``index``, ``arch``, value columns; row i = index i)."""
    path = root / table.file
    if not path.is_file():
        folder = path.parent
        where = "exists" if folder.is_dir() else "does not exist"
        raise DataNotFoundError(
            f"{table.space} {table.dataset} {table.metric} table not found: {path}\n"
            f"  looked in folder {folder} ({where})\n"
            f"  source: {table.origin}\n"
            f"  point the toolkit at the data folder that contains {table.file} with "
            f"--data-dir or ${ENV_VAR}"
        )
    stat = path.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    key = (table, str(path.resolve()))
    cached = _CSV_CACHE.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    archs, values = _read_index_csv(path, table.column, table.rows)
    truth = GroundTruth(
        space=table.space,
        dataset=table.dataset,
        metric=table.metric,
        values=values,
        archs=archs,
        source=str(path),
        description=table.description,
    )
    _CSV_CACHE[key] = (stamp, truth)
    return truth


def _read_index_csv(path: Path, column: str, rows: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Parse and validate one value column of an index-ordered CSV."""
    archs: list[str] = []
    values: list[float] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            if not header:
                raise CorruptDataError(f"{path}: empty file (no header line)")
            missing = [c for c in ("index", "arch", column) if c not in header]
            if missing:
                raise CorruptDataError(
                    f"{path}: missing column(s) {', '.join(missing)}; header is {header}"
                )
            i_idx, i_arch, i_val = (header.index(c) for c in ("index", "arch", column))
            for lineno, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise CorruptDataError(
                        f"{path}, line {lineno}: {len(row)} fields, expected {len(header)} "
                        "(truncated or malformed file)"
                    )
                expected = len(archs)
                if row[i_idx].strip() != str(expected):
                    raise CorruptDataError(
                        f"{path}, line {lineno}: index {row[i_idx]!r}, expected {expected} "
                        "(rows must be sorted by index, one per architecture)"
                    )
                try:
                    value = float(row[i_val])
                except ValueError:
                    value = math.nan
                if not math.isfinite(value):
                    raise CorruptDataError(
                        f"{path}, line {lineno}, column {column!r}: non-numeric or non-finite "
                        f"value {row[i_val]!r}"
                    )
                archs.append(row[i_arch].strip())
                values.append(value)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CorruptDataError(f"{path}: not a readable CSV file ({exc})") from exc
    if len(archs) != rows:
        raise CorruptDataError(
            f"{path}: {len(archs)} data rows, expected {rows} (truncated or wrong file?)"
        )
    if len(set(archs)) != rows:
        dup = next(a for a, n in Counter(archs).items() if n > 1)
        raise CorruptDataError(f"{path}: architecture {dup!r} occurs more than once")
    return tuple(archs), np.asarray(values, dtype=np.float64)


# ---------------------------------------------------------------------------- NAS-Bench-201

_NB201_ROWS = 15_625
_NB201_TEST = {
    "cifar10": "NAS-Bench-201 cifar10 TEST accuracy (%) after 200 epochs, mean over seeds "
    "(trained on the CIFAR-10 train+valid images, evaluated on the CIFAR-10 test set)",
    "cifar100": "NAS-Bench-201 cifar100 TEST accuracy (%) after 200 epochs, mean over seeds "
    "(x-test split)",
    "ImageNet16-120": "NAS-Bench-201 ImageNet16-120 TEST accuracy (%) after 200 epochs, mean "
    "over seeds (x-test split)",
}
_NB201_VAL = {  # dataset -> (CSV column, description)
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
_NB201_ORIGIN = (
    "{file} of the project's shared data set ({what}; see data/README.md), or pass "
    "source=<path to the official NAS-Bench-201-v1_0-e61699.pth or v1_1-096897.pth from "
    "https://github.com/D-X-Y/NAS-Bench-201>"
)


def _nb201_tables() -> list[TableInfo]:
    test_file, val_file = "nb201/nb201_test_accuracy.csv", "nb201/nb201_val_accuracy.csv"
    test_origin = _NB201_ORIGIN.format(
        file=test_file, what="NATS-Bench tss values from v-tao/nats-bench-landscape"
    )
    val_origin = _NB201_ORIGIN.format(file=val_file, what="from leeyeehoo/GenNAS-Zero")
    tables = []
    for name, test in _NB201_TEST.items():
        tables.append(
            TableInfo("nb201", name, "test", test_file, name, _NB201_ROWS, test, test_origin)
        )
        column, val = _NB201_VAL[name]
        tables.append(
            TableInfo("nb201", name, "val", val_file, column, _NB201_ROWS, val, val_origin)
        )
    return tables


def _load_nb201(table: TableInfo, root: Path, source: Source) -> GroundTruth:
    if isinstance(source, str) and source == "auto":
        return load_index_csv(table, root)
    from naslib_zero.nb201_official import load_official_table  # imports torch: only on demand

    return load_official_table(source, table.dataset, table.metric, cache_root=root)


register_tables(
    "nb201",
    _nb201_tables(),
    _load_nb201,
    aliases={
        "c10": "cifar10",
        "c100": "cifar100",
        "imagenet16": "ImageNet16-120",
        "imagenet": "ImageNet16-120",
        "in16": "ImageNet16-120",
    },
)
