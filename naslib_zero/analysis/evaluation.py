"""Join proxy scores with ground truth, report ranking quality, draw score-vs-accuracy plots.

Score files are CSVs (``arch,<proxy>,...``) in UTF-8. An empty cell or ``nan`` is a missing
value: the report leaves it out, counts only the values used in ``n`` and :func:`caveats` says
how many were left out; any other cell that is not a number is an error.
"""

from __future__ import annotations

import csv
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from naslib_zero.analysis.ensembles import DEFAULT_VOTE, vote
from naslib_zero.analysis.metrics import (
    REPORT_COLUMNS,
    MetricWarning,
    pairwise_accuracy,
    ranking_report,
)
from naslib_zero.core.errors import CorruptDataError, DataNotFoundError, InvalidArgumentError
from naslib_zero.tables import GroundTruth

COLUMNS = (*REPORT_COLUMNS, "pairwise", "n", "n_worst")
MIN_TAIL = 10  # fewer architectures than this behind a tail criterion earn a warning


def write_scores(path: str | Path, archs: Sequence[str], scores: dict[str, Sequence[float]],
                 ) -> None:
    """CSV with a column ``arch`` and one column per proxy (``-inf`` written as ``-inf``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(scores)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["arch", *names])
        for i, arch in enumerate(archs):
            writer.writerow([arch, *(repr(float(scores[n][i])) for n in names)])


def read_scores(path: str | Path) -> tuple[list[str], dict[str, np.ndarray]]:
    """Inverse of :func:`write_scores`, with clear errors for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"score file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as err:
        raise CorruptDataError(f"{path} is not a text CSV file (byte {err.start} is not UTF-8); "
                               f"expected one written by 'naslib-zero score'") from None
    except csv.Error as err:
        raise CorruptDataError(f"{path} is not a CSV file ({err})") from None
    except OSError as err:
        raise CorruptDataError(f"cannot read the score file {path}: {err.strerror}") from None
    if not rows or rows[0][:1] != ["arch"] or len(rows[0]) < 2:
        raise CorruptDataError(f"{path}: expected a header 'arch,<proxy>,...'")
    names = rows[0][1:]
    twice = [n for n, count in Counter(names).items() if count > 1]
    if twice or "arch" in names:
        raise CorruptDataError(f"{path}: column {(twice or ['arch'])[0]!r} appears twice in "
                               f"the header")
    archs, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise CorruptDataError(f"{path}:{line}: expected {len(rows[0])} fields, got {len(row)}")
        try:
            values.append([float(v) if v.strip() else math.nan for v in row[1:]])
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
    report, pairwise accuracy, the number of architectures used (``n``: those with a score and
    a truth that are not NaN) and how many of them scored -inf."""
    columns = dict(scores)
    if all(n in scores for n in DEFAULT_VOTE) and "vote" not in scores:
        columns["vote"] = vote(scores)
    report = {}
    for name, values in columns.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)
            row = ranking_report(values, truth)
            row["pairwise"] = pairwise_accuracy(values, truth)
        values = np.asarray(values, dtype=np.float64)
        used = ~(np.isnan(values) | np.isnan(truth))
        row["n"] = float(used.sum())
        row["n_worst"] = float(np.sum(np.isneginf(values[used])))
        report[name] = row
    return report


def caveats(report: dict[str, dict[str, float]], total: int) -> list[str]:
    """One-line warnings on what :func:`evaluate_scores`' ``report`` of ``total`` architectures
    rests on: scores left out (NaN or empty, or no truth), and tail criteria (P@top/bottom-K,
    BR/WR@K) computed on fewer than :data:`MIN_TAIL` architectures."""
    lines = []
    left_out = {name: total - int(row["n"]) for name, row in report.items() if row["n"] < total}
    if left_out:
        lines.append("left out as NaN or empty (n counts only the values used): "
                     + ", ".join(f"{name} {count} of {total}" for name, count in left_out.items()))
    n = min((int(row["n"]) for row in report.values()), default=0)
    tails = {}
    for column in COLUMNS:
        percent = re.fullmatch(r"\w+@\D*(\d+)%", column)  # p@top5%, br@1%, ...
        k = max(1, int(percent[1]) * n // 100) if percent else MIN_TAIL  # as in the metrics
        if k < MIN_TAIL:
            tails.setdefault(k, []).append(column)
    if tails and n:
        lines.append(f"with n = {n}, " + "; ".join(
            f"{', '.join(columns)} rest{'s' * (len(columns) == 1)} on {k} "
            f"architecture{'s' * (k != 1)}" for k, columns in tails.items())
            + f" (fewer than {MIN_TAIL}: read them as rough)")
    return lines


def metadata_caveats(paths: Sequence[str | Path], space: str, dataset: str) -> list[str]:
    """One-line warnings when the ``<scores>.json`` files that ``score`` writes beside its CSVs
    say the scores were computed for another space or dataset than ``space`` and ``dataset``,
    or when several files were computed with different settings. Files without one pass."""
    lines, seen = [], {}
    for path in paths:
        meta_path = Path(f"{path}.json")
        if not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            settings = dict(meta["settings"])
            computed = (str(meta["space"]), str(settings["dataset"]))
        except (OSError, ValueError, KeyError, TypeError) as err:
            lines.append(f"{meta_path} is not the metadata 'naslib-zero score' writes "
                         f"({type(err).__name__}: {err}); its settings were not checked")
            continue
        if computed[0] != space or computed[1] != dataset:
            lines.append(f"{path} was scored on space {computed[0]}, dataset {computed[1]}; it "
                         f"is evaluated against space {space}, dataset {dataset}")
        seen.setdefault(json.dumps([settings, meta.get("batch_hash")], sort_keys=True),
                        meta_path)
    if len(seen) > 1:
        lines.append("the score files were computed with different settings or batches: "
                     + " vs ".join(str(p) for p in seen.values()))
    return lines


def format_report(report: dict[str, dict[str, float]]) -> str:
    """A fixed-width text table of :func:`evaluate_scores`' output, names aligned to the
    longest."""
    width = max(len("proxy"), *map(len, report)) + 2
    header = f"{'proxy':<{width}}" + "".join(f"{c:>11}" for c in COLUMNS)
    lines = [header, "-" * len(header)]
    for name, row in report.items():
        cells = "".join(f"{int(row[c]):>11d}" if c in ("n", "n_worst") else
                        f"{row[c]:>11.3f}" if not math.isnan(row[c]) else f"{'nan':>11}"
                        for c in COLUMNS)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)


def safe_file_names(names: Sequence[str]) -> dict[str, str]:
    """A distinct file name stem per name that cannot leave its folder: characters other than
    ``A-Z a-z 0-9 . _ -`` become ``_``, no leading dot or dash, at most 100 characters, never
    empty; stems equal to an earlier one (also ignoring case) get ``-2``, ``-3``, ..."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100].lstrip(".-") or "proxy"
        candidate, number = stem, 1
        while candidate.lower() in taken:
            number += 1
            candidate = f"{stem}-{number}"
        taken.add(candidate.lower())
        stems[name] = candidate
    return stems


