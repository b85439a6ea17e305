"""Join proxy scores with ground truth, report ranking quality, draw score-vs-accuracy plots."""

from __future__ import annotations

import csv
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from naslib_zero.ensembles import DEFAULT_VOTE, vote
from naslib_zero.errors import CorruptDataError, DataNotFoundError, InvalidArgumentError
from naslib_zero.metrics import REPORT_COLUMNS, MetricWarning, pairwise_accuracy, ranking_report
from naslib_zero.tables import GroundTruth

COLUMNS = (*REPORT_COLUMNS, "pairwise", "n", "n_worst")


def write_scores(path: str | Path, archs: Sequence[str], scores: dict[str, Sequence[float]],
                 ) -> None:
    """CSV with a column ``arch`` and one column per proxy (``-inf`` written as ``-inf``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(scores)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["arch", *names])
        for i, arch in enumerate(archs):
            writer.writerow([arch, *(repr(float(scores[n][i])) for n in names)])


def read_scores(path: str | Path) -> tuple[list[str], dict[str, np.ndarray]]:
    """Inverse of :func:`write_scores`, with clear errors for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"score file not found: {path}")
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows or rows[0][:1] != ["arch"] or len(rows[0]) < 2:
        raise CorruptDataError(f"{path}: expected a header 'arch,<proxy>,...'")
    names = rows[0][1:]
    archs, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise CorruptDataError(f"{path}:{line}: expected {len(rows[0])} fields, got {len(row)}")
        try:
            values.append([float(v) for v in row[1:]])
        except ValueError as err:
            raise CorruptDataError(f"{path}:{line}: {err}") from None
        archs.append(row[0])
    table = np.array(values, dtype=np.float64).reshape(len(archs), len(names))
    return archs, {n: table[:, i] for i, n in enumerate(names)}


def read_score_files(paths: Sequence[str | Path]) -> tuple[list[str], dict[str, np.ndarray]]:
    """Several score files (e.g. the shards of ``score --all --shard K/N``) read as one, rows
    in the given order; they must have the same columns and no architecture twice."""
    if not paths:
        raise InvalidArgumentError("no score file given")
    archs, names, parts = [], None, []
    for path in paths:
        more, scores = read_scores(path)
        if names is not None and list(scores) != names:
            raise CorruptDataError(f"{path}: columns {list(scores)} differ from the first "
                                   f"file's {names}")
        names = list(scores)
        archs += more
        parts.append(scores)
    repeated = [a for a, n in Counter(archs).items() if n > 1]
    if repeated:
        raise CorruptDataError(f"{len(repeated)} architectures appear more than once across "
                               f"{len(paths)} score files, e.g. {repeated[0]}")
    return archs, {n: np.concatenate([p[n] for p in parts]) for n in names}


def evaluate_scores(scores: dict[str, np.ndarray], truth: np.ndarray,
                    ) -> dict[str, dict[str, float]]:
    """Per proxy (and the synflow/jacob_cov/snip vote when all three are present): the ranking
    report, pairwise accuracy, the number of architectures and how many scored -inf."""
    columns = dict(scores)
    if all(n in scores for n in DEFAULT_VOTE):
        columns["vote"] = vote(scores)
    report = {}
    for name, values in columns.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)
            row = ranking_report(values, truth)
            row["pairwise"] = pairwise_accuracy(values, truth)
        row["n"] = float(len(values))
        row["n_worst"] = float(np.sum(np.isneginf(values)))
        report[name] = row
    return report


def format_report(report: dict[str, dict[str, float]]) -> str:
    """A fixed-width text table of :func:`evaluate_scores`' output."""
    header = f"{'proxy':<12}" + "".join(f"{c:>11}" for c in COLUMNS)
    lines = [header, "-" * len(header)]
    for name, row in report.items():
        cells = "".join(f"{int(row[c]):>11d}" if c in ("n", "n_worst") else
                        f"{row[c]:>11.3f}" if not math.isnan(row[c]) else f"{'nan':>11}"
                        for c in COLUMNS)
        lines.append(f"{name:<12}{cells}")
    return "\n".join(lines)


def scatter_plots(scores: dict[str, np.ndarray], truth: np.ndarray, table: GroundTruth,
                  folder: str | Path) -> list[Path]:
    """One PNG per proxy: score against accuracy (architectures scored -inf left out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, values in scores.items():
        finite = np.isfinite(values)
        fig, ax = plt.subplots(figsize=(4.5, 3.5), dpi=120)
        ax.scatter(values[finite], truth[finite], s=4, alpha=0.5)
        ax.set_xlabel(f"{name} score")
        ax.set_ylabel(f"{table.dataset} {table.metric} accuracy (%)")
        dropped = int((~finite).sum())
        ax.set_title(f"{name}" + (f" ({dropped} unscorable not shown)" if dropped else ""),
                     fontsize=9)
        fig.tight_layout()
        path = folder / f"{name}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
