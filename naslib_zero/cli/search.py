"""``naslib-zero search``: the options become :class:`~strategies.runner.SearchSettings`
(checked before any work), the seeds run (:mod:`strategies.runner`), and the command writes
``trajectories.csv``, ``summary.json``, ``best_vs_queries.png`` (and ``pareto.csv``)."""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import sys
from pathlib import Path

import numpy as np

from naslib_zero.cli.options import (
    add_benchmark_arguments,
    add_execution_arguments,
    add_space_argument,
    command,
    executor_from_args,
)
from naslib_zero.core.errors import InvalidArgumentError
from naslib_zero.core.paths import score_cache_path
from naslib_zero.scoring import ScoreCache
from naslib_zero.scoring.executors import Executor
from naslib_zero.tables import GroundTruth
from search_spaces import get_space
from search_spaces.restricted import RestrictedSpace
from strategies import get_strategy, strategy_class
from strategies.experiment import (
    SearchConfig,
    best_curves,
    plot_best_vs_queries,
    summarize,
    write_trajectories,
)
from strategies.loop import SearchResult
from strategies.oracle import TrainingOracle
from strategies.runner import (
    SearchSettings,
    SearchSetup,
    build_setup,
    run_all_seeds,
    top_threshold,
)

# strategy options of the command line (besides --proposals, which every strategy takes):
# option -> {strategy: its constructor keyword}
STRATEGY_OPTIONS: dict[str, dict[str, str]] = {
    "population": {"re": "population", "nsga2": "pop_size"},
    "tournament": {"re": "tournament"},
    "learning_rate": {"rl": "learning_rate"},
    "initial": {"predictor": "initial"},
    "candidates": {"predictor": "pool_size"},
}
# the option that sets a strategy's initial queries (Strategy.initial_queries)
INITIAL_OPTION = {"re": "--population", "nsga2": "--population", "predictor": "--initial"}


def _default(strategy: str, keyword: str) -> object:
    """The default of ``keyword`` in ``strategy``'s constructor (None if it has none)."""
    parameter = inspect.signature(strategy_class(strategy)).parameters.get(keyword)
    return None if parameter is None else parameter.default


def settings_from_args(args: argparse.Namespace) -> SearchSettings:
    """The typed settings of a ``search`` command line; bad values fail here, before any work."""
    options = {}
    for option, per_strategy in STRATEGY_OPTIONS.items():
        value = getattr(args, option)
        if value is None:
            continue
        if args.strategy not in per_strategy:
            raise InvalidArgumentError(
                f"--{option.replace('_', '-')} applies to --strategy "
                f"{' or '.join(per_strategy)}, not {args.strategy}")
        options[per_strategy[args.strategy]] = value
    if args.proposals is not None:
        if not args.move:
            raise InvalidArgumentError("--proposals applies to move proposal (--move)")
        options["proposals"] = args.proposals
    config = SearchConfig(args.strategy, args.budget, args.warmup, args.move, args.zero_shot,
                          options=tuple(sorted(options.items())))
    return SearchSettings(
        config, seeds=args.seeds, space=args.space, dataset=args.dataset,
        benchmark=args.benchmark, metric=args.metric, proxy=args.proxy, oracle=args.oracle,
        epochs=args.epochs, proxy_data=args.proxy_data, scores=args.scores,
        batch_size=args.batch_size, split=args.split, device=args.device, cache=args.cache,
        data_dir=args.data_dir)


