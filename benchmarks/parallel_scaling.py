"""Throughput of the executors, side by side in one run, and seeds of a search in parallel.

Scoring: the same NB201 architectures (whole suite, one CIFAR-10 batch) on the serial
executor, the process pool and Ray with 1 and 2 workers, no cache. Each executor first scores
two architectures (start-up: spawning workers, importing torch, Ray's own start), then the
measured set with warm workers; "1 thread" pins one worker to one torch thread (the thread
count each of 2 workers gets on 2 cores). Search: ``naslib-zero search`` (RE with a synflow
warm-up pool of synthetic data) over the same seeds with 1 and 2 workers, each with an empty
score cache.

    python benchmarks/parallel_scaling.py --archs 24 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from naslib_zero.scoring import BatchSettings, load_batches, score_architectures
from naslib_zero.scoring.executors import ProcessExecutor, get_executor
from search_spaces import get_space

# (executor, workers, torch threads per worker; None: cores / workers)
CONFIGS = (("serial", 1, None), ("process", 1, None), ("process", 1, 1), ("process", 2, None),
           ("ray", 1, None), ("ray", 2, None))


def largest_difference(scores: dict, reference: dict) -> tuple[str, float]:
    """The proxy whose finite scores differ most from the reference's, relatively."""
    worst = ("", 0.0)
    for name, ref in reference.items():
        a, b = np.asarray(scores[name]), np.asarray(ref)
        finite = np.isfinite(a) & np.isfinite(b)
        rel = np.abs(a - b)[finite] / np.maximum(np.abs(b[finite]), 1e-12)
        if rel.size and rel.max() > worst[1]:
            worst = (name, float(rel.max()))
    return worst


def scoring_throughput(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    space = get_space("nb201")
    rows = np.random.RandomState(1).choice(space.size(), args.archs + 2, replace=False)
    archs = [space.from_index(int(i)) for i in rows]
    batch, second = load_batches(BatchSettings("cifar10", args.batch_size), args.data_dir)
    report, reference = {}, None
    for name, workers, threads in CONFIGS:
        label = f"{name} x{workers}" + (f", {threads} thread" if threads else "")
        t0 = time.perf_counter()
        executor = ProcessExecutor(workers, threads) if threads else get_executor(name, workers)
        with executor:
            score_architectures(space, archs[:2], "all", batch, second_batch=second,
                                executor=executor, show_progress=False)
            t1 = time.perf_counter()
            run = score_architectures(space, archs[2:], "all", batch, second_batch=second,
                                      executor=executor, show_progress=False)
            t2 = time.perf_counter()
        if reference is None:
            reference = run.scores
        proxy, diff = largest_difference(run.scores, reference)
        report[label] = {"startup_and_2_archs_s": t1 - t0, "seconds": t2 - t1,
                         "archs_per_s": args.archs / (t2 - t1),
                         "largest_relative_difference": [proxy, diff]}
        print(f"{label:22} start-up + 2 archs {t1 - t0:6.1f} s   {args.archs} archs "
              f"{t2 - t1:7.1f} s   {args.archs / (t2 - t1):.3f} archs/s   largest relative "
              f"difference to serial {diff:.1e} ({proxy or '-'})", flush=True)
    return report


def search_scaling(args: argparse.Namespace) -> dict[str, float]:
    from naslib_zero.cli import main

    times = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            argv = ["-q", "search", "--strategy", "re", "--budget", str(args.budget),
                    "--seeds", str(args.seeds), "--proxy", "synflow", "--warmup",
                    str(args.warmup), "--proxy-data", "synthetic", "--workers", str(workers),
                    "--cache", f"{tmp}/scores.sqlite", "--out", f"{tmp}/out"]
            if args.data_dir:
                argv = ["--data-dir", args.data_dir, *argv]
            start = time.perf_counter()
            assert main(argv) == 0
            times[f"workers {workers}"] = time.perf_counter() - start
        print(f"search, {args.seeds} seeds, {workers} worker(s): "
              f"{times[f'workers {workers}']:.1f} s", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="runs/parallel_scaling.json")
    args = parser.parse_args()

    scoring = scoring_throughput(args)
    search = search_scaling(args)
    one, two = scoring["process x1"]["seconds"], scoring["process x2"]["seconds"]
    one_thread = scoring["process x1, 1 thread"]["seconds"]
    ray_overhead = scoring["ray x2"]["seconds"] / two - 1
    print(f"process pool, 2 workers over 1: {one / two:.2f}x (over 1 worker with 1 thread: "
          f"{one_thread / two:.2f}x); "
          f"ray x2 over process x2: {100 * ray_overhead:+.1f} % time; "
          f"search 2 workers over 1: {search['workers 1'] / search['workers 2']:.2f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"scoring": scoring, "search": search}, indent=2))


if __name__ == "__main__":
    main()
