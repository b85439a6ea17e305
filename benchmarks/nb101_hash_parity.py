"""Check ``nb101_spec`` against the NB101 data files: hash parity, canonical form and index.

For every row of ``nb101/nb101_30k_val_accuracy.csv``, ``nb101/naslib_nb101_val_accuracy.csv``
(pruned columns and the raw unpruned ``adjacency_raw_7x7``/``ops_raw``) and
``nb101/gennas_nb101_2500_accuracy.csv``: the official hash of the row's spec equals its
``hash`` column, and the pruned raw spec equals the pruned columns. Across all rows: specs with
equal hashes get the same canonical form, and :func:`~search_spaces.nb101_spec.index` orders
the hashes like the sorted hash list (the 30k file is contiguous slices of that list, so its
rows must get consecutive indices within each slice). Prints ``N of M`` per check.

Usage: ``python benchmarks/nb101_hash_parity.py [--data-dir DIR]`` (default:
``$NASLIB_ZERO_DATA``, else ``../shared/data`` beside the checkout).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from search_spaces import nb101_spec as S  # noqa: E402

FILES = ("nb101_30k_val_accuracy.csv", "naslib_nb101_val_accuracy.csv",
         "gennas_nb101_2500_accuracy.csv")


def spec(adjacency: str, ops: str) -> S.NB101Arch:
    """The pruned spec of a row's flattened adjacency and ``|``-separated ops."""
    n = len(ops.split("|"))
    flat = [int(c) for c in adjacency]
    if len(flat) != n * n:
        raise ValueError(f"adjacency of length {len(flat)} for {n} ops")
    return S.prune([flat[i * n : (i + 1) * n] for i in range(n)], ops.split("|"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("NASLIB_ZERO_DATA") or REPO.parent / "shared" / "data"
    parser.add_argument("--data-dir", type=Path, default=Path(default))
    data = parser.parse_args().data_dir / "nb101"
    t0 = time.perf_counter()
    by_hash: dict[str, set[S.NB101Arch]] = {}
    all_ok = True

    def report(label: str, good: int, total: int) -> None:
        nonlocal all_ok
        all_ok &= good == total
        print(f"{label}: {good} of {total}")

    for name in FILES:
        with open(data / name, newline="") as f:
            rows = list(csv.DictReader(f))
        archs = [spec(r["adjacency"], r["ops"]) for r in rows]
        good = 0
        for r, a in zip(rows, archs):
            good += S.module_hash(a) == r["hash"] and a.num_vertices == int(r["num_vertices"])
            by_hash.setdefault(r["hash"], set()).add(S.canonical(a))
        report(f"{name}: hash", good, len(rows))
        if "adjacency_raw_7x7" in rows[0]:
            raw = [spec(r["adjacency_raw_7x7"], r["ops_raw"]) for r in rows]
            report(f"{name}: hash of pruned raw 7x7 spec",
                   sum(S.module_hash(a) == r["hash"] for r, a in zip(rows, raw)), len(rows))
            report(f"{name}: pruned raw 7x7 spec == pruned columns",
                   sum(a == b for a, b in zip(raw, archs)), len(rows))
            for r, a in zip(rows, raw):
                by_hash[r["hash"]].add(S.canonical(a))
        order = sorted(range(len(rows)), key=lambda i: rows[i]["hash"])
        idx = np.array([S.index(archs[i]) for i in order])
        steps = np.diff(idx)
        hs = [rows[i]["hash"] for i in order]
        same = np.array([a == b for a, b in zip(hs, hs[1:])], dtype=bool)
        report(f"{name}: index order == hash order ({len(set(hs))} distinct hashes)",
               int(((steps > 0) != same).sum()) + 1, len(rows))
        if name.startswith("nb101_30k"):
            breaks = np.flatnonzero(steps != 1)
            starts = [0, *(breaks + 1).tolist()]
            ends = [*breaks.tolist(), len(idx) - 1]
            print(f"{name}: contiguous index runs: "
                  + ", ".join(f"{idx[s]}..{idx[e]}" for s, e in zip(starts, ends)))
        back = sum(S.module_hash(S.from_index(int(i))) == rows[j]["hash"]
                   for i, j in zip(idx[:500], order[:500]))
        report(f"{name}: module_hash(from_index(index(spec))) == hash (first 500)", back,
               min(500, len(rows)))

    report("hashes with one canonical form (all files)",
           sum(len(c) == 1 for c in by_hash.values()), len(by_hash))
    codes = [S.encode_code(next(iter(c))) for c in by_hash.values()]
    report("distinct canonical forms == distinct hashes", len(set(codes)), len(by_hash))
    print(f"wall time: {time.perf_counter() - t0:.1f} s")
    if not all_ok:
        sys.exit("parity FAILED")


if __name__ == "__main__":
    main()
