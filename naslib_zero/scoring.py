"""Score many architectures through a resumable SQLite cache, with progress.

Each architecture is scored on its own model, as built by the space: two architectures of one
canonical class compute the same function but can hold different (dead) weights, which proxies
such as ``params`` and ``l2_norm`` see, and the reference implementations score each
architecture as given. Every result is committed to the cache as soon as it is computed, keyed
by (space, architecture, proxy, settings, batch hash, seed), so an interrupted run resumes
where it stopped and a repeated architecture is scored once.

The unit of work is a :class:`ScoringTask` (architecture string, proxies, seed) run by
:func:`run_task` under a :class:`ScoringJob` (space, batches, device); an executor
(``naslib_zero.executors``) decides where tasks run, and this process alone writes the cache.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from naslib_zero.data import Batch, default_split, get_batch, synthetic_batch
from naslib_zero.device import resolve_device
from naslib_zero.errors import InvalidArgumentError
from naslib_zero.executors import Executor, SerialExecutor
from naslib_zero.progress import progress
from naslib_zero.proxies import compute
from naslib_zero.proxies.registry import get_proxy
from search_spaces.base import SYNTHETIC, Arch, DatasetSpec, SearchSpace, SpaceRef


@dataclass(frozen=True)
class BatchSettings:
    """Which minibatch the proxies see. ``data_seed=None``: the first images of the split;
    ``split=None``: the dataset's default (:func:`naslib_zero.data.default_split`)."""

    dataset: str = "cifar10"
    batch_size: int = 64
    data_seed: int | None = None
    balanced: bool = False
    split: str | None = None

    def __post_init__(self) -> None:
        if self.split is None:  # resolved here, so cache keys name the split read
            object.__setattr__(self, "split", default_split(self.dataset))


def load_batches(settings: BatchSettings, data_dir: str | Path | None = None,
                 dataset: DatasetSpec | None = None) -> tuple[Batch, Batch]:
    """The scoring batch and a second, disjoint one of the same size (ZiCo's second batch).

    ``settings.dataset == "synthetic"``: Gaussian inputs of ``dataset``'s input shape and
    classes (default (3, 32, 32), 10), seeds ``data_seed`` (default 0) and ``data_seed + 1``.
    """
    if settings.dataset == SYNTHETIC:
        shape, classes = (dataset.input_shape, dataset.num_classes) if dataset else \
            ((3, 32, 32), 10)
        seed = settings.data_seed or 0
        return tuple(synthetic_batch("gaussian", settings.batch_size, shape, classes, s)
                     for s in (seed, seed + 1))  # type: ignore[return-value]
    both = get_batch(settings.dataset, settings.split, 2 * settings.batch_size,
                     seed=settings.data_seed, balanced=settings.balanced, data_dir=data_dir)
    n = settings.batch_size
    first = Batch(both.inputs[:n].contiguous(), both.targets[:n].contiguous(),
                  both.dataset, both.num_classes)
    second = Batch(both.inputs[n:].contiguous(), both.targets[n:].contiguous(),
                   both.dataset, both.num_classes)
    return first, second


def batch_dataset(space: SearchSpace, batch: Batch) -> DatasetSpec:
    """The space's dataset that ``batch`` belongs to (synthetic inputs: the batch's own shape
    and classes); InvalidArgumentError if the batch does not fit the space's model."""
    shape = tuple(batch.inputs.shape[1:])
    if batch.dataset == SYNTHETIC:
        return DatasetSpec(SYNTHETIC, shape, batch.num_classes)
    spec = space.dataset(batch.dataset)
    if (spec.input_shape, spec.num_classes) != (shape, batch.num_classes):
        raise InvalidArgumentError(
            f"{space.name} models for {spec.name} take inputs of shape {spec.input_shape} with "
            f"{spec.num_classes} classes; the batch has {shape} and {batch.num_classes}")
    return spec


def build_model(space: SearchSpace, arch: Arch, dataset: str | DatasetSpec | Batch | None = None,
                seed: int = 0) -> torch.nn.Module:
    """The space's model for ``arch`` on ``dataset`` (a name, a spec, or the batch it will
    see; None: the space's default), initialised from ``seed`` without touching global RNG."""
    if isinstance(dataset, Batch):
        dataset = batch_dataset(space, dataset)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return space.to_model(arch, dataset)