def check_strategy(settings: SearchSettings) -> dict[str, object]:
    """Build the strategy once, so that its options fail before any work; warn (one line on
    stderr) when the budget leaves the search degenerate. Returns the strategy's options,
    defaults included, for the summary."""
    config = settings.config
    try:
        strategy = get_strategy(config.strategy, get_space(settings.space),
                                **dict(config.options))
    except InvalidArgumentError as err:  # name the strategy whose option it is
        raise InvalidArgumentError(f"--strategy {config.strategy}: {err}") from None
    if config.budget <= strategy.initial_queries:
        _warn(f"--budget {config.budget} does not exceed the {strategy.initial_queries} "
              f"initial queries of --strategy {config.strategy} "
              f"({INITIAL_OPTION.get(config.strategy, 'its initial queries')}): the search "
              f"hardly gets past them, it is random search (or the --warmup pool's best)")
    if config.zero_shot and config.warmup >= config.budget:
        _warn(f"with --zero-shot, --warmup {config.warmup} proxy evaluations (not counted in "
              f"--budget {config.budget}) outnumber the search: the result is mostly the "
              f"warm-up pool's best")
    keywords = [k for per in STRATEGY_OPTIONS.values() if (k := per.get(config.strategy))]
    given = dict(config.options)
    return {keyword: given.get(keyword, _default(config.strategy, keyword))
            for keyword in keywords + (["proposals"] if config.move else [])}


def _warn(message: str) -> None:
    print(f"naslib-zero: warning: {message}", file=sys.stderr)


def search(settings: SearchSettings, executor: Executor) -> tuple[SearchSetup,
                                                                   list[SearchResult]]:
    """Run the seeds of ``settings`` on ``executor``, with the score cache when needed."""
    cache = ScoreCache(score_cache_path(settings.cache)) if settings.needs_cache else None
    # several seeds: the seeds run in parallel; one seed: its proxy pools do
    setup = build_setup(settings, cache, executor if settings.seeds == 1 else None)
    if isinstance(setup.space, RestrictedSpace):
        print(f"searching the {len(setup.space)} architectures of the {setup.table.name} table")
    results = run_all_seeds(settings, setup, executor)
    if cache is not None:
        cache.close()
    return setup, results


def write_results(out: Path, settings: SearchSettings, setup: SearchSetup,
                  results: list[SearchResult], strategy_options: dict[str, object]) -> None:
    """``trajectories.csv``, ``summary.json``, ``best_vs_queries.png`` (and ``pareto.csv``);
    then, if a seed stopped before its budget (the space ran out), the error saying so."""
    space, table, config = setup.space, setup.table, settings.config
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {"config": config.label, "space": settings.space,
                                  "dataset": setup.dataset.name, "proxy": settings.proxy,
                                  "strategy_options": strategy_options}
    if table is not None:
        summary |= {"benchmark": table.benchmark, "metric": table.metric,
                    "architectures_searched": space.size()}
    if config.zero_shot:
        value_name, xlabel = "proxy_value", "queries (proxy evaluations)"
        objective = f"{settings.proxy} proxy value"
        report = summarize(results) | _zero_shot_report(space, results, table)
    elif settings.trains:
        value_name, xlabel = "accuracy", "queries (architectures trained)"
        objective = f"validation accuracy (%), {settings.oracle} oracle"
        report = summarize(results) | _training_report(space, results, table, setup.oracle)
    else:
        value_name, xlabel = "accuracy", "ground-truth queries"
        negated = "" if table.higher_is_better else "negated "
        objective = f"{negated}{setup.dataset.name} {table.metric} ({table.unit})"
        report = summarize(results, top_threshold=top_threshold(table))
    summary |= {"objective": objective, "trajectory_value": value_name} | report
    write_trajectories(out / "trajectories.csv", results, value_name=value_name)
    plot_best_vs_queries({config.label: best_curves(results)}, out / "best_vs_queries.png",
                         ylabel=f"best so far: {objective}", xlabel=xlabel)
    if config.strategy == "nsga2":
        _write_pareto(out / "pareto.csv", space, results)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    print(json.dumps(summary, indent=2, default=float))
    print(f"wrote {out}/trajectories.csv, summary.json, best_vs_queries.png")
    stopped = [r for r in results if r.stopped]
    if stopped:
        others = f" and {len(stopped) - 1} more" if len(stopped) > 1 else ""
        raise InvalidArgumentError(
            f"{stopped[0].stopped} (seed {stopped[0].seed}{others}, --budget {config.budget}); "
            f"{out}/trajectories.csv and summary.json hold the queries made")


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


