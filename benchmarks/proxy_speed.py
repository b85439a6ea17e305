"""Proxy speed on CPU: each proxy alone (reference-style) vs the shared-pass engine.

Times, on NB201 architectures and one CIFAR-10 batch (the first images of ``data_batch_1``),
for each thread count: the floor (one plain forward + cross-entropy backward), every proxy
computed alone on a fresh ``copy.deepcopy`` of the model (as the zero-cost-proxies "foresight"
code does; the copy is timed), the paper's eight measures together through the engine and the
whole suite through the engine. Ratios to the floor are taken per architecture, then the median
across architectures; ratios of totals are reported too. Raw timings go to ``--out``.

Reproduce (README numbers)::

    python benchmarks/proxy_speed.py --archs 20 --threads 1,2

Data: ``--data-dir DIR``, else ``$NASLIB_ZERO_DATA``; ``--synthetic`` runs without data.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from naslib_zero.core.errors import DataNotFoundError  # noqa: E402
from naslib_zero.core.progress import progress  # noqa: E402
from naslib_zero.data import synthetic_batch  # noqa: E402
from naslib_zero.proxies import ProxyWarning, compute, resolve  # noqa: E402
from naslib_zero.scoring import BatchSettings, build_model, load_batches  # noqa: E402
from search_spaces import get_space  # noqa: E402
from search_spaces.nb201 import SIZE  # noqa: E402

EIGHT = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow", "l2_norm"]
FLOOR, EIGHT_ENGINE, SUITE_ENGINE = "floor", "eight (engine)", "suite (engine)"
EIGHT_SUM, SUITE_SUM = "eight (one by one)", "suite (one by one)"
TARGETS = {"eight": 6.0, "suite": 9.0, "speedup": 2.0}


def time_call(fn: Callable[[], object], repeats: int) -> list[float]:
    """``repeats`` timed calls (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def floor_pass(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """One plain forward and cross-entropy backward; gradients cleared afterwards."""
    model.train()
    F.cross_entropy(model(inputs), targets).backward()
    model.zero_grad(set_to_none=True)


def measure_arch(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                 second: tuple[torch.Tensor, torch.Tensor], suite: list[str], seed: int,
                 repeats: int) -> dict[str, list[float]]:
    """Raw timings (one list of ``repeats`` seconds per measurement) for one architecture."""

    def alone(name: str) -> Callable[[], object]:
        return lambda: compute(copy.deepcopy(model), inputs, targets, [name], seed,
                               second_batch=second)

    floor_pass(model, inputs, targets)  # one untimed warm-up per architecture
    calls: dict[str, Callable[[], object]] = {FLOOR: lambda: floor_pass(model, inputs, targets)}
    calls |= {name: alone(name) for name in suite}
    calls[EIGHT_ENGINE] = lambda: compute(model, inputs, targets, EIGHT, seed, second_batch=second)
    calls[SUITE_ENGINE] = lambda: compute(model, inputs, targets, "all", seed,
                                          second_batch=second)
    return {name: time_call(fn, repeats) for name, fn in calls.items()}


def summarise(raw: list[dict[str, list[float]]], suite: list[str]) -> dict[str, dict]:
    """``rows``: per measurement, median seconds, median per-arch ratio to the floor and ratio
    of totals; ``speedup``: (one by one) / engine for the eight and the suite."""
    per_arch = [{k: statistics.median(v) for k, v in arch.items()} for arch in raw]
    for arch in per_arch:
        arch[EIGHT_SUM] = sum(arch[p] for p in EIGHT)
        arch[SUITE_SUM] = sum(arch[p] for p in suite)

    def ratio(num: str, den: str) -> dict[str, float]:
        return {"median": statistics.median(a[num] / a[den] for a in per_arch),
                "totals": sum(a[num] for a in per_arch) / sum(a[den] for a in per_arch)}

    rows = [FLOOR, *suite, EIGHT_SUM, EIGHT_ENGINE, SUITE_SUM, SUITE_ENGINE]
    return {"rows": {row: {"seconds": statistics.median(a[row] for a in per_arch),
                           "x_floor": ratio(row, FLOOR)} for row in rows},
            "speedup": {"eight": ratio(EIGHT_SUM, EIGHT_ENGINE),
                        "suite": ratio(SUITE_SUM, SUITE_ENGINE)}}


def report(threads: int, summary: dict[str, dict], n_archs: int) -> str:
    """Markdown block for one thread count, with the speedups and the target checks."""
    rows, speedup = summary["rows"], summary["speedup"]
    lines = [f"#### {threads} thread(s), {n_archs} NB201 architectures", "",
             "| measurement | seconds (median) | x floor (median) | x floor (totals) |",
             "|---|---:|---:|---:|"]
    lines += [f"| {row} | {s['seconds']:.4f} | {s['x_floor']['median']:.2f} "
              f"| {s['x_floor']['totals']:.2f} |" for row, s in rows.items()]
    lines += ["", "Engine speedup (one by one / engine): " + ", ".join(
        f"{kind} {r['median']:.2f}x (totals {r['totals']:.2f}x)" for kind, r in speedup.items()),
        ""]
    eight, suite = rows[EIGHT_ENGINE]["x_floor"]["median"], rows[SUITE_ENGINE]["x_floor"]["median"]
    slowest = min(r["median"] for r in speedup.values())
    checks = [(f"eight via engine <= {TARGETS['eight']:g}x floor", eight,
               eight <= TARGETS["eight"]),
              (f"suite via engine <= {TARGETS['suite']:g}x floor", suite,
               suite <= TARGETS["suite"]),
              (f"engine >= {TARGETS['speedup']:g}x faster than one by one (eight and suite)",
               slowest, slowest >= TARGETS["speedup"])]
    lines += [f"- check: {text}: {value:.2f}x {'PASS' if ok else 'FAIL'}"
              for text, value, ok in checks]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=20, help="NB201 architectures (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="arch sample, init and proxy seed")
    parser.add_argument("--repeats", type=int, default=1, help="timed calls per measurement")
    parser.add_argument("--threads", default="1,2", help="comma list of torch thread counts")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data-dir", default=None, help="default: $NASLIB_ZERO_DATA")
    parser.add_argument("--synthetic", action="store_true", help="Gaussian inputs, no data")
    parser.add_argument("--out", type=Path, default=Path("runs/proxy_speed.json"))
    args = parser.parse_args()
    thread_counts = list(dict.fromkeys(int(t) for t in args.threads.split(",") if t.strip()))

    if args.synthetic:
        first = synthetic_batch("gaussian", args.batch_size, seed=args.seed)
        second_b = synthetic_batch("gaussian", args.batch_size, seed=args.seed + 1)
    else:
        try:
            first, second_b = load_batches(BatchSettings("cifar10", args.batch_size),
                                           args.data_dir)
        except DataNotFoundError as exc:
            sys.exit(f"{exc}\n(or run data-free with --synthetic)")
    inputs, targets = first.inputs, first.targets
    second = (second_b.inputs, second_b.targets)

    space = get_space("nb201")
    indices = [int(i) for i in np.random.RandomState(args.seed).choice(SIZE, args.archs, False)]
    suite = resolve("all")
    results: dict[str, dict] = {}
    blocks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProxyWarning)
        for threads in thread_counts:
            torch.set_num_threads(threads)
            raw = []
            for index in progress(indices, total=len(indices), desc=f"{threads} thread(s)"):
                model = build_model(space, space.from_index(index), first, args.seed)
                raw.append(measure_arch(model, inputs, targets, second, suite, args.seed,
                                        args.repeats))
            summary = summarise(raw, suite)
            results[str(threads)] = {"raw": raw, "summary": summary}
            blocks.append(report(threads, summary, len(indices)))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"archs": indices, "threads": thread_counts, "repeats": args.repeats, "seed": args.seed,
            "batch_size": args.batch_size, "dataset": first.dataset, "batch_hash": first.hash,
            "torch": torch.__version__, "eight": EIGHT, "suite": suite, "targets": TARGETS}
    args.out.write_text(json.dumps({"settings": meta, "threads": results}, indent=1))
    print("\n\n".join(blocks))
    print(f"\nraw timings: {args.out}")


if __name__ == "__main__":
    main()
