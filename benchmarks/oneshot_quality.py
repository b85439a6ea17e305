"""One-shot (supernet) ranking quality on NAS-Bench-201 against supernet epochs.

Trains each supernet variant on 80 % of the CIFAR-10 training images (single-path; the
variants: ``uniform`` sampling with affine BN, ``deiso`` sampling, ``noaffine`` BN) and scores
``--sample`` architectures (``numpy.random.RandomState(seed).choice(15625, N)``) by their
one-shot accuracy on the other 20 % at every ``--every``-th epoch checkpoint and by the
study's temporal ensemble (the supernet holding the weights averaged over the last
``--ensemble`` checkpoints). The recipe is the registered one-shot estimators' (SUPERNET_RECIPE:
learning rate, batch size, one validation batch of 128) with ``--epochs``. Prints,
per variant and checkpoint, the seven criteria against NB201's CIFAR-10 test accuracy and the
complexity-level bias of the last checkpoint (architectures in five parameter-count groups:
Kendall tau within each group and the mean ranking difference, true rank minus estimated rank
over the sample size, positive = overestimated); writes the criteria to
``<out>/oneshot-val<B>.csv`` and plots them against epochs (``<out>/oneshot-val<B>.png``), B
the number of validation batches.

    python benchmarks/oneshot_quality.py --space nb201:C=8 --sample 1000 --epochs 60

Resumable: supernet training resumes from its epoch checkpoints, and each checkpoint's scores
are stored beside it (``<checkpoint>.<archs hash>.npy``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from naslib_zero.analysis.evaluation import evaluate_scores
from naslib_zero.analysis.metrics import kendall
from naslib_zero.scoring import build_model
from naslib_zero.scoring import supernet as oneshot
from naslib_zero.scoring.estimators import SUPERNET_RECIPE, model_space
from naslib_zero.scoring.training import Recipe, load_training_data
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space

VARIANTS = {"uniform": ("uniform", True), "deiso": ("deiso", True),
            "noaffine": ("uniform", False), "deiso_noaffine": ("deiso", False)}
CRITERIA = ("pearson", "kendall", "spearman", "p@top5%", "p@bottom5%", "br@1%", "wr@1%")


def stored(path: Path, tag: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()``, kept beside ``path`` (as ``<path>.<tag>.npy``) and read from there."""
    file = path.with_name(f"{path.name}.{tag}.npy")
    if file.is_file():
        return np.load(file)
    scores = compute()
    np.save(file, scores)
    return scores


def complexity_bias(scores: np.ndarray, truth: np.ndarray, params: np.ndarray,
                    groups: int = 5) -> list[tuple[float, float, float]]:
    """Per parameter-count group (equal sizes, smallest first): (largest parameter count in
    millions, Kendall tau within the group, mean of (true rank - estimated rank) / n)."""
    n = len(scores)
    true_rank = np.argsort(np.argsort(-truth, kind="stable"), kind="stable")
    est_rank = np.argsort(np.argsort(-scores, kind="stable"), kind="stable")
    rows = []
    for members in np.array_split(np.argsort(params, kind="stable"), groups):
        rows.append((float(params[members].max()) / 1e6,
                     kendall(scores[members], truth[members]),
                     float(np.mean(true_rank[members] - est_rank[members])) / n))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nb201", help="nb201 with options, e.g. nb201:C=8")
    parser.add_argument("--variants", default="uniform,deiso,noaffine")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=SUPERNET_RECIPE.epochs)
    parser.add_argument("--every", type=int, default=10, help="score every N-th checkpoint")
    parser.add_argument("--ensemble", type=int, default=3)
    parser.add_argument("--val-batches", type=int, default=1,
                        help="validation batches of 128 images per score (0: all; default: 1)")
    parser.add_argument("--metric", default="accuracy", choices=oneshot.METRICS)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="runs/oneshot")
    args = parser.parse_args()

    space = get_space(args.space)
    network = model_space(space, {})
    rows = np.random.RandomState(args.seed).choice(space.size(), args.sample, replace=False)
    archs = [space.from_index(int(i)) for i in rows]
    table = load_ground_truth("nb201", "cifar10", None, data_dir=args.data_dir)
    truth = table.sign * table.lookup_many([space.key(a) for a in archs])
    data = load_training_data("cifar10", args.data_dir)
    recipe = replace(SUPERNET_RECIPE, epochs=args.epochs)
    args.val_batches = args.val_batches or None
    benchmark_net = get_space(space.name)  # the benchmark's own network sizes the groups
    params = np.array([sum(p.numel() for p in build_model(benchmark_net, a, "cifar10")
                           .parameters()) for a in archs], dtype=np.float64)
    val = args.val_batches or "all"
    results, biases = [], {}
    for variant in args.variants.split(","):
        rows_of = variant_scores(variant, space, network, archs, data, recipe, args)
        for name, row in evaluate_scores(rows_of, truth).items():
            results.append({"variant": variant, "checkpoint": name} |
                           {c: row[c] for c in CRITERIA})
        biases[variant] = complexity_bias(rows_of[f"epoch {args.epochs}"], truth, params)
    write_results(Path(args.out), f"oneshot-val{val}", results)
    print(f"{args.space}, {len(archs)} architectures, {args.epochs} epochs, one-shot "
          f"{args.metric} on {val} validation batches of {recipe.eval_batch_size}; ground "
          f"truth: {table.description}")
    print("| variant | checkpoint | " + " | ".join(CRITERIA) + " |")
    print("| --- " * (2 + len(CRITERIA)) + "|")
    for r in results:
        print(f"| {r['variant']} | {r['checkpoint']} | " +
              " | ".join(f"{r[c]:.3f}" for c in CRITERIA) + " |")
    print(f"complexity-level bias at epoch {args.epochs}: per parameter group (up to M params), "
          "Kendall tau within the group / mean ranking difference (positive: overestimated)")
    print("| variant | " + " | ".join(f"<= {m:.2f} M" for m, _, _ in
                                       next(iter(biases.values()))) + " |")
    print("| --- " * 6 + "|")
    for variant, rows in biases.items():
        print(f"| {variant} | " + " | ".join(f"{kd:.3f} / {rd:+.3f}" for _, kd, rd in rows) +
              " |")


