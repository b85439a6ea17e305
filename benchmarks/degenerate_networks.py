"""NB201 networks whose output ignores the input: every proxy's value on them, and what the
engine's rule (such a network gets every proxy's worst value) changes in the whole-space table.

1. Each registered proxy on two degenerate cells (every path from the cell input to its output
   crosses ``none``) and two cells reached only through a skip or a pooling edge (the output
   depends on the input), on the first 64 CIFAR-10 training images, weights of seed 0; beside
   it the degenerate cells' values in the stored whole-space scores, computed before the rule.
2. The stored whole-space scores (``benchmarks/whole_space.py``, computed before the rule)
   re-evaluated with the rule applied: the degenerate rows set to -inf for every proxy. A row
   is degenerate when no path of non-``none`` edges joins the cell's input to its output;
   ``--verify N`` runs the engine's own verdict on those rows and N random others to confirm.

    python benchmarks/degenerate_networks.py --data-dir ../shared/data --verify 300
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
from whole_space import CRITERIA  # the table of benchmarks/whole_space.py

from naslib_zero.analysis.evaluation import evaluate_scores, read_score_files
from naslib_zero.engine import run_proxies
from naslib_zero.proxies import ProxyWarning, compute, list_proxies
from naslib_zero.scoring import BatchSettings, build_model, load_batches
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from search_spaces.nb201_cell import EDGES, NONE

CELLS = {
    "all-none": "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "dead conv": "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "skip path": "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
    "pool path": "|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|",
}


def output_ignores_input(arch: tuple[int, ...]) -> bool:
    """No path of non-``none`` edges from node 0 to node 3 of the cell."""
    reached = {0}
    for node in (1, 2, 3):
        if any(arch[e] != NONE and src in reached for e, (src, dst) in enumerate(EDGES)
               if dst == node):
            reached.add(node)
    return 3 not in reached


def proxy_table(space, batch, second, stored: dict[str, dict[str, float]]) -> None:
    values = {}
    for label, text in CELLS.items():
        model = build_model(space, space.from_str(text), batch, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProxyWarning)
            values[label] = compute(model, batch.inputs, batch.targets, "all",
                                    second_batch=(second.inputs, second.targets))
    print("| proxy | " + " | ".join(f"{c} before the rule" for c in stored) + " | " +
          " | ".join(CELLS) + " |")
    print("| --- " * (len(stored) + len(CELLS) + 1) + "|")
    for name in list_proxies():
        before = [f"{v[name]:.4g}" if name in v else "n/a" for v in stored.values()]
        print(f"| {name} | " + " | ".join(before) + " | " +
              " | ".join(f"{values[c][name]:.4g}" for c in CELLS) + " |")


def verify(space, archs: list[str], flagged: np.ndarray, others: int, batch) -> None:
    """The engine's verdict against the structural test on the flagged rows and a sample."""
    rng = np.random.RandomState(0)
    rows = np.flatnonzero(flagged).tolist()
    rows += rng.choice(np.flatnonzero(~flagged), others, replace=False).tolist()
    wrong = 0
    for i in rows:
        model = build_model(space, space.from_str(archs[i]), batch, seed=0)
        wrong += run_proxies(model, batch.inputs, batch.targets, []).input_dependent == flagged[i]
    print(f"engine verdict vs the structural test: {wrong} disagreements on "
          f"{int(flagged.sum())} degenerate and {others} other architectures")


def effect(scores: dict[str, np.ndarray], truth: np.ndarray, flagged: np.ndarray,
           label: str) -> None:
    """The quality table before and with the rule (degenerate rows -inf for every proxy)."""
    before = evaluate_scores(scores, truth)
    after = evaluate_scores({n: np.where(flagged, -np.inf, v) for n, v in scores.items()},
                            truth)
    print(f"\n{label}: {len(truth)} architectures, {int(flagged.sum())} degenerate; before -> "
          "with the rule")
    print("| proxy | " + " | ".join(CRITERIA) + " | -inf |")
    print("| --- " * (len(CRITERIA) + 2) + "|")
    for name, row in after.items():
        cells = [f"{row[c]:.3f}" if f"{row[c]:.3f}" == f"{before[name][c]:.3f}" else
                 f"{before[name][c]:.3f} -> {row[c]:.3f}" for c in CRITERIA]
        worst = (f"{int(row['n_worst'])}" if row["n_worst"] == before[name]["n_worst"] else
                 f"{int(before[name]['n_worst'])} -> {int(row['n_worst'])}")
        print(f"| {name} | " + " | ".join(cells) + f" | {worst} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--scores", default="benchmarks/results/nb201_cifar10_all")
    parser.add_argument("--verify", type=int, default=0, metavar="N")
    args = parser.parse_args()
    space = get_space("nb201")
    batch, second = load_batches(BatchSettings("cifar10", 64), args.data_dir)
    archs, scores = read_score_files(sorted(Path(args.scores).glob("shard-*.csv")))
    flagged = np.array([output_ignores_input(space.from_str(a)) for a in archs])
    stored = {cell: {n: float(v[archs.index(CELLS[cell])]) for n, v in scores.items()}
              for cell in ("all-none", "dead conv")}
    proxy_table(space, batch, second, stored)
    if args.verify:
        verify(space, archs, flagged, args.verify, batch)
    table = load_ground_truth("nb201", "cifar10", None, data_dir=args.data_dir)
    truth = table.sign * table.lookup_many([space.key(space.from_str(a)) for a in archs])
    values = {n: np.asarray(v) for n, v in scores.items()}
    effect(values, truth, flagged, "the whole space")
    protocol = np.random.RandomState(0).choice(len(archs), 1000, replace=False)
    effect({n: v[protocol] for n, v in values.items()}, truth[protocol], flagged[protocol],
           "the 1,000 protocol architectures (RandomState(0))")


if __name__ == "__main__":
    main()
