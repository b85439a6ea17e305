"""Score many architectures through a resumable SQLite cache, with progress.

Each architecture is scored on its own model, as built by the space: two architectures of one
canonical class compute the same function but can hold different (dead) weights, which proxies
such as ``params`` and ``l2_norm`` see, and the reference implementations score each
architecture as given. Every result is committed to the cache as soon as it is computed, keyed
by (space, architecture, proxy, settings, batch hash, seed), so an interrupted run resumes
where it stopped and a repeated architecture is scored once.
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

from naslib_zero.data import Batch, get_batch, synthetic_batch
from naslib_zero.errors import InvalidArgumentError
from naslib_zero.progress import progress
from naslib_zero.proxies import compute
from naslib_zero.proxies.registry import get_proxy, resolve
from search_spaces.base import SYNTHETIC, Arch, DatasetSpec, SearchSpace


@dataclass(frozen=True)
class BatchSettings:
    """Which minibatch the proxies see. ``data_seed=None``: the first images of the split."""

    dataset: str = "cifar10"
    batch_size: int = 64
    data_seed: int | None = None
    balanced: bool = False
    split: str = "train"


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

    def close(self) -> None:
        self.db.close()


def settings_key(settings: BatchSettings, proxy: str) -> str:
    """Hash of everything besides the batch content that can change one proxy's score."""
    payload = {"batch": asdict(settings), "proxy": proxy, "settings": get_proxy(proxy).settings()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


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
                        ) -> ScoreRun:
    """Score every architecture with every proxy (cached; repeated architectures scored once)."""
    names = resolve(proxies)
    dataset = batch_dataset(space, batch)
    settings = settings or BatchSettings(dataset=batch.dataset, batch_size=len(batch))
    skeys = {n: settings_key(settings, n) for n in names}
    extra = (second_batch.inputs, second_batch.targets) if second_batch is not None else None
    memo: dict[str, dict[str, float]] = {}
    computed, start = 0, time.perf_counter()
    items = progress(archs, total=len(archs), desc="scoring") if show_progress else archs
    for arch in items:
        text = space.to_str(arch)
        if text not in memo:
            key = (space.name, text, batch.hash, seed)
            values = cache.get(key, skeys) if cache else {}
            missing = [n for n in names if n not in values]
            if missing:
                t0 = time.perf_counter()
                model = build_model(space, arch, dataset, seed)
                new = compute(model, batch.inputs, batch.targets, missing, seed,
                              second_batch=extra)
                if cache:
                    cache.put(key, skeys, new, time.perf_counter() - t0)
                values.update(new)
                computed += 1
            memo[text] = values
    scores = {n: [memo[space.to_str(a)][n] for a in archs] for n in names}
    return ScoreRun(list(archs), names, scores, computed, time.perf_counter() - start)
