"""Score many architectures through a resumable SQLite cache, with progress.

Each architecture is scored on its own model, as built by the space: two architectures of one
canonical class compute the same function but can hold different (dead) weights, which proxies
such as ``params`` and ``l2_norm`` see, and the reference implementations score each
architecture as given. Every result is committed to the cache as soon as it is computed, keyed
by (space, architecture, proxy, settings, batch hash, seed), so an interrupted run resumes
where it stopped and a repeated architecture is scored once.

Two facts are stored beside the values without entering their keys, so that every value
cached before they were recorded stays valid. The torch thread count each value was computed
with (another count changes the last digits of some proxies: see docs/results.md), which
:attr:`ScoreRun.thread_counts` reports, so a run that mixes counts says so. And the engine's verdict
whether the network's output depends on its input (:class:`naslib_zero.engine.Scores`), one
row per architecture under the name :data:`VERDICT`: cached values count only together with it,
an architecture cached without it gets a forward that decides it, and an architecture whose
output ignores the input reports every proxy's worst value, also where the values cached for it
predate the rule.

The unit of work is a :class:`ScoringTask` (architecture string, proxies, seed) run by
:func:`run_task` under a :class:`ScoringJob` (space, batches, device); an executor
(:mod:`naslib_zero.scoring.executors`) decides where tasks run, and this process alone writes
the cache.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from naslib_zero.core.device import resolve_device
from naslib_zero.core.progress import progress
from naslib_zero.data import Batch
from naslib_zero.engine import run_proxies
from naslib_zero.proxies import get_proxy
from naslib_zero.scoring.batches import BatchSettings, settings_key, verdict_key
from naslib_zero.scoring.cache import ScoreCache
from naslib_zero.scoring.estimators import (
    EstimatorRun,
    estimate_architectures,
    get_estimator,
    split_names,
)
from naslib_zero.scoring.executors import Executor, SerialExecutor
from naslib_zero.scoring.models import batch_dataset, build_model
from search_spaces.base import Arch, DatasetSpec, SearchSpace, SpaceRef

VERDICT = "(input dependent)"  # the cache's name for the engine's verdict: 1.0 yes, 0.0 no


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
    threads: int  # torch threads of the process that computed the values
    input_dependent: bool  # False: the output ignores the input, every value is the worst


def run_task(job: ScoringJob, task: ScoringTask) -> ScoredArch:
    """Build ``task.arch``'s model (seeded, on CPU, so every device starts from the same
    weights) and compute its proxies on ``job.device``: the only code that scores. Without
    proxies, the engine's shared forward still decides whether the output depends on the
    input."""
    t0 = time.perf_counter()
    space = job.space.resolve() if isinstance(job.space, SpaceRef) else job.space
    model = build_model(space, space.from_str(task.arch), job.dataset, task.seed)
    second = job.second_batch
    scores = run_proxies(model, job.batch.inputs, job.batch.targets,
                         [get_proxy(n) for n in task.proxies], task.seed,
                         second_batch=(second.inputs, second.targets) if second else None,
                         device=job.device)
    return ScoredArch(task.arch, scores.values, time.perf_counter() - t0,
                      torch.get_num_threads(), scores.input_dependent)


@dataclass
class ScoreRun:
    """Scores of a list of architectures and how they were obtained."""

    archs: list[Arch]
    proxies: list[str]
    scores: dict[str, list[float]]
    computed: int  # architectures scored in this run (the rest came from the cache)
    seconds: float
    # proxy values (of distinct architectures) per torch thread count; None: not recorded
    thread_counts: dict[int | None, int] = field(default_factory=dict)

    def thread_warning(self) -> str | None:
        """One line when the proxy values came from more than one thread count, else None."""
        if len(self.thread_counts) < 2:
            return None
        counts = ", ".join(f"{'unrecorded' if t is None else f'{t} threads'}: {n} values"
                           for t, n in sorted(self.thread_counts.items(),
                                              key=lambda item: str(item[0])))
        return (f"warning: the proxy values mix torch thread counts ({counts}); some proxies "
                "differ in the last digits between thread counts, so values from different "
                "counts do not compare bit for bit")


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
    see :mod:`naslib_zero.scoring.estimators`) may stand among the proxies: they train on the
    batch's dataset, read from ``data_dir``, for ``epochs`` when given.
    """

    names, estimator_names = split_names(proxies)
    dataset = batch_dataset(space, batch)
    target = resolve_device(device)
    settings = settings or BatchSettings(dataset=batch.dataset, batch_size=len(batch))
    skeys = {n: settings_key(settings, n, target) for n in names}
    skeys[VERDICT] = verdict_key(settings, target)
    start = time.perf_counter()
    memo: dict[str, dict[str, float]] = {}
    threads: dict[str, dict[str, int | None]] = {}
    tasks = []
    owner = space.ref.label if space.ref else space.name  # options change the models
    for arch in archs:
        text = space.to_str(arch)
        if text not in memo:
            key = (owner, text, batch.hash, seed)
            memo[text] = cache.get(key, skeys) if cache else {}
            threads[text] = cache.threads(key, skeys) if cache else {}
            missing = tuple(n for n in names if n not in memo[text])
            if names and (missing or VERDICT not in memo[text]):
                tasks.append(ScoringTask(text, missing, seed))
    job = ScoringJob(space.ref or space, dataset, batch, second_batch, str(target))
    results = (executor or SerialExecutor()).map(run_task, job, tasks) if tasks else iter(())
    if show_progress and tasks:
        results = progress(results, total=len(tasks), desc="scoring")
    for result in results:
        values = result.values | {VERDICT: float(result.input_dependent)}
        if cache:
            cache.put((owner, result.arch, batch.hash, seed), skeys, values, result.seconds,
                      result.threads)
        memo[result.arch].update(values)
        threads[result.arch].update(dict.fromkeys(result.values, result.threads))
    scores = {n: [_value(memo[space.to_str(a)], n) for a in archs] for n in names}
    counts = Counter(threads[text].get(n) for text in memo for n in names)
    computed = sum(1 for task in tasks if task.proxies)  # not the verdicts alone
    if estimator_names:
        estimated = _estimate(space, archs, estimator_names, batch.dataset, data_dir, seed,
                              str(target), executor, cache, show_progress, epochs)
        scores |= estimated.values
        computed += estimated.computed
    return ScoreRun(list(archs), names + estimator_names, scores, computed,
                    time.perf_counter() - start, dict(counts))


def _value(values: dict[str, float], name: str) -> float:
    """A proxy's value, or its worst where the network's output ignores the input (values
    cached before the rule may be finite there)."""
    return values[name] if values[VERDICT] else get_proxy(name).worst


def _estimate(space: SearchSpace, archs: Sequence[Arch], names: list[str], dataset: str,
              data_dir: str | Path | None, seed: int, device: str, executor: Executor | None,
              cache: ScoreCache | None, show_progress: bool, epochs: int | None):
    """The estimators' part of :func:`score_architectures`; supernet checkpoints live next
    to the score cache."""

    checkpoints = Path(f"{cache.path}.supernets") if cache else None
    run = EstimatorRun(dataset, data_dir, seed, device, executor, checkpoints, show_progress)
    return estimate_architectures(space, [space.to_str(a) for a in archs],
                                  [get_estimator(n, epochs) for n in names], run, cache)
