"""NB201 ground truth read from the official NAS-Bench-201 benchmark file.

The files are ``NAS-Bench-201-v1_0-e61699.pth`` (2.2 GB) and ``NAS-Bench-201-v1_1-096897.pth``
(4.7 GB) from https://github.com/D-X-Y/NAS-Bench-201. They are read through the official API,
``nas_201_api.NASBench201API`` (package ``nas-bench-201``), with two adjustments:

* Loading. ``NASBench201API(path)`` calls ``torch.load(path)`` without ``weights_only``; since
  torch 2.6 that means ``weights_only=True``, which refuses these files: they are general
  pickles of ``ArchResults``/``ResultsCount`` state dicts that hold numpy scalars (AutoDL
  computes parameter counts with ``np.prod``), not tensor checkpoints. So :func:`read_benchmark`
  unpickles the file itself with ``weights_only=False`` and hands the dict to the API
  constructor, which also accepts a dict. This is acceptable because the file is a benchmark
  the user explicitly chose, but unpickling executes code: only load files from a trusted
  source (the official download).
* Querying. The API's defaults are the 12-epoch shortcut (``hp='12'``) and one random seed
  drawn from Python's global RNG (``is_random=True``). Here every value is
  ``api.get_more_info(index, api_dataset, iepoch=None, hp='200', is_random=False)``: the final
  epoch of the 200-epoch schedule, averaged over the seeds, mirroring the CSV tables:

  ======================  ===========================  =========================================
  (dataset, metric)       ``api_dataset``, key         meaning
  ======================  ===========================  =========================================
  cifar10, test           cifar10, test-accuracy       trained on train+valid, CIFAR-10 test set
  cifar10, val            cifar10-valid,               trained on 25k train images, evaluated on
                          valid-accuracy               the other 25k (x-valid)
  cifar100 / ImageNet16-  same name, test-accuracy /   x-test / x-valid split
  120, test / val         valid-accuracy
  ======================  ===========================  =========================================

Reading the file takes minutes and a lot of memory (the API deep-copies the dict it is given),
so all six tables are extracted in one pass and cached as a small ``.npz`` under
:func:`naslib_zero.core.paths.cache_dir`, keyed by the file's name, size and mtime: the big file is
read once.
"""

from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from nas_201_api import NASBench201API

from naslib_zero.core.errors import CorruptDataError, UnknownNameError
from naslib_zero.core.paths import cache_dir, existing_file
from naslib_zero.core.progress import progress
from naslib_zero.tables import GroundTruth

OFFICIAL_URL = "https://github.com/D-X-Y/NAS-Bench-201"
OFFICIAL_FILES = ("NAS-Bench-201-v1_0-e61699.pth", "NAS-Bench-201-v1_1-096897.pth")
REQUIRED_KEYS = ("meta_archs", "arch2infos", "evaluated_indexes")
HP = "200"  # the full 200-epoch schedule; the API's default "12" is the 12-epoch shortcut

QUERIES: dict[tuple[str, str], tuple[str, str]] = {
    ("cifar10", "test"): ("cifar10", "test-accuracy"),
    ("cifar10", "val"): ("cifar10-valid", "valid-accuracy"),
    ("cifar100", "test"): ("cifar100", "test-accuracy"),
    ("cifar100", "val"): ("cifar100", "valid-accuracy"),
    ("ImageNet16-120", "test"): ("ImageNet16-120", "test-accuracy"),
    ("ImageNet16-120", "val"): ("ImageNet16-120", "valid-accuracy"),
}
"""(dataset, metric) -> (dataset name for ``get_more_info``, key of its result)."""

_TRUST = "only load benchmark files from a trusted source: unpickling them executes code"
# (archs, {"<dataset>__<metric>": values}) of one benchmark file
_Extracted = tuple[tuple[str, ...], dict[str, np.ndarray]]
_MEMO: dict[str, tuple[tuple[int, int], tuple[str, ...], dict[str, np.ndarray]]] = {}


def _key(dataset: str, metric: str) -> str:
    return f"{dataset}__{metric}"


def _existing(path: str | os.PathLike[str]) -> Path:
    return existing_file(path, "NAS-Bench-201 benchmark file",
                         f"download {' or '.join(OFFICIAL_FILES)} from {OFFICIAL_URL} and pass "
                         "its path")


def read_benchmark(path: str | os.PathLike[str]) -> dict:
    """Unpickle an official benchmark file (``weights_only=False``) and check its keys."""
    path = _existing(path)
    try:
        benchmark = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # unpickling garbage can raise almost anything
        raise CorruptDataError(
            f"{path} is not a readable NAS-Bench-201 benchmark file "
            f"({type(exc).__name__}: {exc}); expected one of {', '.join(OFFICIAL_FILES)} "
            f"from {OFFICIAL_URL} ({_TRUST})"
        ) from exc
    if not isinstance(benchmark, dict):
        raise CorruptDataError(
            f"{path}: expected a dict with keys {', '.join(REQUIRED_KEYS)}, "
            f"got {type(benchmark).__name__}"
        )
    missing = [k for k in REQUIRED_KEYS if k not in benchmark]
    if missing:
        raise CorruptDataError(
            f"{path}: not a NAS-Bench-201 benchmark, missing key(s) {', '.join(missing)}"
        )
    return benchmark


