"""``naslib-zero search`` as a user meets it: bad input, strategy options and their warnings,
a space that runs out, what the outputs are called, and progress without a terminal."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tiny_space import TinySpace, tiny_oracle  # tests/ is on sys.path (rootdir-less)

from naslib_zero.cli import main
from naslib_zero.core import progress
from strategies.experiment import SearchConfig, run_seeds


def run(tmp_path: Path, data_dir: Path | str, *args: str, out: str = "out") -> int:
    return main(["--data-dir", str(data_dir), "-q", "search", *args,
                 "--out", str(tmp_path / out)])


def rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "trajectories.csv").open() as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("args, message", [
    (["--seeds", "0"], "seeds must be >= 1, got 0"),
    (["--seeds", "-1"], "seeds must be >= 1, got -1"),
    (["--budget", "0"], "budget must be >= 1, got 0"),
    (["--budget", "-5"], "budget must be >= 1, got -5"),
    (["--warmup", "-1", "--proxy", "synflow"], "warmup must be >= 0, got -1"),
    (["--batch-size", "0"], "batch size must be >= 1, got 0"),
    (["--epochs", "0"], "epochs must be >= 1, got 0"),
    (["--workers", "0"], "workers must be >= 1, got 0"),
    (["--population", "5"], "--strategy re: population (5) must be >= tournament (10)"),
    (["--strategy", "nsga2", "--population", "1"], "--strategy nsga2: pop_size must be"),
    (["--strategy", "rl", "--tournament", "4"], "--tournament applies to --strategy re, not rl"),
    (["--strategy", "rs", "--population", "8"],
     "--population applies to --strategy re or nsga2, not rs"),
    (["--strategy", "rl", "--learning-rate", "0"], "--strategy rl: learning_rate must be > 0"),
    (["--strategy", "predictor", "--initial", "0"], "--strategy predictor: initial must be"),
    (["--proposals", "3"], "--proposals applies to move proposal (--move)"),
    (["--move"], "need a proxy (--proxy)"),
    (["--zero-shot", "--proxy", "vote"], "zero-shot search needs one proxy"),
    (["--strategy", "nope"], "unknown strategy 'nope'"),
    (["--oracle", "nope"], "unknown --oracle 'nope'"),
])
def test_bad_input_is_one_line_before_any_work(tmp_path, capsys, args, message):
    assert run(tmp_path, tmp_path / "no-data", *args) == 2
    (line,) = capsys.readouterr().err.splitlines()  # one line, no traceback
    assert line.startswith("naslib-zero: error: ") and message in line
    assert not (tmp_path / "out").exists()


def test_a_space_that_runs_out_writes_what_was_done_then_says_so(data_dir, tmp_path, capsys):
    # the nds table holds 130 ResNeXt-A networks; the search is restricted to them
    args = ["--space", "nds_resnext-a", "--strategy", "rs", "--budget", "140", "--seeds", "1"]
    assert run(tmp_path, data_dir, *args) == 2
    assert capsys.readouterr().err.splitlines() == [
        "naslib-zero: error: the space ran out after 130 distinct networks (seed 0, --budget "
        f"140); {tmp_path / 'out'}/trajectories.csv and summary.json hold the queries made"]
    assert len({row["arch"] for row in rows(tmp_path / "out")}) == 130
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["stopped_early"] == [
        {"seed": 0, "queries": 130, "reason": "the space ran out after 130 distinct networks"}]
    assert summary["best@130"]["median"] == max(float(r["accuracy"])
                                                for r in rows(tmp_path / "out"))


def test_a_budget_within_res_population_warns(data_dir, tmp_path, capsys):
    assert run(tmp_path, data_dir, "--strategy", "re", "--budget", "20", "--seeds", "2") == 0
    assert capsys.readouterr().err.splitlines() == [
        "naslib-zero: warning: --budget 20 does not exceed the 64 initial queries of "
        "--strategy re (--population): the search hardly gets past them, it is random search "
        "(or the --warmup pool's best)"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["strategy_options"] == {"population": 64, "tournament": 10}
    assert [k for k in summary if k.startswith("best@")] == ["best@10", "best@20"]
    assert summary["objective"] == "cifar10 test (%)"
    assert summary["trajectory_value"] == "accuracy" and "accuracy" in rows(tmp_path / "out")[0]


def test_population_and_tournament_reach_aging_evolution(data_dir, tmp_path, capsys):
    common = ["--budget", "30", "--seeds", "1"]
    assert run(tmp_path, data_dir, "--strategy", "re", "--population", "8", "--tournament", "4",
               *common, out="re") == 0
    assert run(tmp_path, data_dir, "--strategy", "rs", *common, out="rs") == 0
    assert "warning" not in capsys.readouterr().err
    summary = json.loads((tmp_path / "re" / "summary.json").read_text())
    assert summary["strategy_options"] == {"population": 8, "tournament": 4}
    evolved = [row["arch"] for row in rows(tmp_path / "re")]
    sampled = [row["arch"] for row in rows(tmp_path / "rs")]
    # the random initial population is RS's own samples (a repeat fills a place too), then
    # the children of tournament winners differ from RS (with 64, all 30 would be RS's)
    same = next(i for i, (a, b) in enumerate(zip(evolved, sampled)) if a != b)
    assert 4 <= same <= 8


def test_zero_shot_names_proxy_values_and_warns_about_a_large_warm_up(tmp_path, capsys):
    args = ["--strategy", "rs", "--zero-shot", "--proxy", "params", "--proxy-data",
            "synthetic", "--warmup", "4", "--budget", "3", "--seeds", "1"]
    assert run(tmp_path, tmp_path / "no-data", *args) == 0
    assert capsys.readouterr().err.splitlines() == [
        "naslib-zero: warning: with --zero-shot, --warmup 4 proxy evaluations (not counted in "
        "--budget 3) outnumber the search: the result is mostly the warm-up pool's best"]
    trajectory = rows(tmp_path / "out")
    assert list(trajectory[0]) == ["seed", "query", "arch", "proxy_value", "best_so_far",
                                   "proxy_evals", "seconds"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["objective"] == "params proxy value"
    assert summary["trajectory_value"] == "proxy_value"
    assert summary["best@3"]["median"] == max(float(r["proxy_value"]) for r in trajectory)
    assert summary["top_architectures"][0]["top"][0]["proxy"] == summary["best@3"]["median"]


def test_progress_without_a_terminal_prints_lines(monkeypatch, capsys):
    monkeypatch.setattr(progress, "LINE_SECONDS", 0.0)
    monkeypatch.setattr(progress, "_enabled", True)
    with progress.Progress(4, "scoring", "archs") as shown:
        shown.update()
        shown.update(3)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" in ")[0] for line in lines] == ["scoring: 1/4 archs (25 %)",
                                                         "scoring: 4/4 archs (100 %)"]
    assert lines[-1].endswith("about 0 s left")
    progress.set_enabled(False)
    assert list(progress.progress(range(3), desc="quiet")) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_search_progress_counts_queries_over_all_seeds(monkeypatch, capsys):
    monkeypatch.setattr(progress, "LINE_SECONDS", 0.0)
    monkeypatch.setattr(progress, "_enabled", True)
    space = TinySpace()
    run_seeds(space, SearchConfig("rs", 5), [0, 1], tiny_oracle)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"RS: {n}/10 queries"
                                                        for n in range(1, 11)]
