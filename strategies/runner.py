"""A ``naslib-zero search`` run below the command line.

:class:`SearchSettings` says what to search (space, benchmark, strategy and its options,
proxy, oracle, proxy data); :func:`build_setup` turns it into the space, the oracle and the
proxy scorer; :func:`run_all_seeds` runs the seeds in this process or on an executor's workers
(:func:`run_seed` is what a worker runs, from the same settings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from naslib_zero.core.errors import DataNotFoundError, InvalidArgumentError, UnknownNameError
from naslib_zero.core.paths import score_cache_path
from naslib_zero.core.progress import Progress
from naslib_zero.scoring import BatchSettings, PendingScoreCache, ScoreCache, load_batches
from naslib_zero.scoring.estimators import is_estimator, training_estimators
from naslib_zero.scoring.executors import Executor
from naslib_zero.tables import GroundTruth, load_ground_truth
from search_spaces import get_space
from search_spaces.base import SYNTHETIC, DatasetSpec, SearchSpace
from search_spaces.restricted import RestrictedSpace
from strategies.experiment import SearchConfig, run_seeds
from strategies.loop import SearchResult
from strategies.oracle import TableOracle, TrainingOracle
from strategies.zero_cost import ProxyScorer, parse_proxy


@dataclass(frozen=True)
class SearchSettings:
    """Everything a search run needs besides its executor; checked when made, before any
    work. Hashable: a worker builds its :class:`SearchSetup` once per distinct settings."""

    config: SearchConfig
    seeds: int = 10  # seeds 0 .. seeds - 1
    space: str = "nb201"
    dataset: str | None = None  # ground truth and proxy batch (default: the space's first)
    benchmark: str | None = None
    metric: str | None = None
    proxy: str | None = None  # for warm-start, move proposal or zero-shot search
    oracle: str = "table"  # "table" or a training estimator (train, econas, ...)
    epochs: int | None = None  # of the training oracle and training estimators
    proxy_data: str | None = None  # "synthetic": data-free proxy inputs
    scores: str | None = None  # a score CSV to read proxy values from
    batch_size: int = 64
    split: str | None = None
    device: str = "cpu"
    cache: str | None = None  # the score cache (default: the user's)
    data_dir: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("seeds", self.seeds), ("batch_size", self.batch_size),
                            ("epochs", self.epochs)):
            if value is not None and value < 1:
                raise InvalidArgumentError(f"{name.replace('_', ' ')} must be >= 1, got {value}")
        if self.oracle != "table" and not is_estimator(self.oracle):
            raise UnknownNameError(f"unknown --oracle {self.oracle!r}; use table or a training "
                                   f"estimator: {', '.join(training_estimators())}")
        config = self.config
        if not self.proxy and (config.warmup or config.move or config.zero_shot):
            raise InvalidArgumentError("warm-start, move proposal and zero-shot search need "
                                       "a proxy (--proxy)")
        if config.zero_shot and parse_proxy(self.proxy)[0] != "single":
            raise InvalidArgumentError("zero-shot search needs one proxy (ensembles are "
                                       "relative)")

    @property
    def trains(self) -> bool:
        """Whether the oracle trains architectures instead of reading a table."""
        return self.oracle != "table"

    @property
    def needs_cache(self) -> bool:
        """Proxies computed now or trainings: both are stored in the score cache."""
        return bool(self.proxy and not self.scores) or self.trains


@dataclass
class SearchSetup:
    """What the seeds of one :class:`SearchSettings` share, built by :func:`build_setup`."""

    space: SearchSpace
    dataset: DatasetSpec
    table: GroundTruth | None
    oracle: TableOracle | TrainingOracle | None
    make_scorer: Callable[[], ProxyScorer] | None
    cache: ScoreCache | None  # the proxies' score cache, when they are computed


def build_setup(settings: SearchSettings, cache: ScoreCache | None,
                executor: Executor | None = None) -> SearchSetup:
    """The space (restricted to a partial oracle table), oracle and proxy scorer of
    ``settings``; ``executor`` scores the proxies' pools."""
    space = get_space(settings.space)
    dataset = space.dataset(settings.dataset)
    table = _table(settings, space.name, dataset)
    space = search_space_for(space, table, settings.config.zero_shot or settings.trains)
    make_scorer = _scorer_factory(settings, space, dataset, cache, executor)
    oracle: TableOracle | TrainingOracle | None = None
    if settings.trains and not settings.config.zero_shot:
        oracle = TrainingOracle(space, dataset.name, settings.epochs, estimator=settings.oracle,
                                cache=cache, data_dir=settings.data_dir, device=settings.device)
    elif table is not None:
        oracle = TableOracle(space, table)
    return SearchSetup(space, dataset, table, oracle, make_scorer, cache)


