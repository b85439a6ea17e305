"""Sample efficiency of search strategies with and without zero-cost warm-start / move proposal.

The protocol of the zero-cost proxies paper (Abdelfattah et al., ICLR 2021): NB201, budget 300
ground-truth queries, aging evolution with population 64 and tournament 10, warm-up pool of
3,000 architectures, synflow (computed for real, data-free, through the score cache), 50 seeds.

    python benchmarks/search_efficiency.py --datasets cifar100,cifar10 --seeds 50 \\
        --configs re,re+w,re+m --data-dir ../shared/data

Any space and benchmark: ``--space nb101 --metric val --budget 150 --checkpoints 50,100,150``
searches NB101 restricted to its 30k table (top 1 % of the table).

Prints, per dataset and configuration, the median (and IQR) best value after each checkpoint
and the median number of queries to reach the top 1 % of the table, with the
checks "RE+W and RE+M beat RE"; ``re+m:proposals=1`` is the paper notebook's RE+M, whose random
initial population is not pruned. Writes JSON and a best-vs-queries plot per dataset to --out,
and after every seed ``partial_<dataset>_<config>.json`` with the seeds done so far.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

import numpy as np

from naslib_zero.cli.options import add_executor_arguments, executor_from_args
from naslib_zero.scoring import BatchSettings, ScoreCache, load_batches
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from strategies.experiment import (
    SearchConfig,
    best_curves,
    plot_best_vs_queries,
    run_seeds,
    summarize,
)
from strategies.oracle import TableOracle
from strategies.runner import search_space_for, top_threshold
from strategies.zero_cost import ProxyScorer


def parse_config(text: str, budget: int, warmup: int) -> SearchConfig:
    """``re``, ``re+w``, ``re+m``, ``re+w+m`` (any strategy name) -> a SearchConfig; strategy
    options may follow, each after a colon: ``re+m:proposals=1``."""
    head, *options = text.lower().split(":")
    name, *flags = head.split("+")
    pairs = tuple((key, ast.literal_eval(value))
                  for key, value in (option.split("=", 1) for option in options))
    return SearchConfig(name, budget, warmup if "w" in flags else 0, "m" in flags, options=pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nb201")
    parser.add_argument("--benchmark", default=None)
    parser.add_argument("--metric", default="test")
    parser.add_argument("--checkpoints", default="50,100",
                        help="query counts to report (the budget is always reported)")
    parser.add_argument("--datasets", default="cifar100,cifar10")
    parser.add_argument("--configs", default="re,re+w,re+m")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=3000)
    parser.add_argument("--proxy", default="synflow")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--cache", default="runs/search.sqlite")
    parser.add_argument("--out", default="runs/search_efficiency")
    add_executor_arguments(parser, "score the warm-up pools")
    args = parser.parse_args()

    full = get_space(args.space)
    checkpoints = tuple(int(k) for k in args.checkpoints.split(",")) + (args.budget,)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = ScoreCache(args.cache)
    executor = executor_from_args(args)
    report: dict[str, dict] = {}
    for dataset in args.datasets.split(","):
        spec = full.dataset(dataset)
        table = load_ground_truth(full.name, spec.name, args.metric, data_dir=args.data_dir,
                                  benchmark=args.benchmark)
        space = search_space_for(full, table, zero_shot=False)
        threshold = top_threshold(table)
        batch, _ = load_batches(BatchSettings("synthetic", 64), dataset=spec)
        scorer = ProxyScorer(space, args.proxy, batch, cache=cache, executor=executor)

        def fresh_scorer(s: ProxyScorer = scorer) -> ProxyScorer:
            s.evaluations = 0  # one shared memo, a count per seed
            return s

        curves, report[dataset] = {}, {}
        for text in args.configs.split(","):
            config = parse_config(text, args.budget, args.warmup)
            label = text.upper()  # RE+M and RE+M:PROPOSALS=1 are both "RE+M" configs
            results = []
            for seed in range(args.seeds):  # the summary so far survives an interruption
                results += run_seeds(space, config, [seed], TableOracle(space, table),
                                     fresh_scorer)
                partial = summarize(results, top_threshold=threshold, checkpoints=checkpoints)
                (out / f"partial_{dataset}_{label}.json").write_text(
                    json.dumps(partial, indent=2, default=float))
            curves[label] = best_curves(results)
            report[dataset][label] = summarize(results, top_threshold=threshold,
                                                      checkpoints=checkpoints)
        plot_best_vs_queries(curves, out / f"best_vs_queries_{dataset}.png",
                             f"best {dataset} {table.metric} so far ({table.unit})")
    cache.close()
    executor.close()
    (out / "summary.json").write_text(json.dumps(report, indent=2, default=float))
    print_table(report)


def print_table(report: dict[str, dict]) -> None:
    first = next(iter(next(iter(report.values())).values()))
    points = [k for k in first if k.startswith("best@")]
    print("| dataset | config | " + " | ".join(f"{k} median (IQR)" for k in points) +
          " | queries to top 1% (median) | seeds reaching it | proxy evals (median) |")
    print("| --- | --- | " + "--- | " * len(points) + "--- | --- | --- |")
    for dataset, rows in report.items():
        for label, s in rows.items():
            cells = " | ".join(f"{s[k]['median']:.2f} ({s[k]['q25']:.2f}-{s[k]['q75']:.2f})"
                               for k in points)
            q = s["queries_to_top1%_median"]
            print(f"| {dataset} | {label} | {cells} | "
                  f"{'not reached' if q is None else f'{q:g}'} | "
                  f"{s['reached_top1%']}/{s['seeds']} "
                  f"| {int(s['proxy_evals_median'])} |")
        base = rows.get("RE")
        for label in ("RE+W", "RE+M"):
            if base is None or label not in rows:
                continue
            s = rows[label]
            wins = [bool(s[k]["median"] > base[k]["median"]) for k in ("best@50", "best@100")]
            fewer = (s["queries_to_top1%_median"] or np.inf) < (base["queries_to_top1%_median"]
                                                                 or np.inf)
            verdict = "PASS" if all(wins) and fewer else "FAIL"
            print(f"- {dataset}: {label} vs RE: higher median at 50 and 100 queries "
                  f"{wins}, fewer queries to top 1% {fewer}: {verdict}")


if __name__ == "__main__":
    main()
