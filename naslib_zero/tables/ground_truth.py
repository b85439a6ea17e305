"""Benchmark tables: the trained accuracy (or another metric) of architectures of a space.

Choices:

* A table (:class:`GroundTruth`) is one read-only float64 array of values, one per tabulated
  architecture, with each row's benchmark key (the space's ``key``: NB201's index, NB101's
  module hash, a genotype string) and its architecture string (the space's ``to_str``). A table
  need not cover its space: NB101's local table holds 30,001 of 423,624 cells. A lookup of an
  architecture the table does not hold raises InvalidArchitectureError naming the table. A
  complete table in the space's official order (NB201) stores no keys: row ``i`` is index ``i``.
* Tables are declared by the space module, not here (:func:`register_benchmark`: a named
  benchmark, its (dataset, metric) columns as :class:`TableInfo`, and optionally a loader for
  other sources such as the official benchmark files). This module only knows CSV files.
* Every metric declares its direction and unit. A column holding an error in percent is turned
  into an accuracy (``from_error``); a loss stays a loss with ``higher_is_better=False``, and
  :attr:`GroundTruth.sign` orients it for maximisation.
* CSVs are read with :mod:`csv` and numpy (no pandas) and validated strictly: required columns,
  field count per line, numeric finite values, unique keys, for indexed tables an index column
  equal to the row number, and the expected row count. Anything else is a
  :class:`CorruptDataError` naming the file, line and problem; a missing file is a
  :class:`DataNotFoundError` naming the file, the folder looked in, where to get the data, and
  ``--data-dir`` / ``$NASLIB_ZERO_DATA``.
* Loaded tables are cached in-process per (file, size, mtime): repeated loads are free, an
  edited file is re-read. Tables are immutable, so sharing one object is safe.
"""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from naslib_zero.core.errors import (
    CorruptDataError,
    DataNotFoundError,
    InvalidArchitectureError,
    UnknownNameError,
)
from naslib_zero.core.paths import ENV_VAR, data_root

Source = str | os.PathLike[str]