class ScoreCache:
    """SQLite store of proxy values; safe to interrupt (each architecture is one commit)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        # WAL: readers never block the writer, and a commit per architecture stays cheap
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS scores (space TEXT, arch TEXT, proxy TEXT, "
            "settings TEXT, batch TEXT, seed INTEGER, value REAL, seconds REAL, "
            "PRIMARY KEY (space, arch, proxy, settings, batch, seed))")

    def get(self, key: tuple, settings: dict[str, str]) -> dict[str, float]:
        """Cached values of the proxies in ``settings`` (proxy -> its settings key)."""
        rows = self.db.execute(
            "SELECT proxy, settings, value FROM scores WHERE space=? AND arch=? AND batch=? "
            "AND seed=?", key).fetchall()
        return {p: v for p, s, v in rows if settings.get(p) == s}

    def put(self, key: tuple, settings: dict[str, str], values: dict[str, float],
            seconds: float) -> None:
        space, arch, batch, seed = key
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(space, arch, p, settings[p], batch, seed, v, seconds)
                 for p, v in values.items()])

    def seconds(self, key: tuple, name: str, settings: str) -> float | None:
        """The compute seconds recorded with one proxy's or estimator's value (a proxy's are
        those of all proxies computed with it), or None if the cache lacks it."""
        space, arch, batch, seed = key
        row = self.db.execute(
            "SELECT seconds FROM scores WHERE space=? AND arch=? AND proxy=? AND settings=? "
            "AND batch=? AND seed=?", (space, arch, name, settings, batch, seed)).fetchone()
        return row[0] if row else None

    def put_rows(self, rows: Sequence[tuple]) -> None:
        """Write rows a :class:`PendingScoreCache` collected in a worker."""
        for key, settings, values, seconds in rows:
            self.put(key, settings, values, seconds)

    def close(self) -> None:
        self.db.close()


class PendingScoreCache(ScoreCache):
    """A worker's view of the owner's cache: reads the database (read-only), keeps what it
    computes in memory (``rows``) for the owner to write with :meth:`ScoreCache.put_rows`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        self.rows: list[tuple] = []
        self._new: dict[tuple, dict[tuple[str, str], float]] = {}

    def get(self, key: tuple, settings: dict[str, str]) -> dict[str, float]:
        values = super().get(key, settings)
        new = self._new.get(key, {})
        values.update({p: v for (p, s), v in new.items() if settings.get(p) == s})
        return values

    def put(self, key: tuple, settings: dict[str, str], values: dict[str, float],
            seconds: float) -> None:
        self.rows.append((key, {p: settings[p] for p in values}, dict(values), seconds))
        self._new.setdefault(key, {}).update({(p, settings[p]): v for p, v in values.items()})


def settings_key(settings: BatchSettings, proxy: str,
                 device: torch.device | None = None) -> str:
    """Hash of everything besides the batch content that can change one proxy's score.

    The device type enters the hash only when it is not the CPU (floating-point results differ
    slightly between devices), so CPU scores keep the keys they have always had.
    """
    payload = {"batch": asdict(settings), "proxy": proxy, "settings": get_proxy(proxy).settings()}
    if device is not None and device.type != "cpu":
        payload["device"] = device.type
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ScoringJob:
    """What every scoring task of one run shares; an executor sends it to each worker once.

    ``space`` is a :class:`~search_spaces.base.SpaceRef` when the space came from
    ``get_space`` (workers rebuild it), else the space object itself (it must pickle).
    """

    space: SpaceRef | SearchSpace
    dataset: DatasetSpec
    batch: Batch
    second_batch: Batch | None = None
    device: str = "cpu"

    @property
    def key(self) -> tuple:
        """Identity for reusing warm workers: equal keys score identically."""
        second = self.second_batch.hash if self.second_batch is not None else None
        space = self.space if isinstance(self.space, SpaceRef) else id(self.space)
        return space, self.dataset, self.batch.hash, second, self.device


@dataclass(frozen=True)
class ScoringTask:
    """One architecture (its string form) to score with ``proxies``, weights from ``seed``."""

    arch: str
    proxies: tuple[str, ...]
    seed: int = 0


@dataclass(frozen=True)
class ScoredArch:
    arch: str
    values: dict[str, float]
    seconds: float


