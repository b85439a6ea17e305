"""Zero-cost proxies inside a search: a scorer that counts its evaluations, and pool sampling.

The scorer computes proxies for real through the engine and the score cache (or reads a score
table the user passed explicitly). Ensembles are relative, so ``vote`` and ``rank`` combine
the proxies over the set of architectures scored together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from naslib_zero.analysis.ensembles import DEFAULT_VOTE, rank_average, vote
from naslib_zero.analysis.evaluation import read_scores
from naslib_zero.core.errors import InvalidArchitectureError, InvalidArgumentError
from naslib_zero.data import Batch
from naslib_zero.scoring import ScoreCache, score_architectures
from naslib_zero.scoring.estimators import split_names
from naslib_zero.scoring.executors import Executor
from search_spaces.base import Arch, SearchSpace


def parse_proxy(spec: str) -> tuple[str, list[str]]:
    """``"synflow"`` -> ("single", ["synflow"]); ``"vote"`` -> the default vote of three;
    ``"vote:a,b,c"`` / ``"rank:a,b"`` -> an ensemble of the named proxies."""
    kind, _, names = spec.partition(":")
    if kind in ("vote", "rank"):
        chosen = _names(names) if names else list(DEFAULT_VOTE)
        if kind == "vote" and len(chosen) % 2 == 0:
            raise InvalidArgumentError(f"a vote needs an odd number of proxies, got {chosen}")
        return kind, chosen
    return "single", _names(spec)[:1] if spec else []


def _names(spec: str) -> list[str]:
    """Proxy and estimator names of a comma list (estimators such as ``econas`` train)."""
    proxies, estimators = split_names(spec)
    return proxies + estimators


class ProxyScorer:
    """Scores architectures with a proxy or an ensemble; counts every architecture scored.

    ``executor`` and ``device`` are passed to :func:`~naslib_zero.scoring.score_architectures`
    (warm-up pools of thousands of architectures are scored in parallel that way).
    """

    def __init__(self, space: SearchSpace, proxy: str, batch: Batch | None = None, *,
                 second_batch: Batch | None = None, seed: int = 0,
                 cache: ScoreCache | None = None, table: str | Path | None = None,
                 executor: Executor | None = None, device: str | None = None,
                 data_dir: str | Path | None = None, epochs: int | None = None) -> None:
        self.space, self.seed, self.cache = space, seed, cache
        self.executor, self.device = executor, device
        self.data_dir, self.epochs = data_dir, epochs  # for estimators that train
        self.batch, self.second_batch = batch, second_batch
        self.kind, self.names = parse_proxy(proxy)
        if not self.names:
            raise InvalidArgumentError(f"no proxy matches {proxy!r}")
        self.evaluations = 0
        self._memo: dict[str, dict[str, float]] = {}
        if table is not None:
            self._load_table(table)
        elif batch is None:
            raise InvalidArgumentError("a ProxyScorer needs a batch or a precomputed score table")
        self.from_table = table is not None

    def __getstate__(self) -> dict:
        """A scorer sent to another process (a search result) leaves its cache and executor
        behind: both belong to the process that made them."""
        return self.__dict__ | {"cache": None, "executor": None}

    def _load_table(self, path: str | Path) -> None:
        archs, scores = read_scores(path)
        missing = [n for n in self.names if n not in scores]
        if missing:
            raise InvalidArgumentError(f"score table {path} has no column for {missing}")
        for i, text in enumerate(archs):
            key = self.space.to_str(self.space.from_str(text))
            self._memo[key] = {n: float(scores[n][i]) for n in self.names}

    def _values(self, archs: Sequence[Arch]) -> dict[str, np.ndarray]:
        keys = [self.space.to_str(a) for a in archs]
        todo = [a for a, k in zip(archs, keys) if k not in self._memo]
        if todo and self.from_table:
            raise InvalidArchitectureError(
                f"{self.space.to_str(todo[0])} is not in the precomputed score table")
        if todo:
            run = score_architectures(self.space, todo, self.names, self.batch,
                                      second_batch=self.second_batch, seed=self.seed,
                                      cache=self.cache, show_progress=len(todo) > 50,
                                      executor=self.executor, device=self.device,
                                      data_dir=self.data_dir, epochs=self.epochs)
            for i, arch in enumerate(todo):
                key = self.space.to_str(arch)
                self._memo[key] = {n: run.scores[n][i] for n in self.names}
        return {n: np.array([self._memo[k][n] for k in keys]) for n in self.names}

    def __call__(self, archs: Sequence[Arch]) -> np.ndarray:
        """One score per architecture, higher is better (ensembles: relative to ``archs``)."""
        self.evaluations += len(archs)
        values = self._values(archs)
        if self.kind == "vote":
            return vote(values, self.names)
        if self.kind == "rank":
            return rank_average(values, self.names)
        return values[self.names[0]]

    def values(self, archs: Sequence[Arch]) -> dict[str, np.ndarray]:
        """Each proxy's own score per architecture (absolute, unlike a vote or rank, which is
        relative to ``archs``): for surrogate features. Counts like ``__call__``."""
        self.evaluations += len(archs)
        return self._values(archs)

    def best(self, candidates: Sequence[Arch]) -> Arch:
        """The candidate the proxy ranks highest (first one on ties)."""
        return candidates[int(np.argmax(self(candidates)))]


def random_pool(space: SearchSpace, size: int, rng: np.random.Generator) -> list[Arch]:
    """``size`` distinct random architectures (all of them if the space is smaller)."""
    total = space.size()
    if total is not None and size >= total:
        return list(space.enumerate())
    seen: dict[Arch, None] = {}
    while len(seen) < size:
        seen.setdefault(space.sample(rng), None)
    return list(seen)