_METRIC_ALIASES = {"valid": "val", "validation": "val"}


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """Values of the architectures of ``space`` that one benchmark tabulates on ``dataset``.

    ``values[i]`` and ``archs[i]`` (the space's string form) belong to row ``i``, whose key is
    ``keys[i]``; ``keys=None`` means a complete table in official order (key of row i = i).
    ``source`` is the file the numbers came from; ``description`` says what they are.
    """

    space: str
    dataset: str
    metric: str
    values: np.ndarray = field(repr=False)
    archs: tuple[str, ...] = field(repr=False)
    source: str
    description: str
    keys: tuple[Hashable, ...] | None = field(default=None, repr=False)
    higher_is_better: bool = True
    unit: str = "%"
    benchmark: str = ""
    _by_arch: dict[str, int] = field(init=False, repr=False)
    _by_key: dict[Hashable, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.flags.writeable:  # never share a buffer the caller may still modify
            values = values.copy()
            values.setflags(write=False)
        archs = tuple(self.archs)
        if values.ndim != 1 or len(archs) != len(values):
            raise ValueError(f"need one value per architecture: {values.shape} vs {len(archs)}")
        by_arch = {arch: i for i, arch in enumerate(archs)}
        if len(by_arch) != len(archs):
            raise ValueError(f"duplicate architecture strings in {self.source}")
        keys = None if self.keys is None else tuple(self.keys)
        by_key = {} if keys is None else {k: i for i, k in enumerate(keys)}
        if keys is not None and (len(keys) != len(archs) or len(by_key) != len(keys)):
            raise ValueError(f"need one distinct key per architecture in {self.source}")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "archs", archs)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "_by_arch", by_arch)
        object.__setattr__(self, "_by_key", by_key)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def name(self) -> str:
        """``space/benchmark dataset metric``, for messages."""
        return f"{self.space}{'/' + self.benchmark if self.benchmark else ''} " \
               f"{self.dataset} {self.metric}"

    @property
    def sign(self) -> float:
        """+1 for higher-is-better metrics, -1 otherwise: ``sign * value`` is maximised."""
        return 1.0 if self.higher_is_better else -1.0

    def row_key(self, i: int) -> Hashable:
        """The benchmark key of row ``i``."""
        return i if self.keys is None else self.keys[i]

    def __contains__(self, key: object) -> bool:
        try:
            self.index_of(key)  # type: ignore[arg-type]
        except InvalidArchitectureError:
            return False
        return True

    def index_of(self, arch: Hashable) -> int:
        """The row of an architecture, given by its string form or its benchmark key."""
        if isinstance(arch, bool | np.bool_) or arch is None or isinstance(arch, float):
            raise InvalidArchitectureError(
                f"expected an architecture index or string, got {type(arch).__name__} {arch!r}")
        if isinstance(arch, np.integer):
            arch = int(arch)
        if isinstance(arch, str) and arch in self._by_arch:
            return self._by_arch[arch]
        if self.keys is None and isinstance(arch, int):
            if 0 <= arch < len(self.values):
                return arch
            raise InvalidArchitectureError(
                f"{self.space} architecture index {arch} is out of range 0..{len(self) - 1}")
        try:
            return self._by_key[arch]
        except (KeyError, TypeError):
            pass
        example = self.archs[0] if self.archs else "?"
        raise InvalidArchitectureError(
            f"architecture {arch!r} is not in the {self.name} table ({len(self)} "
            f"architectures from {self.source}); expected a string like {example!r}")

    def lookup(self, arch: Hashable) -> float:
        """Value of one architecture, given by benchmark key or architecture string."""
        return float(self.values[self.index_of(arch)])

    def lookup_many(self, archs: Iterable[Hashable] | np.ndarray) -> np.ndarray:
        """Values of many architectures (keys or strings), in the shape of the input."""
        keys = archs if isinstance(archs, np.ndarray) else np.asarray(list(archs))
        if keys.size == 0:
            return np.empty(keys.shape, dtype=np.float64)
        if keys.dtype.kind in "iu" and self.keys is None:
            bad = (keys < 0) | (keys >= len(self.values))
            if bad.any():
                raise InvalidArchitectureError(
                    f"{int(bad.sum())} {self.space} architecture index(es) out of range "
                    f"0..{len(self) - 1}, e.g. {int(keys[bad].flat[0])}")
            return self.values[keys]
        if keys.dtype.kind not in "iuUO":
            raise InvalidArchitectureError(
                f"expected architecture keys or strings, got an array of dtype {keys.dtype}")
        flat = np.fromiter((self.index_of(k) for k in keys.ravel().tolist()), dtype=np.intp,
                           count=keys.size)
        return self.values[flat.reshape(keys.shape)]


# ------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class TableInfo:
    """One (dataset, metric) column of a benchmark, and the CSV file that holds it by default.

    ``file`` is relative to the data root; ``column`` its value column; ``rows`` the expected
    number of rows (None: any). Rows are keyed by ``key_column`` (parsed with ``key_type``, a
    type or any callable from the field's text; a ValueError marks the row corrupt);
    the architecture string is ``arch_column``, or ``row_arch(row)`` built from other columns.
    ``indexed``: the key column is the row number and the table covers the space in official
    order. ``from_error``: the column is an error in percent, reported as ``100 - error``.
    ``mean_duplicates``: rows sharing a key are one architecture whose value is their mean
    (the row count then counts rows, not architectures); otherwise a repeated key is an error.
    ``params_column``: where the file records each model's trainable parameter count (in
    units of ``params_unit``, e.g. 1e6 for millions), which the models of
    ``get_space(space, **dict(params_options))`` must match. ``row_filter``: a (column, value)
    pair; only the rows whose column holds that value belong to the table.
    """

    space: str
    dataset: str
    metric: str
    file: str
    column: str
    rows: int | None
    description: str
    origin: str
    benchmark: str = "default"
    key_column: str = "index"
    key_type: Callable[[str], Hashable] = int
    arch_column: str | None = "arch"
    row_arch: Callable[[dict[str, str]], str] | None = field(default=None, compare=False)
    indexed: bool = False
    higher_is_better: bool = True
    unit: str = "%"
    from_error: bool = False
    mean_duplicates: bool = False
    params_column: str | None = None
    params_unit: float = 1.0
    params_options: tuple[tuple[str, object], ...] = ()
    row_filter: tuple[str, str] | None = None


