"""Regenerate ``search_spaces/resources/nb201_order.txt`` (the official NB201 index order).

Reads the ``arch`` column of ``nb201/nb201_test_accuracy.csv`` (row i = official index i) and
writes one line per index with the six op digits of that architecture.

Usage: ``python benchmarks/make_nb201_order.py [--data-dir DIR]`` (default: ``$NASLIB_ZERO_DATA``,
else ``../shared/data`` beside the checkout).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from search_spaces.nb201 import SIZE, NB201Space  # noqa: E402

OUT = REPO / "search_spaces" / "resources" / "nb201_order.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("NASLIB_ZERO_DATA") or REPO.parent / "shared" / "data"
    parser.add_argument("--data-dir", type=Path, default=Path(default))
    csv_path = parser.parse_args().data_dir / "nb201" / "nb201_test_accuracy.csv"
    space = NB201Space()
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    archs = [space.from_str(row["arch"]) for row in rows]
    if [int(row["index"]) for row in rows] != list(range(SIZE)) or len(set(archs)) != SIZE:
        sys.exit(f"{csv_path}: expected indices 0..{SIZE - 1} with {SIZE} distinct archs")
    OUT.write_text("".join("".join(map(str, arch)) + "\n" for arch in archs), encoding="ascii")
    print(f"wrote {OUT} ({SIZE} lines) from {csv_path}")


if __name__ == "__main__":
    main()
