"""The notebooks run end to end (nbclient, a fresh kernel) on a small configuration.

The kernel inherits the environment set here: tiny budgets, the test data, and a score cache
and output folder in ``tmp_path``. ``OMP_NUM_THREADS=1`` keeps torch from oversubscribing a
busy machine (synflow is ~30x slower with two threads fighting over two loaded cores).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SAMPLE_EFFICIENCY_LABELS = ["RS", "RS+W", "RE", "RE+W", "RE+M", "RE+W+M", "RL", "RL+W",
                            "PREDICTOR", "PREDICTOR+W"]


def execute(name: str, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell of ``notebooks/name`` in ``cwd``; a cell error fails the test."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors
    return nb


def outputs(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    return [o.data[mime] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type in ("display_data", "execute_result") and mime in o.data]


@pytest.fixture
def kernel_env(monkeypatch, data_dir, tmp_path):
    monkeypatch.setenv("NASLIB_ZERO_DATA", str(data_dir))
    monkeypatch.setenv("NASLIB_ZERO_CACHE", str(tmp_path / "scores.sqlite"))
    monkeypatch.setenv("NASLIB_ZERO_NB_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return tmp_path


@pytest.mark.parametrize("name", ["sample_efficiency.ipynb", "new_proxy.ipynb"])
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_sample_efficiency_notebook(kernel_env, monkeypatch):
    monkeypatch.setenv("NASLIB_ZERO_NB_BUDGET", "20")
    monkeypatch.setenv("NASLIB_ZERO_NB_SEEDS", "2")
    monkeypatch.setenv("NASLIB_ZERO_NB_WARMUP", "50")
    monkeypatch.setenv("NASLIB_ZERO_NB_WORKERS", "2")  # warm-up pools scored by a process pool
    nb = execute("sample_efficiency.ipynb", kernel_env)

    out = kernel_env / "out"
    with (out / "sample_efficiency.csv").open(newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header == ["dataset", "configuration", "queries to top 1%", "reached", "best@20",
                      "proxy evals"]
    for dataset in ("cifar10", "cifar100"):
        table = [r for r in rows if r[0] == dataset]
        assert [r[1] for r in table] == SAMPLE_EFFICIENCY_LABELS
        for row in table:
            best, evals = float(row[4]), float(row[5])
            assert 10.0 < best < 100.0  # a test accuracy in percent
            if row[1] == "RE+M":  # the population is still filling: best of 10 random
                assert evals >= 20 * 10
            else:  # the warm-up pool (RE+W+M's 20 queries all come from it), or nothing
                assert evals == (50 if "+W" in row[1] else 0)
            assert re.fullmatch(r"\d+/2", row[3])  # in 20 queries
        assert (out / f"best_vs_queries_{dataset}.png").stat().st_size > 0
    assert len(outputs(nb, "image/png")) == 2
    assert (kernel_env / "scores.sqlite").is_file()  # synflow went through the score cache


def test_new_proxy_notebook(kernel_env, monkeypatch):
    monkeypatch.setenv("NASLIB_ZERO_NB_SAMPLE", "16")
    nb = execute("new_proxy.ipynb", kernel_env)

    (table,) = outputs(nb, "text/markdown")
    row = re.compile(r"^\| (\w+) \| (-?[\d.]+|nan) \| (-?[\d.]+|nan) \|$", re.M)
    values = {m[1]: (float(m[2]), float(m[3])) for m in row.finditer(table)}
    assert set(values) == {"grad_abs_mean", "synflow", "snip"}
    for spearman, kendall in values.values():
        assert math.isfinite(spearman) and -1 <= spearman <= 1
        assert math.isfinite(kendall) and -1 <= kendall <= 1
    assert len(outputs(nb, "image/png")) == 1  # the scatter plots