Loader = Callable[[TableInfo, Path, Source], GroundTruth]
"""``loader(table, data_root, source) -> GroundTruth``; ``source`` is "auto" or a file path."""


@dataclass(frozen=True)
class _Benchmark:
    name: str
    tables: tuple[TableInfo, ...]
    loader: Loader


_REGISTRY: dict[str, dict[str, _Benchmark]] = {}  # space -> benchmark name -> benchmark
_ALIASES: dict[str, dict[str, str]] = {}  # space -> normalised dataset alias -> dataset


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


def _load_csv_source(table: TableInfo, root: Path, source: Source) -> GroundTruth:
    if isinstance(source, str) and source == "auto":
        return load_csv_table(table, root)
    raise UnknownNameError(f"the {table.space}/{table.benchmark} benchmark reads only its CSV")


def register_benchmark(space: str, name: str, tables: Sequence[TableInfo],
                       loader: Loader | None = None,
                       aliases: dict[str, str] | None = None) -> None:
    """Declare the benchmark ``name`` of ``space``: its tables and how to load them.

    ``loader`` reads a table from ``source`` (default: the CSVs only); ``aliases`` maps extra
    dataset names to declared ones (matching ignores case, '-', '_'). The first benchmark
    registered for a space is its default.
    """
    benchmarks = _REGISTRY.setdefault(space, {})
    if name in benchmarks:
        raise ValueError(f"benchmark {name!r} of space {space!r} is already registered")
    if any(t.space != space or t.benchmark != name for t in tables):
        raise ValueError(f"every table of {space}/{name} must name that space and benchmark")
    benchmarks[name] = _Benchmark(name, tuple(tables), loader or _load_csv_source)
    known = _ALIASES.setdefault(space, {})
    known.update({_norm(t.dataset): t.dataset for t in tables})
    known.update({_norm(alias): target for alias, target in (aliases or {}).items()})


def list_benchmarks(space: str) -> list[str]:
    """Names of the benchmarks of ``space``, the default first."""
    return list(_REGISTRY.get(space, {}))


def list_tables(space: str | None = None, benchmark: str | None = None) -> list[TableInfo]:
    """The declared tables (of one space / benchmark, or of all), without reading any file."""
    spaces = [space.lower()] if space is not None else sorted(_REGISTRY)
    return [t for s in spaces for b in _REGISTRY.get(s, {}).values()
            if benchmark is None or b.name == benchmark for t in b.tables]


def resolve_table(space: str, dataset: str, metric: str | None = None,
                  benchmark: str | None = None) -> tuple[TableInfo, Loader]:
    """The declared table for (space, dataset, metric, benchmark); None picks the default
    (the first benchmark, and the first metric of the dataset, that match)."""
    space = space.lower()
    benchmarks = _REGISTRY.get(space)
    if not benchmarks:
        raise UnknownNameError(
            f"no ground-truth tables for search space {space!r}; available: "
            f"{', '.join(sorted(_REGISTRY)) or 'none'} (a space module declares its tables when "
            "it is imported: `import search_spaces` declares the built-in ones)")
    if benchmark is not None and benchmark not in benchmarks:
        raise UnknownNameError(
            f"unknown benchmark {benchmark!r} for {space}; available: {', '.join(benchmarks)}")
    chosen = [benchmarks[benchmark]] if benchmark else list(benchmarks.values())
    name = _ALIASES[space].get(_norm(dataset))
    candidates = [(t, b.loader) for b in chosen for t in b.tables if t.dataset == name]
    if not candidates:
        have = sorted({t.dataset for b in chosen for t in b.tables})
        raise UnknownNameError(
            f"unknown dataset {dataset!r} for {space}"
            f"{'/' + benchmark if benchmark else ''}; available: {', '.join(have)}")
    if metric is None:
        return candidates[0]
    wanted = _METRIC_ALIASES.get(metric.lower(), metric.lower())
    for table, loader in candidates:
        if table.metric.lower() == wanted:
            return table, loader
    have = sorted({t.metric for t, _ in candidates})
    raise UnknownNameError(
        f"unknown metric {metric!r} for {space}/{name}; available: {', '.join(have)}")