def extract_accuracies(benchmark: dict, source: str = "<dict>") -> _Extracted:
    """Architecture strings and every :data:`QUERIES` table, through the official API.

    Returns ``(archs, {"<dataset>__<metric>": values})``; a value the benchmark lacks is NaN.
    """
    try:
        api = NASBench201API(benchmark, verbose=False)
    except Exception as exc:  # the API validates with assert and indexing
        raise CorruptDataError(
            f"{source}: the NAS-Bench-201 API rejects its content ({type(exc).__name__}: {exc})"
        ) from exc
    archs = tuple(str(a) for a in api.meta_archs)
    tables = {_key(*k): np.full(len(archs), np.nan) for k in QUERIES}
    api_datasets = sorted({api_dataset for api_dataset, _ in QUERIES.values()})
    for index in progress(range(len(archs)), total=len(archs), desc="NAS-Bench-201"):
        for api_dataset in api_datasets:
            try:
                info = api.get_more_info(index, api_dataset, iepoch=None, hp=HP, is_random=False)
            except (KeyError, ValueError):  # architecture or dataset not in the file
                continue
            except Exception as exc:
                raise CorruptDataError(
                    f"{source}: unreadable results of architecture {index} on {api_dataset} "
                    f"({type(exc).__name__}: {exc})"
                ) from exc
            for (dataset, metric), (name, result_key) in QUERIES.items():
                if name == api_dataset and info.get(result_key) is not None:
                    tables[_key(dataset, metric)][index] = info[result_key]
    return archs, tables


def _read_cache(cache_file: Path) -> _Extracted | None:
    """The cached extraction, or None when it is absent or unusable (then it is rebuilt)."""
    try:
        with np.load(cache_file, allow_pickle=False) as npz:
            return tuple(str(a) for a in npz["archs"]), {_key(*k): npz[_key(*k)] for k in QUERIES}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def _write_cache(cache_file: Path, archs: tuple[str, ...], tables: dict[str, np.ndarray]) -> None:
    tmp = cache_file.with_name(cache_file.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, archs=np.asarray(archs, dtype=str), **tables)
        os.replace(tmp, cache_file)  # atomic: a crash never leaves a half-written cache
    except OSError as exc:
        warnings.warn(f"could not cache NAS-Bench-201 tables in {cache_file}: {exc}", stacklevel=3)


def _cached_extract(path: Path, cache_root: str | os.PathLike[str] | None) -> _Extracted:
    """Archs and tables of ``path``, from memory, the .npz cache, or a fresh extraction."""
    stat = path.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    resolved = str(path.resolve())
    memo = _MEMO.get(resolved)
    if memo is not None and memo[0] == stamp:
        return memo[1], memo[2]
    cache_file = cache_dir(cache_root) / f"nb201-official-{path.name}-{stamp[0]}-{stamp[1]}.npz"
    cached = _read_cache(cache_file)
    if cached is None:
        cached = extract_accuracies(read_benchmark(path), source=str(path))
        _write_cache(cache_file, *cached)
    archs, tables = cached
    for values in tables.values():
        values.setflags(write=False)  # shared by every GroundTruth built from them
    _MEMO[resolved] = (stamp, archs, tables)
    return archs, tables


def load_official_table(
    path: str | os.PathLike[str],
    dataset: str,
    metric: str = "test",
    *,
    cache_root: str | os.PathLike[str] | None = None,
) -> GroundTruth:
    """The NB201 ``dataset``/``metric`` table from an official benchmark file.

    ``dataset`` is cifar10, cifar100 or ImageNet16-120; ``metric`` test or val (see the module
    docstring for the exact query). ``cache_root`` is the data root whose cache folder keeps
    the extracted arrays (default: :func:`naslib_zero.core.paths.data_root`).
    """
    if (dataset, metric) not in QUERIES:
        choices = ", ".join(f"{d}/{m}" for d, m in QUERIES)
        raise UnknownNameError(f"no NAS-Bench-201 table {dataset}/{metric}; available: {choices}")
    path = _existing(path)
    archs, tables = _cached_extract(path, cache_root)
    values = tables[_key(dataset, metric)]
    missing = np.flatnonzero(np.isnan(values))
    if missing.size:
        raise CorruptDataError(
            f"{path}: no {HP}-epoch {dataset} {metric} accuracy for {missing.size} of "
            f"{len(values)} architectures (first: index {missing[0]})"
        )
    api_dataset, result_key = QUERIES[(dataset, metric)]
    return GroundTruth(
        space="nb201",
        dataset=dataset,
        metric=metric,
        values=values,
        archs=archs,
        source=str(path),
        benchmark="nb201",
        description=(
            f"NAS-Bench-201 {dataset} {metric} accuracy (%) from the official benchmark file: "
            f"get_more_info(index, {api_dataset!r}, hp={HP!r}, is_random=False)"
            f"[{result_key!r}] (final epoch of 200, mean over seeds)"
        ),
    )
