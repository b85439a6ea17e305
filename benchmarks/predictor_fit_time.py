"""Wall time of all surrogate fits in predictor-based search (budget 300, NB201, CIFAR-10).

    python benchmarks/predictor_fit_time.py --seeds 3 --data-dir ../shared/data

Target: all fits of one budget-300 run together under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time

import torch

from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from strategies import get_strategy
from strategies.loop import run_search
from strategies.oracle import TableOracle

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    space = get_space("nb201")
    oracle = TableOracle(space, load_ground_truth("nb201", "cifar10", "test",
                                                  data_dir=args.data_dir))
    print("| seed | fits | all fits (s) | whole run (s) | best accuracy |")
    print("| --- | --- | --- | --- | --- |")
    worst = 0.0
    for seed in range(args.seeds):
        strategy = get_strategy("predictor", space, seed=seed)
        start = time.perf_counter()
        result = run_search(space, strategy, oracle, budget=args.budget, seed=seed)
        total = time.perf_counter() - start
        worst = max(worst, strategy.fit_seconds)
        print(f"| {seed} | {strategy.fits} | {strategy.fit_seconds:.1f} | {total:.1f} | "
              f"{result.best.value:.2f} |")
    verdict = "PASS" if worst < TARGET_SECONDS else "FAIL"
    print(f"- slowest run's fits: {worst:.1f} s (target < {TARGET_SECONDS:g} s): {verdict}")


if __name__ == "__main__":
    main()