def load_ground_truth(
    space: str,
    dataset: str,
    metric: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    source: Source = "auto",
    benchmark: str | None = None,
) -> GroundTruth:
    """The ground-truth table of ``space`` on ``dataset``.

    ``metric`` names a declared metric (None: the benchmark's first for the dataset, e.g.
    NB201's 200-epoch "test"; "valid"/"validation" mean "val"); ``benchmark`` one of
    :func:`list_benchmarks` (None: the first that has the dataset and metric). See
    :func:`list_tables` for what each contains. ``data_dir`` is the data root (the CLI's
    ``--data-dir``; default ``$NASLIB_ZERO_DATA`` or the user cache). ``source="auto"`` reads
    the compact CSV under the data root; a file path reads that benchmark file instead where
    the benchmark's loader supports it (nb201: the official ``NAS-Bench-201-v1_*.pth``).
    """
    table, loader = resolve_table(space, dataset, metric, benchmark)
    return loader(table, data_root(data_dir), source)


# ----------------------------------------------------------------------------- CSV reading

_CSV_CACHE: dict[tuple[TableInfo, str], tuple[tuple[int, int], GroundTruth]] = {}


def table_not_found(table: TableInfo, path: Path) -> DataNotFoundError:
    """The error for a missing table file: what, where it was looked for, where to get it."""
    folder = path.parent
    where = "exists" if folder.is_dir() else "does not exist"
    return DataNotFoundError(
        f"{table.space} {table.dataset} {table.metric} table not found: {path}\n"
        f"  looked in folder {folder} ({where})\n"
        f"  source: {table.origin}\n"
        f"  point the toolkit at the data folder that contains {table.file} with "
        f"--data-dir or ${ENV_VAR}")


def load_csv_table(table: TableInfo, root: Path) -> GroundTruth:
    """Read ``table`` from its CSV file under ``root`` (validated; cached per file version)."""
    path = root / table.file
    if not path.is_file():
        raise table_not_found(table, path)
    stat = path.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    key = (table, str(path.resolve()))
    cached = _CSV_CACHE.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    truth = build_table(table, path, *_read_csv(path, table))
    _CSV_CACHE[key] = (stamp, truth)
    return truth


def build_table(table: TableInfo, path: Path, keys: tuple, archs: tuple[str, ...],
                values: np.ndarray) -> GroundTruth:
    """The GroundTruth of ``table`` from rows read out of ``path`` by any loader.

    Applies the table's declarations: ``mean_duplicates`` (else a repeated key or string is a
    CorruptDataError naming ``path``) and ``from_error``.
    """
    if table.mean_duplicates:
        keys, archs, values = _mean_by_key(keys, archs, values)
    _check_unique(path, table, keys, archs)
    if table.from_error:
        values = 100.0 - values
    return GroundTruth(
        space=table.space, dataset=table.dataset, metric=table.metric, values=values,
        archs=archs, source=str(path), description=table.description,
        keys=None if table.indexed else keys, higher_is_better=table.higher_is_better,
        unit=table.unit, benchmark=table.benchmark)


def recorded_params(table: TableInfo, data_dir: str | os.PathLike[str] | None = None,
                    ) -> tuple[tuple[str, ...], np.ndarray]:
    """(architecture strings, parameter counts) as ``table``'s file records them."""
    if table.params_column is None:
        raise UnknownNameError(f"the {table.space}/{table.benchmark} table records no params")
    path = data_root(data_dir) / table.file
    if not path.is_file():
        raise DataNotFoundError(f"{table.space}/{table.benchmark} table not found: {path}")
    keys, archs, params = _read_csv(path, replace(table, column=table.params_column))
    if table.mean_duplicates:
        keys, archs, params = _mean_by_key(keys, archs, params)
    return archs, np.rint(params * table.params_unit).astype(np.int64)


