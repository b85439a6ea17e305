"""Architecture lists to cached scores: models, batches, the score cache, executors, the
estimators that train (training, reduced training, one-shot) and the scoring loop.

Modules, in the order they build on each other: :mod:`~naslib_zero.scoring.models` (seeded
networks), :mod:`~naslib_zero.scoring.batches` (which minibatch, settings keys),
:mod:`~naslib_zero.scoring.cache` (SQLite), :mod:`~naslib_zero.scoring.executors` (where work
runs), :mod:`~naslib_zero.scoring.training` and :mod:`~naslib_zero.scoring.supernet`,
:mod:`~naslib_zero.scoring.estimators`, :mod:`~naslib_zero.scoring.calibration` (Sweetimator's
interval) and :mod:`~naslib_zero.scoring.score` (:func:`score_architectures`). This package
re-exports the names most callers need.
"""

from naslib_zero.scoring.batches import BatchSettings, load_batches, settings_key
from naslib_zero.scoring.cache import PendingScoreCache, ScoreCache
from naslib_zero.scoring.models import batch_dataset, build_model
from naslib_zero.scoring.score import (
    ScoredArch,
    ScoreRun,
    ScoringJob,
    ScoringTask,
    run_task,
    score_architectures,
)

__all__ = ["BatchSettings", "PendingScoreCache", "ScoreCache", "ScoreRun", "ScoredArch",
           "ScoringJob", "ScoringTask", "batch_dataset", "build_model", "load_batches",
           "run_task", "score_architectures", "settings_key"]
