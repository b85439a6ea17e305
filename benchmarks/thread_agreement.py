"""Do proxy values depend on the number of torch threads? Every proxy of the suite on the same
NB201 architectures, one CIFAR-10 batch (and ZiCo's second batch), computed with each thread
count in turn in this process; every value compared bit for bit with the first count's.

    python benchmarks/thread_agreement.py --archs 10 --threads 1,2 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np
import torch

from naslib_zero.proxies import ProxyWarning, compute, list_proxies
from naslib_zero.scoring import BatchSettings, build_model, load_batches
from search_spaces import get_space


def score_all(archs: list, batch, second, threads: int) -> dict[tuple[int, str], float]:
    """(architecture position, proxy) -> value, with ``threads`` torch threads."""
    space = get_space("nb201")
    torch.set_num_threads(threads)
    values = {}
    for i, arch in enumerate(archs):
        model = build_model(space, arch, batch, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProxyWarning)
            scores = compute(model, batch.inputs, batch.targets, "all",
                             second_batch=(second.inputs, second.targets))
        values |= {(i, name): v for name, v in scores.items()}
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=10)
    parser.add_argument("--threads", default="1,2", help="comma list; the first is the reference")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    space = get_space("nb201")
    rows = np.random.RandomState(1).choice(space.size(), args.archs, replace=False)
    archs = [space.from_index(int(i)) for i in rows]
    batch, second = load_batches(BatchSettings("cifar10", args.batch_size), args.data_dir)
    counts = [int(t) for t in args.threads.split(",")]
    reference = score_all(archs, batch, second, counts[0])
    for threads in counts[1:]:
        other = score_all(archs, batch, second, threads)
        print(f"\n{threads} threads against {counts[0]}: {len(archs)} architectures "
              f"(RandomState(1) indices {rows.tolist()})")
        print("| proxy | values that differ | largest relative difference (at index) |")
        print("| --- | --- | --- |")
        total = 0
        for name in list_proxies():
            pairs = {int(rows[i]): (reference[i, name], other[i, name])
                     for i in range(len(archs))}
            differ = {k: (a, b) for k, (a, b) in pairs.items()
                      if not (a == b or (math.isnan(a) and math.isnan(b)))}
            rel = {k: abs(a - b) / max(abs(a), 1e-300) for k, (a, b) in differ.items()
                   if math.isfinite(a) and math.isfinite(b)}
            at = max(rel, key=rel.get) if rel else None
            total += len(differ)
            largest = f"{rel[at]:.2g} ({at})" if rel else "0"
            print(f"| {name} | {len(differ)} of {len(pairs)} | {largest} |")
        print(f"in all: {total} of {len(archs) * len(list_proxies())} values differ")


if __name__ == "__main__":
    main()
