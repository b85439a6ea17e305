"""Parameter-count parity of ``NB101Network`` with NAS-Bench-101, on every architecture we have.

For each of the 30,001 rows of ``nb101/nb101_30k_val_accuracy.csv`` a real ``NB101Network``
(10 classes) is built on the meta device and its trainable parameters are counted; the count must
equal the TF count in the ``params`` column (exit status 1 otherwise, with the first mismatches
printed). The closed-form ``count_parameters`` is checked against the same column.

To keep 30k constructions affordable, PyTorch's own ``reset_parameters`` of Conv2d, BatchNorm2d
and Linear is disabled while building (it only fills values, which meta tensors do not have;
shapes are untouched). That this changes no count is checked on the first ``--check-init`` rows,
built without the shortcut.

The 500 rows of ``nb101/naslib_nb101_val_accuracy.csv`` are checked too (``params_M``, NASLib's
count in millions, to its printed 6 decimals): reported, never failed on. The hashes it shares
with the 30k file are compared as well: NB101's vertex channel rule depends on vertex order
(the remainder channels go to the lowest-numbered vertices feeding the output), so two
isomorphic encodings of one hash can have different parameter counts.

    OMP_NUM_THREADS=1 python benchmarks/nb101_params.py [--data-dir ../shared/data] [--jobs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from unittest import mock

import numpy as np
import torch
import torch.nn as nn

from search_spaces.nb101_model import NB101Network, count_parameters

REPO = Path(__file__).resolve().parents[1]
BIG = "nb101/nb101_30k_val_accuracy.csv"
NASLIB = "nb101/naslib_nb101_val_accuracy.csv"


def default_data_dir() -> Path:
    env = os.environ.get("NASLIB_ZERO_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def spec(row: dict[str, str]) -> tuple[np.ndarray, list[str]]:
    """(pruned matrix, ops) of a CSV row."""
    n = int(row["num_vertices"])
    bits = row["adjacency"]
    if len(bits) != n * n:
        raise ValueError(f"{row['hash']}: adjacency has {len(bits)} entries for {n} vertices")
    return np.array([int(c) for c in bits], dtype=np.int64).reshape(n, n), row["ops"].split("|")


@contextlib.contextmanager
def values_not_initialised() -> Iterator[None]:
    """Skip torch's value initialisation of the layer types NB101Network uses."""
    with contextlib.ExitStack() as stack:
        for cls in (nn.Conv2d, nn.BatchNorm2d, nn.Linear):
            stack.enter_context(mock.patch.object(cls, "reset_parameters", lambda self: None))
        yield


def module_count(matrix: np.ndarray, ops: list[str]) -> int:
    """Trainable parameters of a real NB101Network (10 classes) built on the meta device."""
    with torch.device("meta"):
        model = NB101Network(matrix, ops, num_classes=10)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_chunk(specs: list[tuple[np.ndarray, list[str]]]) -> list[tuple[int, int]]:
    """(module count, closed-form count) for each spec, torch's value initialisation off."""
    torch.set_num_threads(1)
    with values_not_initialised():
        return [(module_count(m, o), count_parameters(m, o)) for m, o in specs]


def count_all(specs: list[tuple[np.ndarray, list[str]]], jobs: int) -> list[tuple[int, int]]:
    if jobs <= 1:
        return count_chunk(specs)
    size = -(-len(specs) // (4 * jobs))
    chunks = [specs[i:i + size] for i in range(0, len(specs), size)]
    with ProcessPoolExecutor(jobs) as pool:
        return [pair for part in pool.map(count_chunk, chunks) for pair in part]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="data folder (default: $NASLIB_ZERO_DATA or ../shared/data)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--show", type=int, default=10, help="mismatches to print")
    parser.add_argument("--check-init", type=int, default=20,
                        help="rows also built with torch's initialisation, to show that the "
                             "shortcut changes no count")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows = read_rows(args.data_dir / BIG)
    specs = [spec(r) for r in rows]
    sample = specs[:args.check_init]
    for (m, o), r, (fast, _) in zip(sample, rows, count_chunk(sample)):
        if module_count(m, o) != fast:
            raise SystemExit(f"{r['hash']}: the initialisation shortcut changes the count")

    start = time.perf_counter()
    counts = count_all(specs, args.jobs)
    elapsed = time.perf_counter() - start
    bad = [(r, c) for r, c in zip(rows, counts) if c[0] != int(r["params"])]
    closed_ok = sum(c[1] == int(r["params"]) for r, c in zip(rows, counts))
    print(f"{BIG}: {len(rows) - len(bad)} of {len(rows)} rows match "
          f"(trainable parameters of NB101Network on the meta device vs `params`)")
    print(f"  time: {elapsed:.1f} s for {len(rows)} models ({args.jobs} process(es), "
          f"{1e3 * elapsed / len(rows):.2f} ms per model); closed-form count_parameters "
          f"matches {closed_ok} of {len(rows)}")
    for r, (mine, closed) in bad[:args.show]:
        print(f"  MISMATCH {r['hash']} n={r['num_vertices']} adjacency={r['adjacency']} "
              f"ops={r['ops']} params={r['params']} module={mine} closed-form={closed}")

    naslib = read_rows(args.data_dir / NASLIB)
    start = time.perf_counter()
    ours = [mine for mine, _ in count_chunk([spec(r) for r in naslib])]
    elapsed = time.perf_counter() - start
    agree = sum(f"{p / 1e6:.6f}" == f"{float(r['params_M']):.6f}" for r, p in zip(naslib, ours))
    print(f"{NASLIB}: {agree} of {len(naslib)} rows agree with params_M to 6 decimals "
          f"({elapsed:.1f} s)")
    big = {r["hash"]: r for r in rows}
    shared = [r for r in naslib if r["hash"] in big]
    reordered = [r for r in shared
                 if (r["adjacency"], r["ops"]) != (big[r["hash"]]["adjacency"],
                                                   big[r["hash"]]["ops"])]
    differ = [r for r in shared
              if round(float(r["params_M"]) * 1e6) != int(big[r["hash"]]["params"])]
    print(f"  {len(shared)} hashes also in the 30k file; {len(reordered)} of them encoded with "
          f"another vertex order, {len(differ)} with another parameter count:")
    for r in differ:
        b = big[r["hash"]]
        print(f"    {r['hash']}: NASLib {r['adjacency']} {r['ops']} -> "
              f"{float(r['params_M']):.6f} M; NB101 {b['adjacency']} {b['ops']} -> "
              f"{int(b['params']) / 1e6:.6f} M (same graph, vertex order moves a remainder "
              f"channel)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