def _parse(text: str, kind: Callable[[str], Hashable], path: Path, lineno: int, column: str):
    try:
        return kind(text)
    except ValueError as err:
        what = f"non-numeric value {text!r}" if kind in (int, float) else \
            f"cannot read {text[:80]!r}: {err}"
        raise CorruptDataError(f"{path}, line {lineno}, column {column!r}: {what}") from None


def _read_csv(path: Path, table: TableInfo) -> tuple[tuple, tuple[str, ...], np.ndarray]:
    """Parse and validate (keys, architecture strings, values) of one value column."""
    keys: list = []
    archs: list[str] = []
    values: list[float] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            if not header:
                raise CorruptDataError(f"{path}: empty file (no header line)")
            needed = [table.key_column, table.column] + \
                ([table.arch_column] if table.arch_column else []) + \
                ([table.row_filter[0]] if table.row_filter else [])
            missing = [c for c in needed if c not in header]
            if missing:
                raise CorruptDataError(
                    f"{path}: missing column(s) {', '.join(missing)}; header is {header}")
            i_key, i_val = header.index(table.key_column), header.index(table.column)
            i_arch = header.index(table.arch_column) if table.arch_column else None
            i_filter = header.index(table.row_filter[0]) if table.row_filter else None
            for lineno, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise CorruptDataError(
                        f"{path}, line {lineno}: {len(row)} fields, expected {len(header)} "
                        "(truncated or malformed file)")
                if i_filter is not None and row[i_filter].strip() != table.row_filter[1]:
                    continue
                raw_key = row[i_key].strip()
                if table.indexed and raw_key != str(len(keys)):
                    raise CorruptDataError(
                        f"{path}, line {lineno}: {table.key_column} {raw_key!r}, expected "
                        f"{len(keys)} (rows must be sorted by index, one per architecture)")
                key = _parse(raw_key, table.key_type, path, lineno, table.key_column)
                value = _parse(row[i_val], float, path, lineno, table.column)
                if not math.isfinite(value):
                    raise CorruptDataError(
                        f"{path}, line {lineno}, column {table.column!r}: non-finite value "
                        f"{row[i_val]!r}")
                if i_arch is not None:
                    arch = row[i_arch].strip()
                else:
                    try:
                        arch = table.row_arch(dict(zip(header, row)))  # type: ignore[misc]
                    except (ValueError, KeyError) as err:
                        raise CorruptDataError(f"{path}, line {lineno}: {err}") from None
                keys.append(key)
                archs.append(arch)
                values.append(value)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CorruptDataError(f"{path}: not a readable CSV file ({exc})") from exc
    if table.rows is not None and len(archs) != table.rows:
        raise CorruptDataError(
            f"{path}: {len(archs)} data rows, expected {table.rows} (truncated or wrong file?)")
    return tuple(keys), tuple(archs), np.asarray(values, dtype=np.float64)


def _mean_by_key(keys: tuple, archs: tuple[str, ...], values: np.ndarray,
                 ) -> tuple[tuple, tuple[str, ...], np.ndarray]:
    """One row per key (first occurrence order, its first architecture string), mean value."""
    first: dict = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    groups = np.array([first[k] for k in keys])
    rows = np.array(sorted(first.values()))
    sums = np.bincount(groups, weights=values, minlength=len(keys))[rows]
    counts = np.bincount(groups, minlength=len(keys))[rows]
    return tuple(keys[i] for i in rows), tuple(archs[i] for i in rows), sums / counts


def _check_unique(path: Path, table: TableInfo, keys: tuple, archs: tuple[str, ...]) -> None:
    for what, items in (("architecture", archs), (table.key_column, keys)):
        if len(set(items)) != len(items):
            dup = next(a for a, n in Counter(items).items() if n > 1)
            raise CorruptDataError(f"{path}: {what} {dup!r} occurs more than once")
