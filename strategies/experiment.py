"""Many seeds of one search configuration: trajectories, summary statistics and the plot.

Used by ``naslib-zero search`` and the notebooks. A run is ground-truth search (the oracle is
a benchmark table, or any callable) or zero-shot search (the oracle is the proxy itself and
no ground truth is queried; the table, when present, only reports the result afterwards).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from naslib_zero.core.errors import InvalidArgumentError
from naslib_zero.core.progress import Progress
from search_spaces.base import Arch, SearchSpace
from strategies import get_strategy
from strategies.loop import SearchResult, run_search
from strategies.zero_cost import ProxyScorer

CHECKPOINTS = (10, 50, 100, 300)  # best@k reported for each k within the budget, and the budget


@dataclass(frozen=True)
class SearchConfig:
    """One search configuration, e.g. RE+W+M with synflow."""

    strategy: str
    budget: int = 300
    warmup: int = 0
    move: bool = False
    zero_shot: bool = False
    options: tuple[tuple[str, object], ...] = ()  # extra strategy keyword arguments

    def __post_init__(self) -> None:
        if self.budget < 1:
            raise InvalidArgumentError(f"budget must be >= 1, got {self.budget}")
        if self.warmup < 0:
            raise InvalidArgumentError(f"warmup must be >= 0, got {self.warmup}")

    @property
    def label(self) -> str:
        suffix = ("+W" if self.warmup else "") + ("+M" if self.move else "")
        return self.strategy.upper() + suffix + (" (zero-shot)" if self.zero_shot else "")


def run_seeds(space: SearchSpace, config: SearchConfig, seeds: Sequence[int],
              oracle: Callable[[Arch], float] | None,
              make_scorer: Callable[[], ProxyScorer] | None = None, *,
              show_progress: bool = True) -> list[SearchResult]:
    """Run ``config`` once per seed. Zero-shot runs use the scorer as their oracle. The
    progress display counts queries over all seeds."""
    results = []
    total = len(seeds) * config.budget
    shown = Progress(total, config.label, "queries") if show_progress else None
    with shown or nullcontext():
        for seed in seeds:
            scorer = make_scorer() if make_scorer else None
            objective = oracle
            if config.zero_shot:
                objective = lambda arch, s=scorer: float(s([arch])[0])  # noqa: E731
            strategy = get_strategy(config.strategy, space, seed=seed, **dict(config.options))
            results.append(run_search(
                space, strategy, objective, budget=config.budget, seed=seed, scorer=scorer,
                warmup=config.warmup, move=config.move,
                on_query=shown.update if shown else None))
    return results


def write_trajectories(path: str | Path, results: Sequence[SearchResult], *,
                       value_name: str = "accuracy") -> None:
    """``seed, query, arch, <value_name>, best_so_far, proxy_evals, seconds`` per query;
    ``value_name`` names what the oracle returned (``accuracy``, ``proxy_value``)."""
    with Path(path).open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("seed", "query", "arch", value_name, "best_so_far", "proxy_evals",
                         "seconds"))
        for r in results:
            for q in r.queries:
                writer.writerow([r.seed, q.query, q.arch, q.value, q.best_so_far,
                                 q.proxy_evals, round(q.seconds, 4)])


def best_curves(results: Sequence[SearchResult]) -> np.ndarray:
    """(seeds, queries) best value so far after each query; a search that stopped early
    (its space ran out) keeps its last best to the longest one's length."""
    length = max(len(r.queries) for r in results)
    return np.array([[q.best_so_far for q in r.queries]
                     + [r.queries[-1].best_so_far] * (length - len(r.queries))
                     for r in results])


def queries_to_reach(results: Sequence[SearchResult], threshold: float) -> list[float]:
    """Per seed, the first query whose best-so-far reaches ``threshold`` (inf if never)."""
    out = []
    for r in results:
        hit = next((q.query for q in r.queries if q.best_so_far >= threshold), math.inf)
        out.append(float(hit))
    return out


def summarize(results: Sequence[SearchResult], *, top_threshold: float | None = None,
              checkpoints: Sequence[int] = CHECKPOINTS) -> dict[str, object]:
    """Median and quartiles of best-so-far at the checkpoints within the budget and at the
    budget itself, queries to the top 1 %, costs, and the seeds that stopped early."""
    curves = best_curves(results)
    budget = curves.shape[1]
    summary: dict[str, object] = {"seeds": len(results), "budget": budget}
    for k in sorted({k for k in checkpoints if k <= budget} | {budget}):
        q1, med, q3 = np.percentile(curves[:, k - 1], [25, 50, 75])
        summary[f"best@{k}"] = {"median": med, "q25": q1, "q75": q3}
    if top_threshold is not None:
        hits = queries_to_reach(results, top_threshold)
        summary["top1%_threshold"] = top_threshold
        median = float(np.median(hits))  # inf when most seeds never got there
        summary["queries_to_top1%_median"] = median if math.isfinite(median) else None
        summary["reached_top1%"] = int(np.isfinite(hits).sum())
    summary["proxy_evals_median"] = float(np.median([r.queries[-1].proxy_evals for r in results]))
    summary["repeats_median"] = float(np.median([r.repeats for r in results]))
    summary["seconds_median"] = float(np.median([r.queries[-1].seconds for r in results]))
    stopped = [{"seed": r.seed, "queries": len(r.queries), "reason": r.stopped}
               for r in results if r.stopped]
    if stopped:
        summary["stopped_early"] = stopped
    return summary


def plot_best_vs_queries(curves: dict[str, np.ndarray], path: str | Path,
                         ylabel: str = "best accuracy so far (%)",
                         xlabel: str = "ground-truth queries") -> None:
    """Median and inter-quartile band over seeds, one line per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for label, c in curves.items():
        x = np.arange(1, c.shape[1] + 1)
        q1, med, q3 = np.percentile(c, [25, 50, 75], axis=0)
        ax.plot(x, med, label=label)
        ax.fill_between(x, q1, q3, alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xscale("log")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