def scatter_plots(scores: dict[str, np.ndarray], truth: np.ndarray, table: GroundTruth,
                  folder: str | Path, report: dict[str, dict[str, float]]) -> list[Path]:
    """One PNG per proxy in ``folder`` (named by :func:`safe_file_names`): accuracy against
    the score's rank, so that no outlier squashes the rest, titled with the proxy's Spearman
    and ``n`` from :func:`evaluate_scores`' ``report``; NaN and infinite scores are not shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import rankdata

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, stem in safe_file_names(list(scores)).items():
        values = scores[name]
        finite = np.isfinite(values) & ~np.isnan(truth)
        fig, ax = plt.subplots(figsize=(4.5, 3.5), dpi=120)
        ranks = rankdata(values[finite]) / max(1, int(finite.sum())) * 100
        ax.scatter(ranks, truth[finite], s=4, alpha=0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel("proxy score, percentile rank (100 = highest)")
        ax.set_ylabel(f"{table.dataset} {table.metric} ({table.unit})")
        row = report[name]
        hidden = int(row["n"]) - int(finite.sum())
        ax.set_title(f"{name}\nSpearman {row['spearman']:.3f}, n = {int(row['n'])}"
                     + (f" ({hidden} infinite, not shown)" if hidden else ""), fontsize=9,
                     wrap=True)
        fig.tight_layout()
        path = folder / f"{stem}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
