"""The command line on every registered space: spaces, info, score, evaluate and search with
every strategy (on NB101 restricted to its 30k table), on small settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from naslib_zero.cli import main
from search_spaces import get_space, list_spaces
from strategies import list_strategies

SPACES = ["nb101", "nats_sss", "nb201", "nb301", "darts", "nds_resnext-a", "nds_darts",
          "nds_nasnet"]
BENCHMARK = {"nb101": "nb101", "nats_sss": "nats_sss", "nb201": "nb201", "nb301": "nb301",
             "darts": "darts1000", "nds_resnext-a": "nds", "nds_darts": "nds",
             "nds_nasnet": "nds"}
RESTRICTED = {"nb101": 30001, "nb301": 1218, "darts": 1000,  # partial tables: search inside
              "nds_resnext-a": 130, "nds_darts": 121, "nds_nasnet": 122}


def run(data_dir, *argv: str) -> None:
    assert main(["-q", "--data-dir", str(data_dir), *argv]) == 0


def test_spaces_lists_every_space_with_size_datasets_and_benchmarks(capsys):
    assert main(["spaces"]) == 0
    out = capsys.readouterr().out
    for name in list_spaces():
        assert name in out
    assert "nb101\t423624 architectures\tdatasets cifar10\tbenchmarks nb101,naslib,gennas" in out
    assert "nats_sss\t32768 architectures\tdatasets cifar10,cifar100,ImageNet16-120" in out


@pytest.mark.parametrize("space", SPACES)
def test_info(space, data_dir, capsys):
    arch = get_space(space).sample(np.random.default_rng(0))
    run(data_dir, "info", "--space", space, "--arch", get_space(space).to_str(arch))
    out = capsys.readouterr().out
    assert f"arch       {get_space(space).to_str(arch)}" in out and "params" in out


def test_info_of_an_nb101_cell_in_the_30k_table(data_dir, capsys):
    cell = "0100110.0010000.0001001.0000010.0000010.0000001.0000000/input,conv3x3-bn-relu," \
           "maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output"
    run(data_dir, "info", "--space", "nb101", "--arch", cell)
    out = capsys.readouterr().out
    assert "key        00005c142e6f48ac74fdcf73e3439874" in out
    assert "8.555530 M" in out  # the table's params column: 8,555,530
    assert "val   cifar10         nb101        93.0489 %" in out
    assert "(not in this table)" in out  # e.g. NASLib's 292 cells


@pytest.mark.parametrize("space", SPACES)
def test_score_then_evaluate(space, data_dir, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    run(data_dir, "score", "--space", space, "--sample", "4", "--benchmark", BENCHMARK[space],
        "--proxies", "params,synflow", "--batch-size", "4", "--out", str(out),
        "--cache", str(tmp_path / "cache.sqlite"))
    meta = json.loads((tmp_path / "scores.csv.json").read_text())
    assert meta["architectures"] == 4 and meta["space"] == space
    run(data_dir, "evaluate", str(out), "--space", space, "--plots", str(tmp_path / "plots"))
    text = capsys.readouterr().out
    assert "4 architectures; ground truth" in text and "synflow" in text
    assert len(list((tmp_path / "plots").glob("*.png"))) == 2


@pytest.mark.parametrize("strategy", list_strategies())
@pytest.mark.parametrize("space", SPACES)
def test_search_every_strategy(space, strategy, data_dir, tmp_path):
    out = tmp_path / "search"
    run(data_dir, "search", "--space", space, "--strategy", strategy, "--budget", "6",
        "--seeds", "1", "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["budget"] == 6 and summary["benchmark"] == BENCHMARK[space]
    if space in RESTRICTED:
        assert summary["architectures_searched"] == RESTRICTED[space]
    lines = (out / "trajectories.csv").read_text().splitlines()
    assert len(lines) == 7


@pytest.mark.parametrize("space", SPACES)
def test_search_with_a_proxy(space, data_dir, tmp_path):
    out = tmp_path / "search"
    run(data_dir, "search", "--space", space, "--strategy", "re", "--budget", "4", "--seeds", "1",
        "--proxy", "params", "--warmup", "6", "--move", "--proxy-data", "synthetic",
        "--batch-size", "2", "--cache", str(tmp_path / "cache.sqlite"), "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["proxy_evals_median"] >= 6


def test_bad_space_input_gives_a_clear_error(data_dir, tmp_path, capsys):
    assert main(["info", "--space", "nb101", "--arch", "0111.0000/input,output"]) == 2
    assert "square" in capsys.readouterr().err
    assert main(["info", "--space", "nats_sss", "--arch", "8:8:8:8:9"]) == 2
    assert "invalid channel count 9 for layer C5" in capsys.readouterr().err
    assert main(["--data-dir", str(data_dir), "score", "--space", "nb101", "--sample", "2",
                 "--dataset", "cifar100", "--out", str(tmp_path / "s.csv")]) == 2
    assert "no models for dataset 'cifar100'" in capsys.readouterr().err


def test_zero_shot_search_on_a_partial_table(data_dir, tmp_path):
    """Zero-shot search roams the whole space; the report gives accuracies only for the
    architectures the table holds."""
    out = tmp_path / "zs"
    run(data_dir, "search", "--space", "nb101", "--strategy", "rs", "--zero-shot", "--proxy",
        "params", "--proxy-data", "synthetic", "--batch-size", "2", "--budget", "3", "--seeds",
        "1", "--cache", str(tmp_path / "cache.sqlite"), "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["top_architectures"][0]["top"]
    assert len(rows) == 3 and all("accuracy" in row for row in rows)
    assert summary["best_by_proxy_in_table"] in (0, 1)
