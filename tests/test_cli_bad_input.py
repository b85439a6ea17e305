"""Bad command lines: each gives exit status 2 and exactly one line on stderr,
``naslib-zero: error: ...`` (argparse's usage errors included: the CLI's parser prints them as
one line too), without a traceback and without writing anything. A damaged score cache stays
byte for byte as it was. Then the read-only cache, the output checks and the evaluate
report's warnings, plots and file names."""

from __future__ import annotations

import csv
import json
import math
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from naslib_zero.analysis.evaluation import (
    caveats,
    evaluate_scores,
    format_report,
    metadata_caveats,
    read_scores,
    safe_file_names,
)
from naslib_zero.cli import main
from naslib_zero.core.errors import CorruptDataError
from naslib_zero.scoring import ScoreCache

ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"  # noqa: E501
SCORE = ["-q", "score", "--dataset", "synthetic", "--proxies", "params", "--batch-size", "4"]
SAMPLE = [*SCORE, "--sample", "2"]


def run(argv: list[str]) -> int:
    """``main``'s exit status, argparse's SystemExit included."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def bad_files(tmp_path: Path) -> Path:
    """A folder of things a user might pass by mistake."""
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "file.txt").write_text("x\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "garbage.sqlite").write_bytes(b"not a database, just text\n" * 200)
    cache = ScoreCache(tmp_path / "valid.sqlite")
    for i in range(200):
        cache.put(("nb201", f"arch{i}", "batch", 0), {"p": "s"}, {"p": float(i)}, 0.1)
    cache.close()
    data = (tmp_path / "valid.sqlite").read_bytes()
    (tmp_path / "valid.sqlite").unlink()
    (tmp_path / "truncated.sqlite").write_bytes(data[:len(data) // 2 + 100])
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE people (name TEXT)")
    other.commit()
    other.close()
    (tmp_path / "good.csv").write_text(f"arch,params\n{ALL_CONV},1.0\n")
    for name, text in {"no_header.csv": f"{ALL_CONV},1.0\n",
                       "twice.csv": f"arch,p,p\n{ALL_CONV},1,2\n",
                       "word.csv": f"arch,p\n{ALL_CONV},high\n",
                       "ragged.csv": f"arch,p,q\n{ALL_CONV},1\n"}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


BAD = [  # (id, arguments, part of the message, damaged cache that must stay as it is)
    ("sample-0", [*SCORE, "--sample", "0"], "--sample: expected an integer >= 1, got 0", None),
    ("sample-negative", [*SCORE, "--sample", "-3"], "got -3 (--all scores every", None),
    ("sample-word", [*SCORE, "--sample", "many"], "expected an integer, got 'many'", None),
    ("sample-too-large", [*SCORE, "--sample", "100000"], "--sample must be in 1..15625", None),
    ("batch-size-0", [*SAMPLE, "--batch-size", "0"], "--batch-size: expected an integer >= 1",
     None),
    ("workers-0", [*SAMPLE, "--workers", "0"], "workers must be >= 1, got 0", None),
    ("epochs-negative", [*SAMPLE, "--epochs", "-1"], "--epochs: expected an integer >= 1", None),
    ("seed-negative", [*SAMPLE, "--seed", "-1"], "--seed: expected an integer from 0 to", None),
    ("data-seed-too-large", [*SAMPLE, "--data-seed", str(2**32)], "--data-seed: expected",
     None),
    ("shard-reversed", [*SCORE, "--all", "--shard", "2/1"], "expected K/N with 0 <= K < N",
     None),
    ("shard-without-all", [*SAMPLE, "--shard", "0/2"], "--shard splits --all", None),
    ("no-selection", SCORE, "one of the arguments --sample --archs --all is required", None),
    ("unknown-command", ["scroe"], "invalid choice: 'scroe'", None),
    ("unknown-option", ["info", "--arch", "1", "--colour"], "unrecognized arguments: --colour",
     None),
    ("unknown-space", [*SAMPLE, "--space", "nope"], "unknown search space 'nope'", None),
    ("bad-space-option", [*SAMPLE, "--space", "nb201:C=x"], "C must be a positive int", None),
    ("unknown-proxy", [*SAMPLE, "--proxies", "nope"], "unknown proxy 'nope'", None),
    ("unknown-dataset", [*SAMPLE, "--dataset", "nope"], "no models for dataset 'nope'", None),
    ("unknown-device", [*SAMPLE, "--device", "bogus"], "unknown device 'bogus'", None),
    ("archs-missing", [*SCORE, "--archs", "{tmp}/missing.txt"], "architecture file not found",
     None),
    ("archs-binary", [*SCORE, "--archs", "{tmp}/binary.bin"], "binary.bin is not a text file",
     None),
    ("out-is-folder", [*SAMPLE, "--out", "{tmp}/folder"], "--out {tmp}/folder must be a file",
     None),
    ("out-under-file", [*SAMPLE, "--out", "{tmp}/file.txt/s.csv"],
     "{tmp}/file.txt is not a folder", None),
    ("cache-garbage", [*SAMPLE, "--cache", "{tmp}/garbage.sqlite"],
     "is damaged (not an SQLite database); it was left as it is: move it away", "garbage"),
    ("cache-truncated", [*SAMPLE, "--cache", "{tmp}/truncated.sqlite"],
     "truncated.sqlite is damaged (", "truncated"),
    ("cache-other-database", [*SAMPLE, "--cache", "{tmp}/other.sqlite"],
     "is an SQLite database but not a score cache", "other"),
    ("cache-is-folder", [*SAMPLE, "--cache", "{tmp}/folder"], "must be a file, but it is a folder",
     None),
    ("cache-under-file", [*SAMPLE, "--cache", "{tmp}/file.txt/c.sqlite"],
     "cannot create score cache {tmp}/file.txt/c.sqlite: {tmp}/file.txt is not a folder", None),
    ("evaluate-missing", ["evaluate", "{tmp}/missing.csv"], "score file not found", None),
    ("evaluate-binary", ["evaluate", "{tmp}/binary.bin"], "binary.bin is not a text CSV", None),
    ("evaluate-no-header", ["evaluate", "{tmp}/no_header.csv"], "expected a header", None),
    ("evaluate-column-twice", ["evaluate", "{tmp}/twice.csv"], "column 'p' appears twice", None),
    ("evaluate-word", ["evaluate", "{tmp}/word.csv"], "word.csv:2: could not convert", None),
    ("evaluate-ragged", ["evaluate", "{tmp}/ragged.csv"], "ragged.csv:2: expected 3 fields",
     None),
    ("evaluate-plots-is-file", ["evaluate", "{tmp}/good.csv", "--plots", "{tmp}/file.txt"],
     "--plots {tmp}/file.txt must be a folder, but it is a file", None),
    ("evaluate-unknown-metric", ["evaluate", "{tmp}/good.csv", "--metric", "nope"],
     "unknown metric 'nope'", None),
    ("info-index", ["info", "--arch", "99999"], "index must be an int in [0, 15625)", None),
    ("info-arch", ["info", "--arch", "bogus"], "an NB201 architecture string has 3 nodes", None),
]


@pytest.mark.parametrize("argv,message,cache", [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_input_is_one_line_and_writes_nothing(bad_files, capsys, argv, message, cache):
    before = files(bad_files)
    argv = ["--data-dir", str(bad_files / "no-data"),
            *(a.replace("{tmp}", str(bad_files)) for a in argv)]
    assert run(argv) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("naslib-zero: error: ")
    assert message.replace("{tmp}", str(bad_files)) in line
    assert "Traceback" not in captured.out + captured.err
    assert files(bad_files) == before  # damaged caches included, and no -wal/-shm beside them
    if cache:
        assert f"{cache}.sqlite" in line


@pytest.mark.parametrize("name", ["score", "evaluate", "info"])
def test_every_option_has_help(name):
    import argparse

    from naslib_zero.cli.main import build_parser

    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction)).choices
    assert [a.dest for a in commands[name]._actions if a.help is None] == []


def test_read_only_cache_serves_cached_values_and_refuses_new_ones(tmp_path, capsys,
                                                                   monkeypatch):
    """A cache that may not be written (simulated, since root writes anyway) is read as it
    is; only a value that is not in it yet is an error, and the file never changes."""
    folder = tmp_path / "shared"
    cache = folder / "c.sqlite"
    args = [*SCORE, "--cache", str(cache), "--out", str(tmp_path / "a.csv")]
    assert run([*args, "--sample", "3"]) == 0
    capsys.readouterr()
    before = files(folder)
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        Path(path).resolve().parent != folder.resolve() and Path(path).resolve() != folder
        and access(path, mode, **kw)))
    opened = ScoreCache(cache)
    assert opened.read_only
    opened.close()
    assert run([*args, "--sample", "3", "--out", str(tmp_path / "b.csv")]) == 0
    assert "0 scored now, 3 from the cache" in capsys.readouterr().out
    assert (tmp_path / "b.csv").read_text() == (tmp_path / "a.csv").read_text()
    assert run([*args, "--sample", "4"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("naslib-zero: error: the score cache") and "is read-only" in line
    assert files(folder) == before


def test_read_only_folder_for_real(tmp_path, capsys):
    """The same through file permissions, where they bind this process (not for root)."""
    folder = tmp_path / "shared"
    args = [*SCORE, "--sample", "3", "--cache", str(folder / "c.sqlite")]
    assert run([*args, "--out", str(tmp_path / "a.csv")]) == 0
    (folder / "c.sqlite").chmod(0o444)
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this process writes into read-only folders (root)")
        before = files(folder)
        assert run([*args, "--out", str(tmp_path / "b.csv")]) == 0
        assert files(folder) == before
    finally:
        folder.chmod(0o755)


def test_output_that_cannot_be_written_after_scoring_keeps_the_scores(tmp_path, capsys,
                                                                        monkeypatch):
    import naslib_zero.analysis.evaluation as evaluation

    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    args = [*SCORE, "--sample", "3", "--cache", str(tmp_path / "c.sqlite")]
    with monkeypatch.context() as patch:
        patch.setattr(evaluation, "write_scores", fail)
        assert run([*args, "--out", str(tmp_path / "a.csv")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "cannot write" in line and "rerun with another --out" in line
    assert run([*args, "--out", str(tmp_path / "b.csv")]) == 0
    assert "1 proxy; 0 scored now, 3 from the cache" in capsys.readouterr().out


def test_score_summary_counts_the_cache_exactly(tmp_path, capsys):
    args = [*SCORE, "--cache", str(tmp_path / "c.sqlite"), "--out", str(tmp_path / "s.csv")]
    assert run([*args, "--sample", "2"]) == 0
    assert "(2 architectures, 1 proxy; 2 scored now, 0 from the cache)" in capsys.readouterr().out
    assert run([*args, "--sample", "3", "--proxies", "params,flops"]) == 0
    assert "(3 architectures, 2 proxies; 3 scored now, 0 from the cache)" in \
        capsys.readouterr().out
    assert run([*args, "--sample", "4", "--proxies", "flops"]) == 0
    assert "(4 architectures, 1 proxy; 1 scored now, 3 from the cache)" in \
        capsys.readouterr().out


def test_missing_scores_are_left_out_of_n_and_reported():
    scores = {"a": np.array([1.0, math.nan, 3.0, 4.0, 5.0]), "b": np.arange(5.0)}
    truth = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    report = evaluate_scores(scores, truth)
    assert report["a"]["n"] == 4 and report["b"]["n"] == 5
    assert report["a"]["spearman"] == pytest.approx(1.0)
    lines = caveats(report, 5)
    assert lines[0] == "left out as NaN or empty (n counts only the values used): a 1 of 5"
    assert lines[1] == ("with n = 4, p@top5%, p@top10%, p@bottom5%, br@1%, wr@1% rest on 1 "
                        "architecture (fewer than 10: read them as rough)")


def test_tail_warning_names_only_the_criteria_below_ten():
    n = 500
    report = evaluate_scores({"a": np.arange(float(n))}, np.arange(float(n)))
    assert caveats(report, n) == ["with n = 500, br@1%, wr@1% rest on 5 architectures (fewer "
                                  "than 10: read them as rough)"]
    report = evaluate_scores({"a": np.arange(1000.0)}, np.arange(1000.0))
    assert caveats(report, 1000) == []


def test_empty_cells_read_as_missing_and_words_as_errors(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("arch,a,b\nx,1.5,\ny,nan,-inf\n")
    archs, scores = read_scores(path)
    assert archs == ["x", "y"] and scores["a"][0] == 1.5 and np.isneginf(scores["b"][1])
    assert math.isnan(scores["b"][0]) and math.isnan(scores["a"][1])
    path.write_bytes(b"arch,a\nx,\xff\n")
    with pytest.raises(CorruptDataError, match="not a text CSV file"):
        read_scores(path)


def test_report_aligns_long_proxy_names():
    report = evaluate_scores({"p": np.arange(5.0), "a_very_long_proxy_name_indeed": -np.arange(
        5.0)}, np.arange(5.0))
    lines = format_report(report).splitlines()
    assert len({len(line) for line in lines}) == 1  # header, rule and rows equally wide
    assert lines[2].index("1.000") == lines[3].index("-1.000") + 1


def test_column_names_become_safe_distinct_file_names():
    names = ["../../x", "/abs/y", ".hidden", "a/b", "a_b", "A_B", "", "-rf", "ok-1.2"]
    stems = safe_file_names(names)
    assert list(stems.values()) == ["_.._x", "_abs_y", "hidden", "a_b", "a_b-2", "A_B-3",
                                    "proxy", "rf", "ok-1.2"]


def test_metadata_of_another_dataset_or_mixed_settings_warns(tmp_path):
    def scores(name: str, dataset: str, batch_size: int = 64) -> Path:
        path = tmp_path / name
        path.write_text(f"arch,p\n{ALL_CONV},1\n")
        Path(f"{path}.json").write_text(json.dumps(
            {"space": "nb201", "batch_hash": "h", "settings": {
                "dataset": dataset, "batch_size": batch_size, "seed": 0}}))
        return path

    same = scores("same.csv", "cifar10")
    assert metadata_caveats([same], "nb201", "cifar10") == []
    other = scores("other.csv", "synthetic")
    assert metadata_caveats([other], "nb201", "cifar10") == [
        f"{other} was scored on space nb201, dataset synthetic; it is evaluated against space "
        "nb201, dataset cifar10"]
    smaller = scores("smaller.csv", "cifar10", batch_size=8)
    assert metadata_caveats([same, smaller], "nb201", "cifar10") == [
        "the score files were computed with different settings or batches: "
        f"{same}.json vs {smaller}.json"]
    Path(f"{same}.json").write_text("{")
    (line,) = metadata_caveats([same], "nb201", "cifar10")
    assert line.startswith(f"{same}.json is not the metadata") and "not checked" in line


def test_evaluate_warns_counts_and_keeps_plots_in_their_folder(data_dir, tmp_path, capsys):
    table = list(csv.DictReader((data_dir / "nb201" / "nb201_test_accuracy.csv").open()))
    rows = table[:40]
    path = tmp_path / "s.csv"
    lines = ["arch,../../x,/abs/y,synflow"]
    lines += [f"{r['arch']},{i if i != 3 else 'nan'},{-i},{'' if i == 5 else i % 7}"
              for i, r in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    Path(f"{path}.json").write_text(json.dumps(
        {"space": "nb201", "settings": {"dataset": "cifar100"}, "batch_hash": "h"}))
    before = files(tmp_path)
    plots = tmp_path / "plots"
    assert main(["--data-dir", str(data_dir), "evaluate", str(path), "--plots", str(plots)]) == 0
    captured = capsys.readouterr()
    report = {line.split()[0]: line.split() for line in captured.out.splitlines()[3:-1]}
    assert report["../../x"][-2:] == ["39", "0"] and report["/abs/y"][-2:] == ["40", "0"]
    assert report["synflow"][-2] == "39"
    warnings = captured.err.splitlines()
    assert warnings == [
        f"naslib-zero: warning: {path} was scored on space nb201, dataset cifar100; it is "
        "evaluated against space nb201, dataset cifar10",
        "naslib-zero: warning: left out as NaN or empty (n counts only the values used): "
        "../../x 1 of 40, synflow 1 of 40",
        "naslib-zero: warning: with n = 39, p@top5%, p@bottom5%, br@1%, wr@1% rest on 1 "
        "architecture; p@top10% rests on 3 architectures (fewer than 10: read them as rough)"]
    after = files(tmp_path)
    new = set(after) - set(before)
    assert new == {"plots", "plots/_.._x.png", "plots/_abs_y.png", "plots/synflow.png"}
    assert not Path("/abs/y.png").exists()