def _table(settings: SearchSettings, space: str, dataset: DatasetSpec) -> GroundTruth | None:
    try:
        return load_ground_truth(space, dataset.name, settings.metric,
                                 data_dir=settings.data_dir, benchmark=settings.benchmark)
    except DataNotFoundError:
        if settings.config.zero_shot or settings.trains:  # the search needs no ground truth
            return None
        raise


def _scorer_factory(settings: SearchSettings, space: SearchSpace, dataset: DatasetSpec,
                    cache: ScoreCache | None, executor: Executor | None,
                    ) -> Callable[[], ProxyScorer] | None:
    if not settings.proxy:
        return None
    proxy = settings.proxy
    if settings.scores:
        return lambda: ProxyScorer(space, proxy, table=settings.scores)
    name = SYNTHETIC if settings.proxy_data == SYNTHETIC else dataset.name
    batch, second = load_batches(BatchSettings(name, settings.batch_size, split=settings.split),
                                 settings.data_dir, dataset)
    return lambda: ProxyScorer(space, proxy, batch, second_batch=second, cache=cache,
                               executor=executor, device=settings.device,
                               data_dir=settings.data_dir, epochs=settings.epochs)


def search_space_for(space: SearchSpace, table: GroundTruth | None, zero_shot: bool,
                     ) -> SearchSpace:
    """The space a search runs on: restricted to ``table`` when the table is the oracle and
    does not cover the whole space."""
    if zero_shot or table is None or len(table) == space.size():
        return space
    return RestrictedSpace(space, table)


def top_threshold(table: GroundTruth) -> float:
    """The oracle value (``sign * value``) that the top 1 % of the table's rows reach."""
    return float(np.percentile(table.sign * table.values, 99))


_WORKER_SETUPS: dict[SearchSettings, SearchSetup] = {}  # in each worker process


def run_seed(settings: SearchSettings, seed: int) -> tuple[SearchResult, list[tuple]]:
    """One seed in a worker: the search result and the score-cache rows it computed, which
    the parent writes (workers only read the cache)."""
    if settings not in _WORKER_SETUPS:
        cache = (PendingScoreCache(score_cache_path(settings.cache)) if settings.needs_cache
                 else None)
        _WORKER_SETUPS[settings] = build_setup(settings, cache)
    setup = _WORKER_SETUPS[settings]
    start = len(_pending_rows(setup))
    (result,) = run_seeds(setup.space, settings.config, [seed], setup.oracle,
                          setup.make_scorer, show_progress=False)
    return result, _pending_rows(setup)[start:]


def _pending_rows(setup: SearchSetup) -> list[tuple]:
    return setup.cache.rows if isinstance(setup.cache, PendingScoreCache) else []


def run_all_seeds(settings: SearchSettings, setup: SearchSetup,
                  executor: Executor) -> list[SearchResult]:
    """Seeds 0..N-1, in this process or spread over ``executor``'s workers (each seed's
    result is the one a serial run of that seed gives; the workers' new score-cache rows go
    to ``setup.cache``). Progress counts queries over all seeds."""
    config, seeds = settings.config, range(settings.seeds)
    if executor.workers == 1 or settings.seeds == 1:
        return run_seeds(setup.space, config, seeds, setup.oracle, setup.make_scorer)
    results = {}
    with Progress(len(seeds) * config.budget, config.label, "queries") as shown:
        for result, rows in executor.map(run_seed, settings, seeds):
            if setup.cache is not None:
                setup.cache.put_rows(rows)
            results[result.seed] = result
            shown.update(len(result.queries))
    return [results[seed] for seed in seeds]
