"""Estimators that train: the training oracle's trainer, EcoNAS-style reduced training and the
one-shot supernet, registered by name beside the zero-cost proxies.

Their names go in the same lists as proxy names (``score --proxies synflow,econas``, a
search's ``--proxy econas``), and :func:`naslib_zero.scoring.score_architectures` hands them
here. Each value lands in the score cache like a proxy's, keyed by (space, architecture,
estimator, settings, training-data fingerprint, seed), so an interrupted run, or a search
that queries an architecture again, reuses it. Every estimator's value is higher-is-better:
a validation accuracy in percent (or a negated loss).

* :class:`TrainingEstimator`: trains each architecture by a
  :class:`~naslib_zero.scoring.training.Recipe`
  (tasks spread over an executor, like proxy scoring), value = validation accuracy.
* :class:`OneShotEstimator`: trains one weight-sharing supernet (checkpointed, resumable) and
  scores each architecture on its path (:mod:`naslib_zero.scoring.supernet`).
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import naslib_zero.proxies  # noqa: F401  (registers the proxies whose names estimators avoid)
from naslib_zero.core.errors import InvalidArgumentError, UnknownNameError
from naslib_zero.core.paths import cache_dir
from naslib_zero.core.progress import progress
from naslib_zero.data import DATASETS
from naslib_zero.scoring.executors import Executor, SerialExecutor
from naslib_zero.scoring.models import build_model
from naslib_zero.scoring.training import (
    Recipe,
    TrainingData,
    TrainResult,
    load_training_data,
    train_model,
)
from search_spaces.base import SearchSpace, SpaceRef, get_space


@dataclass(frozen=True)
class EstimatorRun:
    """Where and on what an estimator runs: the dataset whose training split it trains on
    (80 % train, 20 % validation), the data folder, weight and data-order seed, the device,
    an executor for independent trainings, and the folder for supernet checkpoints."""

    dataset: str
    data_dir: str | Path | None = None
    seed: int = 0
    device: str = "cpu"
    executor: Executor | None = None
    checkpoints: Path | None = None
    show_progress: bool = True

    def training_data(self) -> TrainingData:
        if self.dataset not in DATASETS:
            raise InvalidArgumentError(
                f"training estimators train on the split files of {', '.join(DATASETS)}; "
                f"{self.dataset!r} has none")
        return load_training_data(self.dataset, self.data_dir)


class Estimator(ABC):
    """A named way to estimate architectures' quality that needs more than one batch."""

    name: str
    description: str
    reference: str = ""

    @abstractmethod
    def settings(self) -> dict:
        """Everything that changes the value (it enters the cache key)."""

    @abstractmethod
    def estimate(self, space: SearchSpace, archs: Sequence[str], run: EstimatorRun,
                 data: TrainingData) -> Iterator[tuple[str, float, float]]:
        """(architecture string, value, seconds) for every architecture, in any order."""

    @abstractmethod
    def with_epochs(self, epochs: int) -> Estimator:
        """The same estimator trained for ``epochs`` (the CLI's ``--epochs``)."""

    def settings_key(self) -> str:
        payload = {"estimator": self.name, "settings": self.settings()}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def model_space(space: SearchSpace, options: dict) -> SearchSpace:
    """``space`` as registered (a restricted space: its base) with network ``options``
    added, e.g. ``C=4``."""
    ref = space.ref
    if not options:
        return ref.resolve() if ref else space
    if ref is None:
        raise InvalidArgumentError(f"{space.name} was not built by get_space, so its network "
                                   f"cannot be rebuilt with {options}")
    try:
        return get_space(ref.name, **(dict(ref.options) | options))
    except InvalidArgumentError as err:
        raise InvalidArgumentError(f"this estimator narrows the network with the space options "
                                   f"{options}, which {ref.name} does not take: {err}") from None


# ------------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingJob:
    """What the trainings of one run share (sent to each worker once)."""

    space: SpaceRef | SearchSpace
    dataset: str
    data_dir: str | None
    recipe: Recipe
    device: str = "cpu"

    @property
    def key(self) -> tuple:
        space = self.space if isinstance(self.space, SpaceRef) else id(self.space)
        return space, self.dataset, self.data_dir, self.recipe, self.device


@dataclass(frozen=True)
class TrainingTask:
    arch: str
    seed: int = 0


@dataclass(frozen=True)
class TrainedArch:
    arch: str
    result: TrainResult


def run_training(job: TrainingJob, task: TrainingTask) -> TrainedArch:
    """Build ``task.arch``'s model (seeded; narrowed by the recipe's space options) and train
    it: the only code that trains an architecture."""

    space = job.space.resolve() if isinstance(job.space, SpaceRef) else job.space
    network = model_space(space, dict(job.recipe.space_options))
    data = load_training_data(job.dataset, job.data_dir)
    model = build_model(network, network.from_str(task.arch), data.dataset, task.seed)
    return TrainedArch(task.arch, train_model(model, data, job.recipe, seed=task.seed,
                                              device=job.device))


