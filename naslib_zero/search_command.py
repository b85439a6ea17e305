"""``naslib-zero search``: build oracle and proxy scorer from the arguments, run the seeds,
write ``trajectories.csv``, ``summary.json``, ``best_vs_queries.png`` (and ``pareto.csv``)."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from naslib_zero.errors import DataNotFoundError, InvalidArgumentError, UnknownNameError
from naslib_zero.estimators import is_estimator, training_estimators
from naslib_zero.executors import Executor, executor_from_args
from naslib_zero.paths import score_cache_path
from naslib_zero.progress import progress
from naslib_zero.scoring import BatchSettings, PendingScoreCache, ScoreCache, load_batches
from naslib_zero.tables import GroundTruth, load_ground_truth
from search_spaces import get_space
from search_spaces.base import SYNTHETIC, DatasetSpec, SearchSpace
from search_spaces.restricted import RestrictedSpace
from strategies.experiment import (
    SearchConfig,
    best_curves,
    plot_best_vs_queries,
    run_seeds,
    summarize,
    write_trajectories,
)
from strategies.loop import SearchResult
from strategies.oracle import TableOracle, TrainingOracle
from strategies.zero_cost import ProxyScorer, parse_proxy


def _scorer_factory(args: argparse.Namespace, space: SearchSpace, dataset: DatasetSpec,
                    cache: ScoreCache | None, executor: Executor | None = None):
    if not args.proxy:
        if args.warmup or args.move or args.zero_shot:
            raise InvalidArgumentError("--warmup, --move and --zero-shot need --proxy")
        return None
    if args.zero_shot and parse_proxy(args.proxy)[0] != "single":
        raise InvalidArgumentError("zero-shot search needs one proxy (ensembles are relative)")
    if args.scores:
        return lambda: ProxyScorer(space, args.proxy, table=args.scores)
    name = SYNTHETIC if args.proxy_data == SYNTHETIC else dataset.name
    batch, second = load_batches(BatchSettings(name, args.batch_size, split=args.split),
                                 args.data_dir, dataset)
    return lambda: ProxyScorer(space, args.proxy, batch, second_batch=second, cache=cache,
                               executor=executor, device=args.device, data_dir=args.data_dir,
                               epochs=args.epochs)


def _table(args: argparse.Namespace, space: str, dataset: DatasetSpec) -> GroundTruth | None:
    try:
        return load_ground_truth(space, dataset.name, args.metric, data_dir=args.data_dir,
                                 benchmark=args.benchmark)
    except DataNotFoundError:
        if args.zero_shot or trains(args):  # the search itself needs no ground truth
            return None
        raise


def trains(args: argparse.Namespace) -> bool:
    """Whether the oracle trains architectures (``--oracle train``) instead of a table."""
    if args.oracle != "table" and not is_estimator(args.oracle):
        raise UnknownNameError(f"unknown --oracle {args.oracle!r}; use table or a training "
                               f"estimator: {', '.join(training_estimators())}")
    return args.oracle != "table"


def needs_cache(args: argparse.Namespace) -> bool:
    """Proxies computed now or trainings: both are stored in the score cache."""
    return bool(args.proxy and not args.scores) or trains(args)


def search_space_for(space: SearchSpace, table: GroundTruth | None, zero_shot: bool,
                     ) -> SearchSpace:
    """The space a search runs on: restricted to ``table`` when the table is the oracle and
    does not cover the whole space."""
    if zero_shot or table is None or len(table) == space.size():
        return space
    return RestrictedSpace(space, table)


@dataclass
class SearchSetup:
    """Everything one seed of ``naslib-zero search`` needs, built from the arguments."""

    space: SearchSpace
    dataset: DatasetSpec
    table: GroundTruth | None
    config: SearchConfig
    oracle: TableOracle | TrainingOracle | None
    make_scorer: Callable[[], ProxyScorer] | None
    cache: ScoreCache | None  # the proxies' score cache, when they are computed


def build_setup(args: argparse.Namespace, cache: ScoreCache | None,
                executor: Executor | None = None) -> SearchSetup:
    space = get_space(args.space)
    dataset = space.dataset(args.dataset)
    table = _table(args, space.name, dataset)
    space = search_space_for(space, table, args.zero_shot or trains(args))
    make_scorer = _scorer_factory(args, space, dataset, cache, executor)
    config = SearchConfig(args.strategy, args.budget, args.warmup, args.move, args.zero_shot)
    oracle: TableOracle | TrainingOracle | None = None
    if trains(args) and not args.zero_shot:
        oracle = TrainingOracle(space, dataset.name, args.epochs, estimator=args.oracle,
                                cache=cache, data_dir=args.data_dir, device=args.device)
    elif table is not None:
        oracle = TableOracle(space, table)
    return SearchSetup(space, dataset, table, config, oracle, make_scorer, cache)


_WORKER_SETUPS: dict[str, SearchSetup] = {}  # one per argument set, in each worker process


def run_seed(args: argparse.Namespace, seed: int) -> tuple[SearchResult, list[tuple]]:
    """One seed in a worker: the search result and the score-cache rows it computed, which
    the parent writes (workers only read the cache)."""
    signature = repr(sorted(vars(args).items()))
    if signature not in _WORKER_SETUPS:
        cache = PendingScoreCache(score_cache_path(args.cache)) if needs_cache(args) else None
        _WORKER_SETUPS[signature] = build_setup(args, cache)
    setup = _WORKER_SETUPS[signature]
    start = len(_pending_rows(setup))
    (result,) = run_seeds(setup.space, setup.config, [seed], setup.oracle, setup.make_scorer,
                          show_progress=False)
    return result, _pending_rows(setup)[start:]


def _pending_rows(setup: SearchSetup) -> list[tuple]:
    return setup.cache.rows if isinstance(setup.cache, PendingScoreCache) else []


def run_all_seeds(args: argparse.Namespace, setup: SearchSetup, cache: ScoreCache | None,
                  executor: Executor) -> list[SearchResult]:
    """Seeds 0..N-1, in this process or spread over ``executor``'s workers (each seed's
    result is the one a serial run of that seed gives)."""
    seeds = range(args.seeds)
    if executor.workers == 1 or args.seeds == 1:
        return run_seeds(setup.space, setup.config, seeds, setup.oracle, setup.make_scorer)
    results = {}
    for result, rows in progress(executor.map(run_seed, args, seeds), total=len(seeds),
                                 desc=setup.config.label):
        if cache is not None:
            cache.put_rows(rows)
        results[result.seed] = result
    return [results[seed] for seed in seeds]


def search(args: argparse.Namespace) -> None:
    cache = ScoreCache(score_cache_path(args.cache)) if needs_cache(args) else None
    with executor_from_args(args) as executor:
        # several seeds: the seeds run in parallel; one seed: its proxy pools do
        pools = executor if args.seeds == 1 else None
        setup = build_setup(args, cache, pools)
        space, dataset, table, config = setup.space, setup.dataset, setup.table, setup.config
        if isinstance(space, RestrictedSpace):
            print(f"searching the {len(space)} architectures of the {table.name} table")
        results = run_all_seeds(args, setup, cache, executor)
    if cache is not None:
        cache.close()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_trajectories(out / "trajectories.csv", results)
    summary: dict[str, object] = {"config": config.label, "space": args.space,
                                  "dataset": dataset.name, "proxy": args.proxy}
    if table is not None:
        summary |= {"benchmark": table.benchmark, "metric": table.metric,
                    "architectures_searched": space.size()}
    if args.zero_shot:
        summary |= _zero_shot_report(space, results, table)
        ylabel = f"best {args.proxy} score so far"
    elif trains(args):
        summary |= summarize(results) | _training_report(space, results, table, setup.oracle)
        ylabel = f"best validation accuracy so far, {args.oracle} oracle (%)"
    else:
        summary |= summarize(results, top_threshold=top_threshold(table))
        ylabel = f"best {dataset.name} {table.metric} so far ({table.unit})"
    plot_best_vs_queries({config.label: best_curves(results)}, out / "best_vs_queries.png",
                         ylabel)
    if args.strategy == "nsga2":
        _write_pareto(out / "pareto.csv", space, results)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    print(json.dumps(summary, indent=2, default=float))
    print(f"wrote {out}/trajectories.csv, summary.json, best_vs_queries.png")


def top_threshold(table: GroundTruth) -> float:
    """The oracle value (``sign * value``) that the top 1 % of the table's rows reach."""
    return float(np.percentile(table.sign * table.values, 99))


