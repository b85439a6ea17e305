"""Parameter-count parity of the NATS-Bench size-space network with the benchmark, on all rows.

Every row of ``natsbench_sss/nats_sss_accuracy.csv`` (32,768 channel configurations) gives the
parameter count on cifar10, cifar100 and ImageNet16-120: 98,304 counts. Building that many
models takes ~30 ms each (CPU or meta device alike), so each count is the sum of the counts of
the network's real parts, each built once from the classes the network uses: ``stem`` (per C1),
``cells[0]`` (C1 -> C1), ``cells[1]`` resblock (C1 -> C2), ``cells[2]`` (C2 -> C3), ``cells[3]``
resblock (C3 -> C4), ``cells[4]`` (C4 -> C5), ``lastact`` (C5) and ``classifier`` (C5, classes).
That decomposition is checked on ``--sample`` random rows: their full models are built for all
three datasets, and each model's total and per-child counts must equal the prediction, with
every parameter trainable. The CSV's channel strings must also be the space's string form of
their row's index. Exit status 1 on any mismatch.

    OMP_NUM_THREADS=1 python benchmarks/nats_sss_params.py [--data-dir ../shared/data] \
        [--sample 100]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch.nn as nn

from search_spaces import get_space
from search_spaces.nats_sss import CHANNELS, NUM_LAYERS, SIZE
from search_spaces.nats_sss_model import NATSSizeNetwork, SizeCell
from search_spaces.nb201_model import ResNetBasicblock

REPO = Path(__file__).resolve().parents[1]
FILE = "natsbench_sss/nats_sss_accuracy.csv"
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


def default_data_dir() -> Path:
    env = os.environ.get("NASLIB_ZERO_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def count(module: nn.Module) -> int:
    """All parameters of ``module``; raises if any of them is not trainable."""
    params = list(module.parameters())
    if not all(p.requires_grad for p in params):
        raise AssertionError(f"{type(module).__name__} has non-trainable parameters")
    return sum(p.numel() for p in params)


class PartCounts:
    """Parameter counts of each part of the network, indexed by width choice (0..7)."""

    def __init__(self, num_classes: tuple[int, ...]) -> None:
        n = len(CHANNELS)
        self.cell = np.array([[count(SizeCell(a, b)) for b in CHANNELS] for a in CHANNELS])
        self.res = np.array([[count(ResNetBasicblock(a, b)) for b in CHANNELS] for a in CHANNELS])
        self.stem = np.zeros(n, dtype=np.int64)
        self.lastact = np.zeros(n, dtype=np.int64)
        self.head = np.zeros((n, len(num_classes)), dtype=np.int64)
        for i, c in enumerate(CHANNELS):
            for k, nc in enumerate(num_classes):
                net = NATSSizeNetwork((c,) * NUM_LAYERS, nc)
                self.stem[i], self.lastact[i] = count(net.stem), count(net.lastact)
                self.head[i, k] = count(net.classifier)

    def children(self, d: np.ndarray, k: int) -> list[np.ndarray]:
        """Per-child counts (stem, cells 0..4, lastact, classifier) for choice rows ``d``."""
        return [self.stem[d[:, 0]], self.cell[d[:, 0], d[:, 0]], self.res[d[:, 0], d[:, 1]],
                self.cell[d[:, 1], d[:, 2]], self.res[d[:, 2], d[:, 3]],
                self.cell[d[:, 3], d[:, 4]], self.lastact[d[:, 4]], self.head[d[:, 4], k]]

    def total(self, d: np.ndarray, k: int) -> np.ndarray:
        return np.sum(self.children(d, k), axis=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="data root holding natsbench_sss/ (default: $NASLIB_ZERO_DATA or "
                             "../shared/data next to the repo)")
    parser.add_argument("--sample", type=int, default=100,
                        help="rows whose full models are built to check the decomposition")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    space = get_space("nats_sss")

    with (args.data_dir / FILE).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if len(rows) != SIZE:
        print(f"expected {SIZE} rows in {FILE}, got {len(rows)}")
        return 1
    bad_str = [r["index"] for i, r in enumerate(rows)
               if int(r["index"]) != i or r["channels"] != space.to_str(space.from_index(i))]
    expected = np.array([[int(r[f"params_{ds}"]) for ds in DATASETS] for r in rows])
    choices = np.array([space.to_decisions(space.from_index(i)) for i in range(SIZE)])

    classes = tuple(space.dataset(ds).num_classes for ds in DATASETS)
    parts = PartCounts(classes)
    predicted = np.stack([parts.total(choices, k) for k in range(len(DATASETS))], axis=1)
    match = predicted == expected

    rng = np.random.default_rng(args.seed)
    sample = rng.choice(SIZE, size=min(args.sample, SIZE), replace=False)
    sample = np.union1d(sample, [0, 1, SIZE - 1])
    bad_split = []
    for i in sample.tolist():
        for k, ds in enumerate(DATASETS):
            model = space.to_model(space.from_index(i), ds)
            got = [count(model.stem), *(count(c) for c in model.cells), count(model.lastact),
                   count(model.classifier)]
            want = [int(x[0]) for x in parts.children(choices[i:i + 1], k)]
            if got != want or count(model) != sum(want):
                bad_split.append((i, ds, got, want))
    elapsed = time.perf_counter() - start

    print(f"{int(match.sum())} of {match.size} parameter counts match "
          f"({len(rows)} rows x {len(DATASETS)} datasets; {elapsed:.1f} s)")
    print(f"decomposition checked on {len(sample) * len(DATASETS)} full models "
          f"({len(sample)} rows): {len(bad_split)} mismatches")
    print(f"channel strings: {len(rows) - len(bad_str)} of {len(rows)} equal the space's "
          "string of their index")
    for i, k in np.argwhere(~match)[:10].tolist():
        print(f"  mismatch: index {i} {rows[i]['channels']} {DATASETS[k]}: "
              f"model {predicted[i, k]}, table {expected[i, k]}")
    for i, ds, got, want in bad_split[:5]:
        print(f"  decomposition mismatch: index {i} {ds}: children {got}, parts {want}")
    for index in bad_str[:5]:
        print(f"  bad channel string / index in row {index}")
    return 0 if match.all() and not bad_split and not bad_str else 1


if __name__ == "__main__":
    sys.exit(main())