@dataclass(frozen=True)
class TrainingEstimator(Estimator):
    """Validation accuracy (%) after training by ``recipe``."""

    name: str
    recipe: Recipe
    description: str
    reference: str = ""

    def settings(self) -> dict:
        return {"recipe": asdict(self.recipe)}

    def with_epochs(self, epochs: int) -> TrainingEstimator:
        return replace(self, recipe=replace(self.recipe, epochs=epochs))

    def estimate(self, space: SearchSpace, archs: Sequence[str], run: EstimatorRun,
                 data: TrainingData) -> Iterator[tuple[str, float, float]]:
        model_space(space, dict(self.recipe.space_options))  # fail before any worker starts
        data_dir = str(run.data_dir) if run.data_dir is not None else None
        job = TrainingJob(space.ref or space, data.dataset, data_dir, self.recipe, run.device)
        tasks = [TrainingTask(a, run.seed) for a in archs]
        results = (run.executor or SerialExecutor()).map(run_training, job, tasks)
        if run.show_progress:
            results = progress(results, total=len(tasks), desc=f"training ({self.name})")
        for trained in results:
            yield trained.arch, trained.result.val_accuracy, trained.result.seconds


# ------------------------------------------------------------------------------- one-shot


@dataclass(frozen=True)
class OneShotEstimator(Estimator):
    """One-shot accuracy (or negated loss) of each architecture's path in a supernet trained
    by ``recipe`` with ``sampling`` ("uniform" or "deiso"), on the weights averaged over the
    last ``ensemble`` epoch checkpoints (all of them if there are fewer); ``val_batches``
    validation batches of the recipe's eval batch size (None: all)."""

    name: str
    recipe: Recipe
    description: str
    sampling: str = "uniform"
    bn_affine: bool = True
    ensemble: int = 1
    val_batches: int | None = 1
    metric: str = "accuracy"
    reference: str = field(default="Ning et al., Evaluating Efficient Performance Estimators "
                                   "of Neural Architectures, NeurIPS 2021")

    def settings(self) -> dict:
        return {"recipe": asdict(self.recipe), "sampling": self.sampling,
                "bn_affine": self.bn_affine, "ensemble": self.ensemble,
                "val_batches": self.val_batches, "metric": self.metric}

    def with_epochs(self, epochs: int) -> OneShotEstimator:
        return replace(self, recipe=replace(self.recipe, epochs=epochs))

    def supernet_key(self, network: SearchSpace, data: TrainingData, seed: int) -> str:
        """Names the checkpoint folder: everything that changes the supernet's training."""
        payload = {"recipe": asdict(self.recipe), "sampling": self.sampling,
                   "bn_affine": self.bn_affine, "data": data.fingerprint, "seed": seed,
                   "network": network.ref.label if network.ref else network.name}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def estimate(self, space: SearchSpace, archs: Sequence[str], run: EstimatorRun,
                 data: TrainingData) -> Iterator[tuple[str, float, float]]:
        from naslib_zero.scoring import supernet as oneshot  # torch-heavy: only when used

        if space.name != "nb201":
            raise InvalidArgumentError(f"the one-shot supernet covers nb201 only, not "
                                       f"{space.name}")
        network = model_space(space, dict(self.recipe.space_options))  # the space's C and N
        folder = (run.checkpoints or cache_dir(run.data_dir) / "supernets") / \
            f"supernet-{self.supernet_key(network, data, run.seed)}"  # shared by variants

        def build() -> oneshot.NB201Supernet:
            return oneshot.NB201Supernet(data.num_classes, network.C, network.N,
                                         bn_affine=self.bn_affine)

        sampler = oneshot.ArchSampler(space, self.sampling, run.seed)
        checkpoints = oneshot.train_supernet(build(), data, self.recipe, sampler, folder,
                                             seed=run.seed, device=run.device,
                                             show_progress=run.show_progress)
        parsed = [space.from_str(a) for a in archs]
        start = time.perf_counter()
        k = min(self.ensemble, len(checkpoints))  # a run shorter than the ensemble: all
        values = oneshot.temporal_ensemble(checkpoints, k, build, parsed, data,
                                           self.recipe, val_batches=self.val_batches,
                                           metric=self.metric, device=run.device)
        seconds = (time.perf_counter() - start) / max(1, len(archs))
        for text, value in zip(archs, values, strict=True):
            yield text, float(value), seconds


# ------------------------------------------------------------------------------- registry

_ESTIMATORS: dict[str, Estimator] = {}


def register_estimator(estimator: Estimator) -> Estimator:
    """Make ``estimator`` available by its name (it must not clash with a proxy's)."""
    from naslib_zero.engine.registry import list_proxies

    if estimator.name in _ESTIMATORS or estimator.name in list_proxies():
        raise ValueError(f"{estimator.name!r} is already a registered proxy or estimator")
    _ESTIMATORS[estimator.name] = estimator
    return estimator


def list_estimators() -> list[str]:
    return sorted(_ESTIMATORS)


def is_estimator(name: str) -> bool:
    return name in _ESTIMATORS


def training_estimators() -> list[str]:
    """The estimators that train architectures one by one (a training oracle's choices)."""
    return [n for n in list_estimators() if isinstance(_ESTIMATORS[n], TrainingEstimator)]