# ------------------------------------------------------------------------- the command


def setup_search(parser: argparse.ArgumentParser) -> None:
    add_space_argument(parser)
    parser.add_argument("--dataset", default=None,
                        help="ground-truth dataset, also the proxies' batch "
                             "(default: the space's first)")
    add_benchmark_arguments(parser, "used as the oracle; a table that covers only part of "
                                    "the space restricts the search to it")
    parser.add_argument("--strategy", default="re", help="rs, re, rl, predictor or nsga2")
    parser.add_argument("--proxy", default=None,
                        help="proxy for warm-start / move / zero-shot: a name, 'vote', "
                             "'vote:a,b,c' or 'rank:a,b'")
    parser.add_argument("--warmup", type=int, default=0, metavar="N",
                        help="warm-start from N proxy-scored random architectures (e.g. 3000)")
    parser.add_argument("--move", action="store_true", help="prune proposals with the proxy")
    parser.add_argument("--zero-shot", action="store_true",
                        help="the proxy is the objective: no ground truth is queried")
    parser.add_argument("--oracle", default="table",
                        help="what a query returns: 'table' (the benchmark) or a training "
                             "estimator that trains the architecture: train, econas, ... "
                             "(see 'naslib-zero estimators'; default: table)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of --oracle train and of training estimators "
                             "used as --proxy (default: the estimator's own)")
    parser.add_argument("--budget", type=int, default=300,
                        help="ground-truth queries (proxy evaluations with --zero-shot)")
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds 0..N-1")
    knobs = parser.add_argument_group(
        "strategy options", "default: the strategy's own; a budget that does not exceed the "
                            "initial population (or queries) gives a warning")
    knobs.add_argument("--population", type=int, default=None, metavar="N",
                       help=f"re: population (default {_default('re', 'population')}); "
                            f"nsga2: population per generation "
                            f"(default {_default('nsga2', 'pop_size')})")
    knobs.add_argument("--tournament", type=int, default=None, metavar="K",
                       help=f"re: tournament size (default {_default('re', 'tournament')})")
    knobs.add_argument("--learning-rate", type=float, default=None, metavar="LR",
                       help=f"rl: Adam learning rate of the policy "
                            f"(default {_default('rl', 'learning_rate')})")
    knobs.add_argument("--initial", type=int, default=None, metavar="N",
                       help=f"predictor: random queries before the surrogate picks "
                            f"(default {_default('predictor', 'initial')})")
    knobs.add_argument("--candidates", type=int, default=None, metavar="N",
                       help=f"predictor: random candidates per step, besides mutations of "
                            f"the best (default {_default('predictor', 'pool_size')})")
    knobs.add_argument("--proposals", type=int, default=None, metavar="N",
                       help=f"--move: candidates the proxy chooses among "
                            f"(default {_default('re', 'proposals')})")
    parser.add_argument("--proxy-data", default=None,
                        help="batch for the proxies: 'synthetic' for data-free inputs "
                             "(default: the --dataset images)")
    parser.add_argument("--scores", default=None,
                        help="precomputed score CSV to read proxy values from")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--split", default=None,
                        help="split the batch comes from (default: train; imagenet: the shared "
                             "sample)")
    parser.add_argument("--out", default="search_out", help="output folder")
    add_execution_arguments(parser, "run the seeds")


@command("search", "run a (zero-cost assisted) architecture search over many seeds",
         setup_search)
def run_search_command(args: argparse.Namespace) -> None:
    settings = settings_from_args(args)
    strategy_options = check_strategy(settings)
    with executor_from_args(args) as executor:
        setup, results = search(settings, executor)
    write_results(Path(args.out), settings, setup, results, strategy_options)