def run_task(job: ScoringJob, task: ScoringTask) -> ScoredArch:
    """Build ``task.arch``'s model (seeded, on CPU, so every device starts from the same
    weights) and compute its proxies on ``job.device``: the only code that scores."""
    t0 = time.perf_counter()
    space = job.space.resolve() if isinstance(job.space, SpaceRef) else job.space
    model = build_model(space, space.from_str(task.arch), job.dataset, task.seed)
    second = job.second_batch
    values = compute(model, job.batch.inputs, job.batch.targets, task.proxies, task.seed,
                     second_batch=(second.inputs, second.targets) if second else None,
                     device=job.device)
    return ScoredArch(task.arch, values, time.perf_counter() - t0)


@dataclass
class ScoreRun:
    """Scores of a list of architectures and how they were obtained."""

    archs: list[Arch]
    proxies: list[str]
    scores: dict[str, list[float]]
    computed: int  # architectures scored in this run (the rest came from the cache)
    seconds: float


def score_architectures(space: SearchSpace, archs: Sequence[Arch], proxies: str | Sequence[str],
                        batch: Batch, *, second_batch: Batch | None = None, seed: int = 0,
                        settings: BatchSettings | None = None,
                        cache: ScoreCache | None = None, show_progress: bool = True,
                        executor: Executor | None = None,
                        device: str | torch.device | None = None,
                        data_dir: str | Path | None = None,
                        epochs: int | None = None) -> ScoreRun:
    """Score every architecture with every proxy (cached; repeated architectures scored once).

    ``executor`` decides where the models are scored (default: this process); results are
    written to ``cache`` here, one commit per architecture, as they arrive. ``device``: where
    the proxies run (default CPU). Names of estimators that train (``econas``, ``oneshot``,
    see :mod:`naslib_zero.estimators`) may stand among the proxies: they train on the batch's
    dataset, read from ``data_dir``, for ``epochs`` when given.
    """
    from naslib_zero.estimators import split_names

    names, estimator_names = split_names(proxies)
    dataset = batch_dataset(space, batch)
    target = resolve_device(device)
    settings = settings or BatchSettings(dataset=batch.dataset, batch_size=len(batch))
    skeys = {n: settings_key(settings, n, target) for n in names}
    start = time.perf_counter()
    memo: dict[str, dict[str, float]] = {}
    tasks = []
    owner = space.ref.label if space.ref else space.name  # options change the models
    for arch in archs:
        text = space.to_str(arch)
        if text not in memo:
            memo[text] = cache.get((owner, text, batch.hash, seed), skeys) if cache else {}
            missing = tuple(n for n in names if n not in memo[text])
            if missing:
                tasks.append(ScoringTask(text, missing, seed))
    job = ScoringJob(space.ref or space, dataset, batch, second_batch, str(target))
    results = (executor or SerialExecutor()).map(run_task, job, tasks) if tasks else iter(())
    if show_progress and tasks:
        results = progress(results, total=len(tasks), desc="scoring")
    for result in results:
        if cache:
            cache.put((owner, result.arch, batch.hash, seed), skeys, result.values,
                      result.seconds)
        memo[result.arch].update(result.values)
    scores = {n: [memo[space.to_str(a)][n] for a in archs] for n in names}
    computed = len(tasks)
    if estimator_names:
        estimated = _estimate(space, archs, estimator_names, batch.dataset, data_dir, seed,
                              str(target), executor, cache, show_progress, epochs)
        scores |= estimated.values
        computed += estimated.computed
    return ScoreRun(list(archs), names + estimator_names, scores, computed,
                    time.perf_counter() - start)


def _estimate(space: SearchSpace, archs: Sequence[Arch], names: list[str], dataset: str,
              data_dir: str | Path | None, seed: int, device: str, executor: Executor | None,
              cache: ScoreCache | None, show_progress: bool, epochs: int | None):
    """The estimators' part of :func:`score_architectures`; supernet checkpoints live next
    to the score cache."""
    from naslib_zero.estimators import EstimatorRun, estimate_architectures, get_estimator

    checkpoints = Path(f"{cache.path}.supernets") if cache else None
    run = EstimatorRun(dataset, data_dir, seed, device, executor, checkpoints, show_progress)
    return estimate_architectures(space, [space.to_str(a) for a in archs],
                                  [get_estimator(n, epochs) for n in names], run, cache)
