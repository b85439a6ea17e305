"""Sweetimator's training-free interval search on NB201, against the paper's [1e-4, 5e-4).

    python benchmarks/sweet_calibration.py --archs 100 --data-dir ../shared/data

Calibration set: ``--archs`` random NB201 architectures (``RandomState(--seed)``), the CIFAR-10
batch of the quality protocol (first 64 training images). Prints the chosen interval.
"""

from __future__ import annotations

import argparse

import numpy as np

from naslib_zero.proxies.sweet import DEFAULT_INTERVAL
from naslib_zero.scoring import BatchSettings, load_batches
from naslib_zero.scoring.calibration import calibrate_sweet_interval
from search_spaces import get_space


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    space = get_space("nb201")
    indices = np.random.RandomState(args.seed).choice(space.size(), args.archs, replace=False)
    batch, _ = load_batches(BatchSettings("cifar10", 64), args.data_dir)
    lo, hi = calibrate_sweet_interval(space, [space.from_index(int(i)) for i in indices], batch)
    print(f"calibrated sweet interval on {args.archs} NB201 architectures: [{lo:g}, {hi:g}); "
          f"paper: [{DEFAULT_INTERVAL[0]:g}, {DEFAULT_INTERVAL[1]:g})")


if __name__ == "__main__":
    main()
