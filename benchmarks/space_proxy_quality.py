"""Ranking quality of every proxy on the architectures of one benchmark table of any space.

The architectures are the table's rows (all of them, or ``--sample N`` drawn with
``numpy.random.RandomState(seed).choice``), scored on one batch of the first ``--batch-size``
images of the dataset's default split (ImageNet: the shared sample), ranked against the
table's metric. Prints Spearman, Kendall and P@top-5 % / 10 % per proxy next to published
values where given, and the scoring cost per architecture against one forward+backward of the
same model.

    python benchmarks/space_proxy_quality.py --space nb101 --benchmark naslib --batch-size 16
    python benchmarks/space_proxy_quality.py --space nb101 --benchmark nb101 --sample 1000 \\
        --batch-size 16
    python benchmarks/space_proxy_quality.py --space nats_sss --sample 1000 --dataset cifar10
    python benchmarks/space_proxy_quality.py --space darts:preset=swap --batch-size 16
    python benchmarks/space_proxy_quality.py --space nb301:preset=naslib --batch-size 16
    python benchmarks/space_proxy_quality.py --space nds_resnext-a --batch-size 16
    python benchmarks/space_proxy_quality.py --space nb201 --sample 200 \\
        --proxies all,econas --epochs 2

Names of estimators that train (``econas``, ``reduced_channels``, ``oneshot``, ...) may stand
in ``--proxies`` beside the proxies; ``--epochs`` sets their training epochs. The cost printed
per name is the mean of the seconds the cache recorded with each value (for the proxies: the
whole suite's per architecture).

Scores go through the SQLite cache (``--cache``): a rerun or an interrupted run computes only
what is missing, and two runs over overlapping architectures share their scores.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import torch

from naslib_zero.analysis.evaluation import evaluate_scores, write_scores
from naslib_zero.cli.options import add_executor_arguments, executor_from_args
from naslib_zero.scoring import (
    BatchSettings,
    ScoreCache,
    build_model,
    load_batches,
    score_architectures,
    settings_key,
)
from naslib_zero.scoring.estimators import get_estimator, is_estimator
from naslib_zero.scoring.training import load_training_data
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space

# Published Spearman rho per (space, dataset): NB101 from the zero-cost proxies paper
# (Abdelfattah et al., ICLR 2021, NAS-Bench-101 CIFAR-10 column); NATS-sss from the ZiCo paper
# (Li et al., ICLR 2023, appendix Table 3, NATSBench-SSS, test accuracy); NB301 from
# NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022 Datasets and Benchmarks, NB301
# CIFAR-10; snip, grad_norm and jacob_cov are "about 0" there); DARTS-1000 from SWAP (Peng et
# al., ICLR 2024 and TPAMI 2026: SWAP-Score, 32 Gaussian re-initialisations, batch 16).
PUBLISHED = {
    ("nb101", "cifar10"): {"synflow": 0.37, "jacob_cov": 0.38, "grasp": 0.45, "snip": 0.16,
                           "grad_norm": 0.20, "fisher": 0.26},
    ("nats_sss", "cifar10"): {"grad_norm": 0.51, "snip": 0.59, "grasp": -0.13, "fisher": 0.44,
                              "synflow": 0.81, "nwot": 0.63, "zen": 0.69, "flops": 0.28,
                              "params": 0.72, "zico": 0.73},
    ("nats_sss", "ImageNet16-120"): {"grad_norm": 0.67, "snip": 0.76, "grasp": 0.42,
                                     "fisher": 0.47, "synflow": 0.57, "nwot": 0.59, "zen": 0.87,
                                     "flops": 0.53, "params": 0.84, "zico": 0.88},
    ("nb301", "cifar10"): {"params": 0.51, "flops": 0.47, "l2_norm": 0.50, "grasp": 0.30,
                           "synflow": 0.22, "snip": 0.0, "grad_norm": 0.0, "jacob_cov": 0.0,
                           "fisher": -0.31},
    ("darts", "cifar10"): {"swap": 0.93},
}


def forward_backward_seconds(space, archs, batch, repeats: int = 5) -> float:
    """Mean seconds of one CE forward+backward over the first ``repeats`` architectures."""
    times = []
    for arch in archs[:repeats]:
        model = build_model(space, arch, batch, 0).train()
        start = time.perf_counter()
        torch.nn.functional.cross_entropy(model(batch.inputs), batch.targets).backward()
        times.append(time.perf_counter() - start)
    return float(np.mean(times))


def recorded_seconds(cache: ScoreCache, space, archs, names, settings, batch,
                     args) -> dict[str, float]:
    """Mean seconds per architecture the cache recorded for each name (proxies: the suite)."""
    owner = space.ref.label if space.ref else space.name
    texts = [space.to_str(a) for a in archs]
    costs = {}
    for name in names:
        if is_estimator(name):
            data = load_training_data(batch.dataset, args.data_dir)
            skey, batch_key = get_estimator(name, args.epochs).settings_key(), data.fingerprint
        else:
            skey, batch_key = settings_key(settings, name), batch.hash
        found = [cache.seconds((owner, t, batch_key, args.seed), name, skey) for t in texts]
        found = [f for f in found if f is not None]
        if found:
            costs[name] = float(np.mean(found))
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nb101",
                        help="space name with options, e.g. nb301:preset=naslib")
    parser.add_argument("--benchmark", default=None)
    parser.add_argument("--metric", default=None)
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--split", default=None,
                        help="split the batch comes from (default: the dataset's)")
    parser.add_argument("--sample", type=int, default=None, help="rows (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--proxies", default="all")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of the estimators in --proxies")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--cache", default="runs/quality.sqlite")
    parser.add_argument("--out", default="runs")
    add_executor_arguments(parser, "score")
    args = parser.parse_args()

    space = get_space(args.space)
    spec = space.dataset(args.dataset)
    table = load_ground_truth(space.name, spec.name, args.metric, data_dir=args.data_dir,
                              benchmark=args.benchmark)
    rows = np.arange(len(table)) if args.sample is None or args.sample >= len(table) else \
        np.random.RandomState(args.seed).choice(len(table), args.sample, replace=False)
    archs = [space.from_str(table.archs[i]) for i in rows]
    settings = BatchSettings(spec.name, args.batch_size, split=args.split)
    batch, second = load_batches(settings, args.data_dir, spec)
    cache = ScoreCache(args.cache)
    with executor_from_args(args) as executor:
        run = score_architectures(space, archs, args.proxies, batch, second_batch=second,
                                  seed=args.seed, settings=settings, cache=cache,
                                  executor=executor, data_dir=args.data_dir,
                                  epochs=args.epochs)
    costs = recorded_seconds(cache, space, archs, run.proxies, settings, batch, args)
    cache.close()
    truth = table.sign * table.values[rows]
    label = re.sub(r"[^A-Za-z0-9_-]+", "-", space.ref.label if space.ref else space.name)
    name = f"{label}_{table.benchmark}_{spec.name}_{len(rows)}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_scores(out / f"quality_{name}.csv", [space.to_str(a) for a in archs], run.scores)
    report = evaluate_scores({n: np.asarray(v) for n, v in run.scores.items()}, truth)
    (out / f"quality_{name}.json").write_text(json.dumps(report, indent=2))

    published = PUBLISHED.get((space.name, spec.name), {})
    print(f"{space.name}, {len(rows)} architectures of the {table.name} table, batch of "
          f"{args.batch_size} ({spec.name} {args.split}, first images); ground truth: "
          f"{table.description}")
    print("| proxy | Spearman | Kendall | Pearson | P@top-5% | P@top-10% | P@bottom-5% | "
          "BR@1% | WR@1% | -inf | s/arch | published Spearman |")
    print("| --- " * 12 + "|")
    for proxy, row in report.items():
        ref, cost = published.get(proxy), costs.get(proxy)
        print(f"| {proxy} | {row['spearman']:.3f} | {row['kendall']:.3f} | "
              f"{row['pearson']:.3f} | {row['p@top5%']:.3f} | {row['p@top10%']:.3f} | "
              f"{row['p@bottom5%']:.3f} | {row['br@1%']:.3f} | {row['wr@1%']:.3f} | "
              f"{int(row['n_worst'])} | {'' if cost is None else f'{cost:.2f}'} | "
              f"{'' if ref is None else f'{ref:.2f}'} |")
    if run.computed:
        floor = forward_backward_seconds(space, archs, batch)
        per_arch = run.seconds / run.computed
        print(f"cost: {per_arch:.2f} s per architecture for {len(run.proxies)} proxies "
              f"= {per_arch / floor:.2f}x one forward+backward ({floor:.2f} s, batch "
              f"{args.batch_size}, {torch.get_num_threads()} thread(s))")


if __name__ == "__main__":
    main()