def get_estimator(name: str, epochs: int | None = None) -> Estimator:
    """The registered estimator ``name``, trained for ``epochs`` when given."""
    if name not in _ESTIMATORS:
        raise UnknownNameError(f"unknown estimator {name!r}; available: "
                               f"{', '.join(list_estimators())}")
    estimator = _ESTIMATORS[name]
    return estimator.with_epochs(epochs) if epochs is not None else estimator


def split_names(spec: str | Sequence[str]) -> tuple[list[str], list[str]]:
    """(proxy names, estimator names) of a ``--proxies`` list: estimators by exact name,
    everything else ('all', wildcards) resolved against the proxies."""
    from naslib_zero.engine.registry import resolve

    items = [i.strip() for i in (spec.split(",") if isinstance(spec, str) else spec)]
    estimators = [i for i in items if is_estimator(i)]
    rest = [i for i in items if not is_estimator(i)]
    return (resolve(rest) if rest else []), list(dict.fromkeys(estimators))


@dataclass
class Estimates:
    """Values per estimator (one per architecture, in order) and the cost of this run."""

    values: dict[str, list[float]]
    computed: int  # (architecture, estimator) pairs computed now; the rest came from the cache
    seconds: dict[str, float]  # estimator -> seconds spent computing in this run


def estimate_architectures(space: SearchSpace, archs: Sequence[str],
                           estimators: Sequence[Estimator], run: EstimatorRun,
                           cache=None) -> Estimates:
    """Every estimator's value for every architecture string, through ``cache`` (a
    :class:`~naslib_zero.scoring.ScoreCache`): cached values are reused, new ones committed
    one architecture at a time as they arrive."""
    owner = space.ref.label if space.ref else space.name
    data = run.training_data()
    values: dict[str, dict[str, float]] = {}
    computed, seconds = 0, {}
    for estimator in estimators:
        skey = {estimator.name: estimator.settings_key()}
        known = values.setdefault(estimator.name, {})
        for text in dict.fromkeys(archs):
            hit = cache.get((owner, text, data.fingerprint, run.seed), skey) if cache else {}
            if hit:
                known[text] = hit[estimator.name]
        todo = [t for t in dict.fromkeys(archs) if t not in known]
        seconds[estimator.name] = 0.0
        if not todo:
            continue
        for text, value, spent in estimator.estimate(space, todo, run, data):
            if cache:
                cache.put((owner, text, data.fingerprint, run.seed), skey,
                          {estimator.name: value}, spent)
            known[text] = value
            computed += 1
            seconds[estimator.name] += spent
    return Estimates({n: [values[n][a] for a in archs] for n in values}, computed, seconds)


# ------------------------------------------------------------------- the registered ones

NB201_REFERENCE = "NAS-Bench-201's training recipe (Dong and Yang, ICLR 2020)"
ECONAS_REFERENCE = "Zhou et al., EcoNAS: Finding Proxies for Economical NAS, CVPR 2020"

register_estimator(TrainingEstimator(
    "train", Recipe(epochs=2),
    "the space's own network trained for E epochs (default 2) by NAS-Bench-201's recipe; the "
    "training oracle's default", NB201_REFERENCE))
register_estimator(TrainingEstimator(
    "econas", Recipe(epochs=2, resolution=16, space_options=(("C", 4),)),
    "EcoNAS-style reduced training: channels / 4 (C=4), resolution / 2 (16 px), all images, "
    "2 epochs", ECONAS_REFERENCE))
register_estimator(TrainingEstimator(
    "reduced_channels", Recipe(epochs=2, space_options=(("C", 4),)),
    "channels / 4 (C=4), 2 epochs", ECONAS_REFERENCE))
register_estimator(TrainingEstimator(
    "reduced_resolution", Recipe(epochs=2, resolution=16),
    "resolution / 2 (16 px), 2 epochs", ECONAS_REFERENCE))
register_estimator(TrainingEstimator(
    "reduced_samples", Recipe(epochs=2, sample_ratio=0.25),
    "a quarter of the training images, 2 epochs", ECONAS_REFERENCE))
# The one-shot study's learning rate; 60 epochs and one validation batch of 128 images are
# CPU-sized (docs/results.md measures exactly this recipe)
SUPERNET_RECIPE = Recipe(epochs=60, lr=0.05, eval_batch_size=128)
register_estimator(OneShotEstimator(
    "oneshot", SUPERNET_RECIPE, "NB201 supernet of the space's width, uniform single-path "
    "sampling, 60 epochs, one-shot accuracy of the last checkpoint on one validation batch of 128"))
register_estimator(OneShotEstimator(
    "oneshot_deiso", SUPERNET_RECIPE, "as oneshot, sampling uniform over canonical classes",
    sampling="deiso"))
register_estimator(OneShotEstimator(
    "oneshot_noaffine", SUPERNET_RECIPE, "as oneshot, the ops' BN without affine parameters",
    bn_affine=False))
register_estimator(OneShotEstimator(
    "oneshot_ensemble", SUPERNET_RECIPE, "as oneshot, on the weights averaged over the last 3 "
    "epoch checkpoints (temporal ensemble)",
    ensemble=3))