def _zero_shot_report(space, results, table: GroundTruth | None) -> dict[str, object]:
    """Each seed's top architectures by proxy, with their accuracy when the table holds them
    (None otherwise: a zero-shot search is not restricted to a partial table)."""
    report = []
    for r in results:
        top = sorted(r.queries, key=lambda q: q.value, reverse=True)[:5]
        rows = [{"arch": q.arch, "proxy": q.value} for q in top]
        if table is not None:
            for row in rows:
                key = space.key(space.from_str(row["arch"]))
                row["accuracy"] = table.lookup(key) if key in table else None
        report.append({"seed": r.seed, "top": rows})
    summary: dict[str, object] = {"top_architectures": report}
    if table is not None:
        best = [seed["top"][0]["accuracy"] for seed in report]
        known = [b for b in best if b is not None]
        summary["accuracy_of_best_by_proxy_median"] = float(np.median(known)) if known else None
        summary["best_by_proxy_in_table"] = len(known)
        summary["space_best_accuracy"] = float(np.max(table.sign * table.values)) * table.sign
    return summary


def _training_report(space, results, table: GroundTruth | None,
                     oracle: TrainingOracle) -> dict[str, object]:
    """The training oracle's recipe and cost, and each seed's best trained architecture with
    its benchmark value where the table holds it."""
    report = []
    for r in results:
        best = max(r.queries, key=lambda q: q.value)
        row = {"seed": r.seed, "arch": best.arch, "val_accuracy": best.value}
        if table is not None:
            key = space.key(space.from_str(best.arch))
            row[f"benchmark_{table.metric}"] = table.lookup(key) if key in table else None
        report.append(row)
    recipe = oracle.estimator.recipe
    summary: dict[str, object] = {
        "oracle": oracle.estimator.name, "recipe": vars(recipe) | {"key": recipe.key()},
        "best_trained": report,
        "search_seconds_total": sum(r.queries[-1].seconds for r in results)}
    if oracle.trained or oracle.reused:  # counted here when the seeds ran in this process
        summary |= {"trained": oracle.trained, "reused_from_cache": oracle.reused,
                    "training_seconds": oracle.seconds}
    if table is not None:
        known = [row[f"benchmark_{table.metric}"] for row in report]
        known = [k for k in known if k is not None]
        summary[f"benchmark_{table.metric}_of_best_median"] = \
            float(np.median(known)) if known else None
    return summary


def _write_pareto(path: Path, space, results) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["seed", "arch", "value", "cost"])
        for r in results:
            for arch, value, cost in r.strategy.pareto_front():
                writer.writerow([r.seed, space.to_str(arch), value, cost])
