"""NSGA-II on a zero-cost proxy vs random sampling: hypervolume of the accuracy-vs-params front.

Acceptance criterion measured: "NSGA-II with a proxy objective: the hypervolume of its
accuracy-vs-params front beats random sampling at the same budget, median over seeds."

Setup (NB201, CIFAR-10):

* NSGA-II (:class:`strategies.nsga2.NSGA2Search`, cost ``"params"``) maximises a zero-cost
  proxy (default ``synflow``) and minimises the parameter count. The proxy is computed for
  real by the engine through :class:`strategies.zero_cost.ProxyScorer` and a SQLite score
  cache, and it is the oracle of :func:`strategies.loop.run_search`: the budget counts proxy
  evaluations and no ground truth is read during the search.
* Random sampling: ``budget`` architectures drawn uniformly at random, de-duplicated by
  canonical form as the loop does, so both methods evaluate ``budget`` distinct classes.
* Afterwards, for both, every evaluated architecture gets its TRUE accuracy (the NB201
  CIFAR-10 test accuracy, 200 epochs, of the architecture as queried) and its parameter count
  (of the canonical representative's 10-class model, the same cost NSGA-II minimised). The
  front is the non-dominated set of all evaluated architectures, and its hypervolume is taken
  on normalised objectives: accuracy / 100 and params / the largest NB201 network's params
  (all ``nor_conv_3x3``, 1,531,546), with reference point (``--ref-acc`` / 100, 1.0), i.e.
  chance accuracy on CIFAR-10 (10 %) and the largest network. The same normalisation and
  reference point are used for every seed and both methods.

  Why all evaluated architectures, not NSGA-II's final (proxy) front: random sampling has no
  front of its own besides its whole sample, and scoring both on everything they evaluated
  gives each the same information (what it chose to look at with ``budget`` evaluations).
  The number measures how good the explored set is, which is what the search controls.

Reported: per-seed hypervolumes, front sizes and best true accuracy, the medians over seeds,
and PASS when the median NSGA-II hypervolume is above the median random one. A JSON file
(``--out``) holds everything; a markdown table is printed.

Reproduce (the acceptance numbers; the proxy computations are cached in ``--cache``)::

    python benchmarks/nsga2_hypervolume.py --seeds 10 --budget 100 --proxy synflow

Smoke run (seconds)::

    python benchmarks/nsga2_hypervolume.py --seeds 2 --budget 20 --pop-size 10

Data: ``--data-dir DIR``, else ``$NASLIB_ZERO_DATA``; it needs ``nb201/nb201_test_accuracy.csv``
and, for the scoring batch, ``cifar-10-batches-py`` (``--synthetic`` scores on Gaussian inputs
instead, enough for data-free proxies such as synflow).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from naslib_zero.data import Batch, synthetic_batch  # noqa: E402
from naslib_zero.scoring import BatchSettings, ScoreCache, load_batches  # noqa: E402
from naslib_zero.tables import GroundTruth, load_ground_truth  # noqa: E402
from search_spaces import get_space  # noqa: E402
from search_spaces.base import Arch, SearchSpace  # noqa: E402
from strategies.loop import run_search  # noqa: E402
from strategies.nsga2 import NSGA2Search, hypervolume, param_count, pareto_indices  # noqa: E402
from strategies.zero_cost import ProxyScorer  # noqa: E402

RUNS = REPO / "runs" / "nsga2_hypervolume"
LARGEST_NB201 = (3, 3, 3, 3, 3, 3)  # every edge nor_conv_3x3: the most parameters


def random_classes(space: SearchSpace, budget: int, rng: np.random.Generator) -> list[Arch]:
    """``budget`` random architectures of distinct canonical classes (the loop's budget rule)."""
    seen: dict[str, Arch] = {}
    while len(seen) < budget:
        arch = space.sample(rng)
        seen.setdefault(space.to_str(space.canonical(arch)), arch)
    return list(seen.values())


def front_summary(space: SearchSpace, archs: list[Arch], truth: GroundTruth, max_params: float,
                  ref: tuple[float, float]) -> dict:
    """True accuracy and params of ``archs``, their front and its normalised hypervolume."""
    acc = [truth.lookup(space.index(a)) for a in archs]
    params = [param_count(space, a, 10) for a in archs]
    front = pareto_indices(acc, params)
    points = [(acc[i] / 100.0, params[i] / max_params) for i in front]
    return {
        "hypervolume": hypervolume(points, ref),
        "front": [{"arch": space.to_str(archs[i]), "accuracy": acc[i], "params": params[i]}
                  for i in front],
        "best_accuracy": max(acc),
        "evaluated": len(archs),
    }


def run_seed(space: SearchSpace, truth: GroundTruth, batch: Batch, second: Batch | None,
             cache: ScoreCache, args: argparse.Namespace, seed: int, max_params: float,
             ref: tuple[float, float]) -> dict:
    scorer = ProxyScorer(space, args.proxy, batch, second_batch=second, seed=0, cache=cache)

    def oracle(arch: Arch) -> float:
        return float(scorer([arch])[0])

    start = time.perf_counter()
    strategy = NSGA2Search(space, seed=seed, pop_size=args.pop_size, cost="params")
    result = run_search(space, strategy, oracle, budget=args.budget, seed=seed)
    seconds = time.perf_counter() - start
    nsga = front_summary(space, [space.from_str(q.arch) for q in result.queries], truth,
                         max_params, ref)
    nsga.update(proxy_evaluations=scorer.evaluations, repeats=result.repeats,
                seconds=round(seconds, 2))
    sample = random_classes(space, args.budget, np.random.default_rng([seed, 2]))
    rand = front_summary(space, sample, truth, max_params, ref)
    return {"seed": seed, "nsga2": nsga, "random": rand}


def markdown(rows: list[dict], medians: dict, passed: bool) -> str:
    lines = ["| seed | NSGA-II HV | random HV | NSGA-II front | random front "
             "| NSGA-II best acc | random best acc |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        n, m = r["nsga2"], r["random"]
        lines.append(f"| {r['seed']} | {n['hypervolume']:.4f} | {m['hypervolume']:.4f} "
                     f"| {len(n['front'])} | {len(m['front'])} | {n['best_accuracy']:.2f} "
                     f"| {m['best_accuracy']:.2f} |")
    lines.append(f"| **median** | **{medians['nsga2']:.4f}** | **{medians['random']:.4f}** "
                 "| | | | |")
    verdict = "PASS" if passed else "FAIL"
    lines.append("")
    lines.append(f"**{verdict}**: median NSGA-II hypervolume {medians['nsga2']:.4f} "
                 f"{'>' if passed else '<='} median random {medians['random']:.4f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--proxy", default="synflow", help="proxy or ensemble (default synflow)")
    parser.add_argument("--budget", type=int, default=100, help="evaluations per run (100)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (10)")
    parser.add_argument("--pop-size", type=int, default=20, help="NSGA-II population (20)")
    parser.add_argument("--ref-acc", type=float, default=10.0,
                        help="reference accuracy in %% for the hypervolume (10 = chance)")
    parser.add_argument("--data-dir", default=None, help="data root (default $NASLIB_ZERO_DATA)")
    parser.add_argument("--synthetic", action="store_true",
                        help="score on a Gaussian batch instead of CIFAR-10 images")
    parser.add_argument("--batch-size", type=int, default=64, help="scoring batch size (64)")
    parser.add_argument("--cache", default=str(RUNS / "scores.sqlite"), help="SQLite score cache")
    parser.add_argument("--out", default=str(RUNS / "results.json"), help="JSON output")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    space = get_space("nb201")
    truth = load_ground_truth("nb201", "cifar10", "test", data_dir=args.data_dir)
    if args.synthetic:
        batch = synthetic_batch("gaussian", args.batch_size, (3, 32, 32), 10, 0)
        second = synthetic_batch("gaussian", args.batch_size, (3, 32, 32), 10, 1)
    else:
        batch, second = load_batches(BatchSettings("cifar10", args.batch_size), args.data_dir)
    max_params = param_count(space, LARGEST_NB201, 10)
    ref = (args.ref_acc / 100.0, 1.0)
    cache = ScoreCache(args.cache)
    rows = []
    try:
        for seed in range(args.seeds):
            row = run_seed(space, truth, batch, second, cache, args, seed, max_params, ref)
            rows.append(row)
            print(f"seed {seed}: NSGA-II HV {row['nsga2']['hypervolume']:.4f} "
                  f"({row['nsga2']['seconds']} s), random HV {row['random']['hypervolume']:.4f}",
                  file=sys.stderr, flush=True)
    finally:
        cache.close()
    medians = {m: statistics.median(r[m]["hypervolume"] for r in rows)
               for m in ("nsga2", "random")}
    passed = medians["nsga2"] > medians["random"]
    report = {
        "criterion": "median over seeds of the hypervolume of the true accuracy-vs-params "
                     "front: NSGA-II (proxy objective) > random sampling, same budget",
        "settings": {"space": "nb201", "dataset": "cifar10", "truth": truth.description,
                     "proxy": args.proxy, "budget": args.budget, "seeds": args.seeds,
                     "pop_size": args.pop_size, "batch": "synthetic" if args.synthetic
                     else f"cifar10 train, first {args.batch_size} images",
                     "normalisation": {"accuracy": 100.0, "params": max_params},
                     "reference_point": {"accuracy": args.ref_acc, "params": max_params}},
        "seeds": rows,
        "median_hypervolume": medians,
        "passed": passed,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(markdown(rows, medians, passed))
    print(f"\nwrote {out}")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
