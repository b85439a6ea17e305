"""Oracles: what "training" an architecture returns. The benchmark table stands in for it."""

from __future__ import annotations

from typing import Protocol

from naslib_zero.tables import GroundTruth
from search_spaces.base import Arch, SearchSpace


class Oracle(Protocol):
    """Anything that maps an architecture to a value to maximise (e.g. a training function)."""

    def __call__(self, arch: Arch) -> float: ...


class TableOracle:
    """Looks the value up in a benchmark table by the space's key; a lower-is-better metric
    (a loss) is negated, so the oracle is always maximised."""

    def __init__(self, space: SearchSpace, table: GroundTruth) -> None:
        self.space, self.table = space, table

    def __call__(self, arch: Arch) -> float:
        return self.table.sign * self.table.lookup(self.space.key(arch))


class TrainingOracle:
    """Trains each queried architecture and returns its validation accuracy (%).

    ``estimator`` names a training estimator (:mod:`naslib_zero.scoring.estimators`): ``train`` (the
    space's network by NAS-Bench-201's recipe) or a reduced one such as ``econas``; ``epochs``
    overrides its epochs. The model trains on 80 % of ``dataset``'s training split read from
    ``data_dir`` (a user's own folder in the official format works) and is validated on the
    other 20 %. With a ``cache`` (a :class:`~naslib_zero.scoring.ScoreCache`) every result is
    stored under (space, architecture, recipe, data, seed), so a search that is interrupted
    and rerun, or that queries an architecture again, trains nothing twice. ``trained``,
    ``reused`` and ``seconds`` (training time in this process) record the cost.
    """

    def __init__(self, space: SearchSpace, dataset: str | None = None,
                 epochs: int | None = None, *, estimator: str = "train", cache=None,
                 seed: int = 0, data_dir=None, device: str = "cpu") -> None:
        from naslib_zero.core.errors import InvalidArgumentError
        from naslib_zero.scoring.estimators import EstimatorRun, TrainingEstimator, get_estimator

        self.space, self.cache = space, cache
        self.estimator = get_estimator(estimator, epochs)
        if not isinstance(self.estimator, TrainingEstimator):
            raise InvalidArgumentError(f"{estimator!r} does not train architectures one by "
                                       f"one; a training oracle needs e.g. train or econas")
        self.run = EstimatorRun(space.dataset(dataset).name, data_dir, seed, device,
                                show_progress=False)
        self.run.training_data()  # a missing or unreadable dataset fails here, not mid-search
        self.trained = self.reused = 0
        self.seconds = 0.0

    def __call__(self, arch: Arch) -> float:
        from naslib_zero.scoring.estimators import estimate_architectures

        name = self.estimator.name
        result = estimate_architectures(self.space, [self.space.to_str(arch)],
                                        [self.estimator], self.run, self.cache)
        self.trained += result.computed
        self.reused += 1 - result.computed
        self.seconds += result.seconds[name]
        return result.values[name][0]
