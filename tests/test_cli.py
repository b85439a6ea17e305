"""The command line, end to end, on small inputs."""

import csv
import json

import pytest

from naslib_zero.cli import main

ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"  # noqa: E501


def test_spaces_lists_nb201(capsys):
    assert main(["spaces"]) == 0
    assert "nb201\t15625" in capsys.readouterr().out


def test_info_prints_index_params_and_accuracy(data_dir, capsys):
    assert main(["--data-dir", str(data_dir), "info", "--arch", ALL_CONV]) == 0
    out = capsys.readouterr().out
    assert "1.531546 M" in out
    assert "test  cifar10" in out and "%" in out


def test_info_without_tables_still_describes_the_arch(tmp_path, capsys):
    assert main(["info", "--arch", "6111", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "index      6111" in out and "not found" in out


def test_bad_architecture_is_one_clear_line(capsys):
    assert main(["info", "--arch", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("naslib-zero: error:") and "valid ops" in err


def test_score_resumes_from_cache_and_evaluate_reports(data_dir, tmp_path, capsys):
    out, cache = tmp_path / "s.csv", tmp_path / "c.sqlite"
    args = ["--data-dir", str(data_dir), "-q", "score", "--sample", "4", "--seed", "3",
            "--proxies", "params,synflow,nwot,snip,jacob_cov", "--batch-size", "8",
            "--out", str(out), "--cache", str(cache)]
    assert main(args) == 0
    first = list(csv.DictReader(out.open()))
    assert len(first) == 4 and set(first[0]) == {"arch", "params", "synflow", "nwot", "snip",
                                                 "jacob_cov"}
    assert json.loads((tmp_path / "s.csv.json").read_text())["scored_now"] >= 1
    capsys.readouterr()
    assert main(args) == 0  # second run: everything from the cache
    assert "0 scored now" in capsys.readouterr().out
    assert list(csv.DictReader(out.open())) == first
    at = args.index("--proxies")
    subset = [*args[:at], "--proxies", "synflow,params", "--batch-size", "8",
              "--out", str(tmp_path / "subset.csv"), "--cache", str(cache)]
    assert main(subset) == 0  # a subset of the proxies is served from the same cache entries
    assert "0 scored now" in capsys.readouterr().out

    assert main(["--data-dir", str(data_dir), "evaluate", str(out),
                 "--plots", str(tmp_path / "plots")]) == 0
    report = capsys.readouterr().out
    assert "spearman" in report and "vote" in report
    assert (tmp_path / "plots" / "synflow.png").stat().st_size > 1000


def test_score_from_file_with_synthetic_data(tmp_path, capsys):
    archs = tmp_path / "archs.txt"
    archs.write_text(f"# two cells\n{ALL_CONV}\n\n"
                     "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n")
    out = tmp_path / "s.csv"
    assert main(["-q", "score", "--archs", str(archs), "--dataset", "synthetic",
                 "--proxies", "synflow,params", "--batch-size", "4", "--out", str(out),
                 "--cache", str(tmp_path / "c.sqlite")]) == 0
    rows = list(csv.DictReader(out.open()))
    # the all-none cell's output ignores the input: worst for every proxy, params included
    assert [r["params"] for r in rows] == ["1531546.0", "-inf"]
    assert rows[1]["synflow"] == "-inf"
    assert "unscorable" in capsys.readouterr().out


@pytest.mark.parametrize("content,match", [
    ("|bogus|\n", "archs.txt:1"),
    ("# nothing\n", "holds no architecture"),
])
def test_bad_arch_file(tmp_path, capsys, content, match):
    archs = tmp_path / "archs.txt"
    archs.write_text(content)
    assert main(["score", "--archs", str(archs), "--dataset", "synthetic",
                 "--out", str(tmp_path / "s.csv")]) == 2
    assert match in capsys.readouterr().err


def test_missing_dataset_names_the_file(tmp_path, capsys):
    assert main(["score", "--sample", "1", "--data-dir", str(tmp_path),
                 "--out", str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert "cifar-10-batches-py" in err and "NASLIB_ZERO_DATA" in err


def test_unknown_proxy_lists_the_valid_ones(tmp_path, capsys):
    assert main(["score", "--sample", "1", "--dataset", "synthetic", "--proxies", "nope",
                 "--out", str(tmp_path / "s.csv"), "--cache", str(tmp_path / "c")]) == 2
    assert "synflow" in capsys.readouterr().err


def test_nb201_cache_keys_and_batches_are_stable(data_dir):
    """Pinned from the release before spaces became plug-ins: a change here would silently
    recompute every cached NB201 score."""
    from naslib_zero.scoring import BatchSettings, load_batches, settings_key
    from search_spaces import get_space

    assert settings_key(BatchSettings("cifar10", 64), "synflow") == "e8cd88bf99f3288c"
    assert settings_key(BatchSettings("synthetic", 64), "synflow") == "81e805200c701d81"
    spec = get_space("nb201").dataset()
    assert load_batches(BatchSettings("synthetic", 64), dataset=spec)[0].hash == \
        "0565f5d59057b1fd"
    assert load_batches(BatchSettings("cifar10", 64), data_dir)[0].hash == "ec2137924ac1037b"
