"""One-shot (supernet) ranking quality on NAS-Bench-201 against supernet epochs.

Trains each supernet variant on 80 % of the CIFAR-10 training images (single-path; the
variants: ``uniform`` sampling with affine BN, ``deiso`` sampling, ``noaffine`` BN) and scores
``--sample`` architectures (``numpy.random.RandomState(seed).choice(15625, N)``) by their
one-shot accuracy on the other 20 % at every ``--every``-th epoch checkpoint, plus a temporal
ensemble of the last ``--ensemble`` checkpoints at the end. Prints, per variant and epoch, the
seven criteria against NB201's CIFAR-10 test accuracy, writes them to ``<out>/oneshot.csv`` and
plots them against epochs (``<out>/oneshot_vs_epochs.png``).

    python benchmarks/oneshot_quality.py --space nb201:C=8 --sample 200 --epochs 10

Resumable: supernet training resumes from its epoch checkpoints, and each checkpoint's scores
are stored beside it (``<checkpoint>.<archs hash>.npy``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import time
from pathlib import Path

import numpy as np

from naslib_zero import supernet as oneshot
from naslib_zero.estimators import model_space
from naslib_zero.evaluation import evaluate_scores
from naslib_zero.tables import load_ground_truth
from naslib_zero.training import Recipe, load_training_data
from search_spaces import get_space

VARIANTS = {"uniform": ("uniform", True), "deiso": ("deiso", True),
            "noaffine": ("uniform", False), "deiso_noaffine": ("deiso", False)}
CRITERIA = ("pearson", "kendall", "spearman", "p@top5%", "p@bottom5%", "br@1%", "wr@1%")


def checkpoint_scores(path: Path, build, archs, data, recipe, args) -> np.ndarray:
    """One checkpoint's one-shot scores of ``archs``, computed once and kept beside it."""
    tag = hashlib.sha256(repr((archs, args.val_batches, args.metric)).encode()).hexdigest()[:12]
    stored = path.with_name(f"{path.name}.{tag}.npy")
    if stored.is_file():
        return np.load(stored)
    supernet = build()
    oneshot.load_weights(supernet, path)
    scores = oneshot.evaluate_archs(supernet, archs, data, recipe, val_batches=args.val_batches,
                                    metric=args.metric)
    np.save(stored, scores)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="nb201", help="nb201 with options, e.g. nb201:C=8")
    parser.add_argument("--variants", default="uniform,deiso,noaffine")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--every", type=int, default=2, help="score every N-th checkpoint")
    parser.add_argument("--ensemble", type=int, default=3)
    parser.add_argument("--val-batches", type=int, default=None,
                        help="validation batches of 256 images per score (default: all)")
    parser.add_argument("--metric", default="accuracy", choices=oneshot.METRICS)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
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
    recipe = Recipe(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr)
    out = Path(args.out)
    results = []
    for variant in args.variants.split(","):
        sampling, affine = VARIANTS[variant]

        def build(affine: bool = affine) -> oneshot.NB201Supernet:
            return oneshot.NB201Supernet(data.num_classes, network.C, network.N,
                                         bn_affine=affine)

        label = f"{space.ref.label}-{variant}-e{args.epochs}-s{args.seed}".replace(":", "_")
        start = time.perf_counter()
        checkpoints = oneshot.train_supernet(
            build(), data, recipe, oneshot.ArchSampler(space, sampling, args.seed),
            out / label, seed=args.seed, show_progress=True)
        trained = time.perf_counter() - start
        chosen = [e for e in range(1, args.epochs + 1)
                  if e % args.every == 0 or e > args.epochs - args.ensemble]
        start = time.perf_counter()
        scores = {e: checkpoint_scores(checkpoints[e - 1], build, archs, data, recipe, args)
                  for e in chosen}
        evaluated = time.perf_counter() - start
        rows_of = {f"epoch {e}": s for e, s in scores.items() if e % args.every == 0}
        last = [scores[e] for e in chosen if e > args.epochs - args.ensemble]
        rows_of[f"ensemble of the last {len(last)}"] = np.mean(last, axis=0)
        report = evaluate_scores(rows_of, truth)
        for name, row in report.items():
            results.append({"variant": variant, "checkpoint": name} |
                           {c: row[c] for c in CRITERIA})
        print(f"{variant}: supernet training {trained:.0f} s this run (0 = resumed), scoring "
              f"{evaluated / max(1, len(chosen) * len(archs)):.3f} s per architecture and "
              f"checkpoint this run (0 = stored)")
    write_results(out, results)
    print(f"{args.space}, {len(archs)} architectures, {args.epochs} epochs, one-shot "
          f"{args.metric} on {args.val_batches or 'all'} validation batches; ground truth: "
          f"{table.description}")
    print("| variant | checkpoint | " + " | ".join(CRITERIA) + " |")
    print("| --- " * (2 + len(CRITERIA)) + "|")
    for r in results:
        print(f"| {r['variant']} | {r['checkpoint']} | " +
              " | ".join(f"{r[c]:.3f}" for c in CRITERIA) + " |")


def write_results(out: Path, results: list[dict]) -> None:
    """The criteria as CSV and a plot of four of them against supernet epochs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with (out / "oneshot.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(results[0]))
        writer.writeheader()
        writer.writerows(results)
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), dpi=120)
    for ax, criterion in zip(axes, ("kendall", "spearman", "p@top5%", "br@1%"), strict=True):
        for variant in dict.fromkeys(r["variant"] for r in results):
            points = [(int(r["checkpoint"].split()[1]), r[criterion]) for r in results
                      if r["variant"] == variant and r["checkpoint"].startswith("epoch")]
            ax.plot(*zip(*points, strict=True), marker="o", label=variant)
        ax.set_xlabel("supernet epoch")
        ax.set_title(criterion)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out / "oneshot_vs_epochs.png")
    plt.close(fig)


if __name__ == "__main__":
    main()