def variant_scores(variant: str, space, network, archs, data, recipe: Recipe,
                   args: argparse.Namespace) -> dict[str, np.ndarray]:
    """Train (or resume) one variant's supernet and score ``archs`` at the chosen epochs,
    with the weight ensemble of the last ``--ensemble`` checkpoints and their score mean."""
    sampling, affine = VARIANTS[variant]

    def build() -> oneshot.NB201Supernet:
        return oneshot.NB201Supernet(data.num_classes, network.C, network.N, bn_affine=affine)

    def score(supernet: oneshot.NB201Supernet) -> np.ndarray:
        return oneshot.evaluate_archs(supernet, archs, data, recipe,
                                      val_batches=args.val_batches, metric=args.metric)

    def at(path: Path) -> np.ndarray:
        supernet = build()
        oneshot.load_weights(supernet, path)
        return score(supernet)

    label = f"{space.ref.label}-{variant}-e{args.epochs}-s{args.seed}".replace(":", "_")
    start = time.perf_counter()
    checkpoints = oneshot.train_supernet(build(), data, recipe,
                                         oneshot.ArchSampler(space, sampling, args.seed),
                                         Path(args.out) / label, seed=args.seed,
                                         show_progress=True)
    trained = time.perf_counter() - start
    last = checkpoints[-args.ensemble:]
    chosen = [e for e in range(1, args.epochs + 1) if e % args.every == 0 or e == args.epochs]
    tag = hashlib.sha256(repr((archs, args.val_batches, args.metric)).encode()).hexdigest()[:12]
    start = time.perf_counter()
    rows_of = {f"epoch {e}": stored(checkpoints[e - 1], tag,
                                    lambda e=e: at(checkpoints[e - 1])) for e in chosen}
    rows_of[f"weight ensemble of the last {len(last)}"] = stored(
        last[-1], f"{tag}.ensemble{len(last)}",
        lambda: score(oneshot.average_weights(build(), last)))
    evaluated = time.perf_counter() - start
    print(f"{variant}: supernet training {trained:.0f} s this run (0 = resumed), scoring "
          f"{evaluated / ((len(chosen) + 1) * len(archs)):.3f} s per architecture and "
          f"checkpoint this run (0 = stored)")
    return rows_of


def write_results(out: Path, name: str, results: list[dict]) -> None:
    """The criteria as ``<name>.csv`` and a plot of four of them against supernet epochs
    (``<name>.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with (out / f"{name}.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(results[0]))
        writer.writeheader()
        writer.writerows(results)
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), dpi=120)
    for ax, criterion in zip(axes, ("kendall", "spearman", "p@top5%", "br@1%"), strict=True):
        for variant in dict.fromkeys(r["variant"] for r in results):
            points = [(int(r["checkpoint"].split()[1]), r[criterion]) for r in results
                      if r["variant"] == variant and r["checkpoint"].startswith("epoch")]
            line, = ax.plot(*zip(*points, strict=True), marker="o", label=variant)
            ensemble = [r[criterion] for r in results if r["variant"] == variant
                        and r["checkpoint"].startswith("weight ensemble")]
            ax.plot([points[-1][0]], ensemble, marker="*", markersize=11, linestyle="",
                    color=line.get_color())
        ax.set_xlabel("supernet epoch (star: weight ensemble)")
        ax.set_title(criterion)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / f"{name}.png")
    plt.close(fig)


if __name__ == "__main__":
    main()
