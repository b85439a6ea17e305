"""Ground-truth tables: the real NB201 CSVs, broken CSVs, and the official-file path."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from nas_201_api import ArchResults, NASBench201API, ResultsCount

import search_spaces  # noqa: F401  (the space modules declare their tables)
from naslib_zero.core.errors import (
    CorruptDataError,
    DataNotFoundError,
    InvalidArchitectureError,
    UnknownNameError,
)
from naslib_zero.tables import GroundTruth, list_tables, load_ground_truth, nb201_official

N201 = 15_625
TEST_CSV = Path("nb201") / "nb201_test_accuracy.csv"


# ------------------------------------------------------------------------------ real CSVs


@pytest.mark.parametrize("table", list_tables("nb201"), ids=lambda t: f"{t.dataset}-{t.metric}")
def test_every_registered_table_loads(data_dir: Path, table) -> None:
    truth = load_ground_truth("nb201", table.dataset, table.metric, data_dir=data_dir)
    assert len(truth) == N201 and truth.values.dtype == np.float64
    assert np.all((truth.values > 0) & (truth.values < 100))
    assert truth.source == str(data_dir / table.file)
    assert "200 epochs" in truth.description


@pytest.mark.parametrize(
    ("dataset", "metric", "best", "index"),
    [
        ("cifar10", "test", 94.3733, 6111),
        ("cifar100", "test", 73.5133, 9930),
        ("ImageNet16-120", "test", 47.3111, 857),
        ("cifar10", "val", 91.6067, 6111),
        ("cifar100", "val", 73.4933, 9930),
    ],
)
def test_documented_maxima(data_dir: Path, dataset, metric, best, index) -> None:
    truth = load_ground_truth("nb201", dataset, metric, data_dir=data_dir)
    assert int(np.argmax(truth.values)) == index
    assert truth.lookup(index) == pytest.approx(best, abs=1e-4)


def test_defaults_and_aliases(data_dir: Path) -> None:
    test = load_ground_truth("nb201", "cifar10", data_dir=data_dir)
    assert test.metric == "test" and test.dataset == "cifar10"
    assert load_ground_truth("NB201", "CIFAR-10", "test", data_dir=data_dir) is test  # cached
    assert load_ground_truth("nb201", "imagenet16", data_dir=data_dir).dataset == "ImageNet16-120"
    val = load_ground_truth("nb201", "c10", "valid", data_dir=data_dir)
    assert val.metric == "val" and "cifar10-valid" in val.description
    assert val.archs == test.archs  # both files use the same index order


def test_lookup_by_index_and_arch_agree(data_dir: Path) -> None:
    truth = load_ground_truth("nb201", "cifar100", data_dir=data_dir)
    for index in (0, 1, 857, 6111, 9930, N201 - 1):
        arch = truth.archs[index]
        assert truth.index_of(arch) == index
        assert truth.lookup(arch) == truth.lookup(index) == truth.values[index]
        assert truth.lookup(np.int64(index)) == truth.values[index]
    indices = np.array([[5, 6111], [9930, 0]])
    by_index = truth.lookup_many(indices)
    assert by_index.shape == (2, 2)
    np.testing.assert_array_equal(by_index, truth.lookup_many([[truth.archs[i] for i in row]
                                                               for row in indices]))
    assert truth.lookup_many([]).shape == (0,)


def test_lookups_are_fast(data_dir: Path) -> None:
    truth = load_ground_truth("nb201", "cifar10", data_dir=data_dir)
    start = time.perf_counter()
    by_index = [truth.lookup(i) for i in range(N201)]
    by_arch = [truth.lookup(a) for a in truth.archs]
    vectorised = truth.lookup_many(np.arange(N201))
    assert time.perf_counter() - start < 1.0
    assert by_index == by_arch == vectorised.tolist()


def test_values_are_read_only(data_dir: Path) -> None:
    truth = load_ground_truth("nb201", "cifar10", data_dir=data_dir)
    with pytest.raises(ValueError):
        truth.values[0] = 100.0


def test_bad_architectures(data_dir: Path) -> None:
    truth = load_ground_truth("nb201", "cifar10", data_dir=data_dir)
    with pytest.raises(InvalidArchitectureError,
                       match=r"\|conv~0\|.*not in the nb201/nb201 cifar10 test table"):
        truth.lookup("|conv~0|")
    for index in (-1, N201):
        with pytest.raises(InvalidArchitectureError, match=rf"{index} is out of range 0\.\.15624"):
            truth.lookup(index)
    for bad in (True, 1.0, None):
        with pytest.raises(InvalidArchitectureError, match="expected an architecture index"):
            truth.lookup(bad)
    with pytest.raises(InvalidArchitectureError, match="2 nb201 architecture index"):
        truth.lookup_many([0, -3, N201])
    with pytest.raises(InvalidArchitectureError, match="not in the nb201/nb201 cifar10 test table"):
        truth.lookup_many([truth.archs[0], "nope"])
    with pytest.raises(InvalidArchitectureError, match="dtype float64"):
        truth.lookup_many([0.5])


def test_unknown_names(data_dir: Path) -> None:
    with pytest.raises(UnknownNameError,
                       match="'nb999'.*available: darts, nats_sss, nb101, nb201, nb301"):
        load_ground_truth("nb999", "cifar10", data_dir=data_dir)
    with pytest.raises(UnknownNameError, match="'svhn'.*available: ImageNet16-120, cifar10"):
        load_ground_truth("nb201", "svhn", data_dir=data_dir)
    with pytest.raises(UnknownNameError, match="'train'.*available: test, val"):
        load_ground_truth("nb201", "cifar10", "train", data_dir=data_dir)


def test_ground_truth_checks_its_input() -> None:
    with pytest.raises(ValueError, match="one value per architecture"):
        GroundTruth("s", "d", "test", np.zeros(2), ("a",), "x", "")
    with pytest.raises(ValueError, match="duplicate"):
        GroundTruth("s", "d", "test", np.zeros(2), ("a", "a"), "x", "")
    values = np.array([1.0, 2.0])
    truth = GroundTruth("s", "d", "test", values, ("a", "b"), "x", "")
    values[0] = 5.0  # the table keeps its own copy
    assert truth.lookup("a") == 1.0


# ------------------------------------------------------------------------------ bad CSVs


def _write_csv(root: Path, lines: list[str]) -> Path:
    path = root / TEST_CSV
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _good_lines() -> list[str]:
    header = "index,arch,cifar10,cifar100,ImageNet16-120"
    return [header] + [f"{i},|arch{i}~0|,{i % 97}.5,{i % 53}.25,{i % 31}.125" for i in range(N201)]


def test_small_valid_csv_and_reload_on_change(tmp_path: Path) -> None:
    path = _write_csv(tmp_path, _good_lines())
    truth = load_ground_truth("nb201", "cifar100", data_dir=tmp_path)
    assert truth.lookup("|arch60~0|") == 7.25 and truth.source == str(path)
    lines = _good_lines()
    lines[61] = "60,|arch60~0|,1,2,3"
    _write_csv(tmp_path, lines)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))  # make sure mtime moves on
    assert load_ground_truth("nb201", "cifar100", data_dir=tmp_path).lookup(60) == 2.0


def test_missing_folder(tmp_path: Path) -> None:
    root = tmp_path / "absent"
    with pytest.raises(DataNotFoundError) as info:
        load_ground_truth("nb201", "cifar10", data_dir=root)
    message = str(info.value)
    assert str(root / TEST_CSV) in message and "does not exist" in message
    assert "--data-dir" in message and "NASLIB_ZERO_DATA" in message
    assert "v-tao/nats-bench-landscape" in message and "NAS-Bench-201-v1_0" in message


def test_missing_file(tmp_path: Path) -> None:
    (tmp_path / "nb201").mkdir()
    with pytest.raises(DataNotFoundError, match=r"nb201_val_accuracy\.csv(.|\n)*\(exists\)"):
        load_ground_truth("nb201", "cifar10", "val", data_dir=tmp_path)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda lines: lines[:1000], "999 data rows, expected 15625"),
        (lambda lines: lines[:500] + [lines[500][:16]], "line 501: 3 fields, expected 5"),
        (lambda lines: [line.replace(",cifar10,", ",c10,") for line in lines],
         r"missing column\(s\) cifar10; header is \['index', 'arch', 'c10'"),
        (lambda lines: lines[:7] + ["6,|arch6~0|,abc,1,1"] + lines[8:],
         "line 8, column 'cifar10': non-numeric value 'abc'"),
        (lambda lines: lines[:7] + ["6,|arch6~0|,nan,1,1"] + lines[8:], "non-finite.*'nan'"),
        (lambda lines: lines[:3] + [lines[4], lines[3]] + lines[5:],
         "line 4: index '3', expected 2"),
        (lambda lines: lines[:3] + ["2,|arch1~0|,1,1,1"] + lines[4:], "'|arch1~0|' occurs more"),
        (lambda lines: [], "empty file"),
    ],
    ids=["truncated-rows", "truncated-line", "missing-column", "non-numeric", "nan",
         "shuffled-index", "duplicate-arch", "empty"],
)
def test_corrupt_csv(tmp_path: Path, edit, problem) -> None:
    path = _write_csv(tmp_path, edit(_good_lines()))
    with pytest.raises(CorruptDataError, match=problem) as info:
        load_ground_truth("nb201", "cifar10", data_dir=tmp_path)
    assert str(path) in str(info.value)


def test_binary_garbage_csv(tmp_path: Path) -> None:
    path = _write_csv(tmp_path, [])
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CorruptDataError, match="not a readable CSV"):
        load_ground_truth("nb201", "cifar10", data_dir=tmp_path)


# -------------------------------------------------------------------- official .pth file

ARCHS = (
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
)
EVAL_SETS = {  # the evaluation sets NAS-Bench-201 stores per training setting
    "cifar10-valid": ("x-valid", "ori-test"),
    "cifar10": ("ori-test",),
    "cifar100": ("x-valid", "x-test", "ori-test"),
    "ImageNet16-120": ("x-valid", "x-test", "ori-test"),
}
# seed -> offset from the mean, per arch; 1-3 seeds as in the real file
SEEDS = {0: {777: -0.5, 888: 0.5}, 1: {777: -1.0, 888: 0.25, 999: 0.75}, 2: {777: 0.0}}


def _final_acc(arch: int, dataset: str, setname: str) -> float:
    """The known 200-epoch mean accuracy; every (arch, dataset, set) differs."""
    return 40.0 + 10.0 * arch + 3.0 * list(EVAL_SETS).index(dataset) + 0.5 * len(setname)


def _trial(arch: int, dataset: str, seed: int, epochs: int, shift: float) -> ResultsCount:
    curve = {e: 10.0 + e / epochs for e in range(epochs)}  # earlier epochs: clearly lower
    trial = ResultsCount(
        dataset, None, curve, {e: 1.0 for e in range(epochs)},
        np.float64(0.5), np.float64(12.5),  # numpy scalars, as AutoDL's parameter counting
        {"arch_str": ARCHS[arch], "channel": 16, "num_cells": 5, "class_num": 10},
        seed, epochs, [0.01],
    )
    accs, losses, times = {}, {}, {}
    for setname in EVAL_SETS[dataset]:
        for e in range(epochs):
            key = f"{setname}@{e}"
            final = _final_acc(arch, dataset, setname) + SEEDS[arch][seed] + shift
            accs[key] = final if e == epochs - 1 else curve[e]
            losses[key], times[key] = 1.0, 0.1
    trial.update_eval(accs, losses, times)
    return trial


def _benchmark(datasets=tuple(EVAL_SETS)) -> dict:
    """A NAS-Bench-201 benchmark dict of 3 archs, built with the API's own classes."""
    arch2infos = {}
    for arch in range(len(ARCHS)):
        full, less = ArchResults(arch, ARCHS[arch]), ArchResults(arch, ARCHS[arch])
        for dataset in datasets:
            for seed in SEEDS[arch]:
                full.update(dataset, seed, _trial(arch, dataset, seed, 200, 0.0))
                less.update(dataset, seed, _trial(arch, dataset, seed, 12, -30.0))
        arch2infos[arch] = {"less": less.state_dict(), "full": full.state_dict()}
    return {"meta_archs": list(ARCHS), "arch2infos": arch2infos,
            "evaluated_indexes": set(arch2infos)}


@pytest.fixture
def bench_file(tmp_path: Path) -> Path:
    path = tmp_path / "NAS-Bench-201-mini.pth"
    torch.save(_benchmark(), path)
    return path


EXPECTED = {
    ("cifar10", "test"): ("cifar10", "ori-test"),
    ("cifar10", "val"): ("cifar10-valid", "x-valid"),
    ("cifar100", "test"): ("cifar100", "x-test"),
    ("cifar100", "val"): ("cifar100", "x-valid"),
    ("ImageNet16-120", "test"): ("ImageNet16-120", "x-test"),
    ("ImageNet16-120", "val"): ("ImageNet16-120", "x-valid"),
}


def test_plain_torch_load_refuses_the_benchmark(bench_file: Path) -> None:
    with pytest.raises(pickle.UnpicklingError, match="weights_only"):
        torch.load(bench_file, weights_only=True)
    with pytest.raises(pickle.UnpicklingError):  # the official API's own loader fails the same
        NASBench201API(str(bench_file), verbose=False)


@pytest.mark.parametrize(("dataset", "metric"), list(EXPECTED))
def test_official_file_values(tmp_path: Path, bench_file: Path, dataset, metric) -> None:
    truth = load_ground_truth("nb201", dataset, metric, data_dir=tmp_path, source=bench_file)
    expected = [_final_acc(a, *EXPECTED[(dataset, metric)]) for a in range(len(ARCHS))]
    np.testing.assert_allclose(truth.values, expected)
    assert truth.archs == ARCHS and truth.source == str(bench_file)
    assert truth.lookup(ARCHS[1]) == pytest.approx(expected[1])
    assert "hp='200'" in truth.description and "is_random=False" in truth.description


def test_official_file_is_cached(tmp_path: Path, bench_file: Path, monkeypatch) -> None:
    first = load_ground_truth("nb201", "cifar10", data_dir=tmp_path, source=str(bench_file))
    assert list((tmp_path / ".naslib-zero-cache").glob("nb201-official-*.npz"))
    nb201_official._MEMO.clear()

    def fail(path):
        raise AssertionError("the .pth file was read again")

    monkeypatch.setattr(nb201_official, "read_benchmark", fail)
    again = load_ground_truth("nb201", "cifar100", "val", data_dir=tmp_path, source=bench_file)
    assert again.archs == first.archs
    np.testing.assert_allclose(again.values, [_final_acc(a, "cifar100", "x-valid") for a in
                                              range(3)])


def test_unusable_cache_is_rebuilt(tmp_path: Path, bench_file: Path) -> None:
    load_ground_truth("nb201", "cifar10", data_dir=tmp_path, source=bench_file)
    (cache,) = (tmp_path / ".naslib-zero-cache").glob("nb201-official-*.npz")
    cache.write_bytes(b"not an npz")
    nb201_official._MEMO.clear()
    truth = load_ground_truth("nb201", "cifar10", data_dir=tmp_path, source=bench_file)
    np.testing.assert_allclose(truth.values, [_final_acc(a, "cifar10", "ori-test") for a in
                                              range(3)])
    assert np.load(cache)["archs"].tolist() == list(ARCHS)


def test_official_file_missing_dataset(tmp_path: Path) -> None:
    path = tmp_path / "partial.pth"
    torch.save(_benchmark(datasets=("cifar10", "cifar10-valid")), path)
    assert len(load_ground_truth("nb201", "cifar10", data_dir=tmp_path, source=path)) == 3
    with pytest.raises(CorruptDataError, match="no 200-epoch cifar100 test accuracy for 3 of 3"):
        load_ground_truth("nb201", "cifar100", data_dir=tmp_path, source=path)


def test_official_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "NAS-Bench-201-v1_0-e61699.pth"
    with pytest.raises(DataNotFoundError, match=r"(?s)not found.*github\.com/D-X-Y/NAS-Bench-201"):
        load_ground_truth("nb201", "cifar10", data_dir=tmp_path, source=path)


@pytest.mark.parametrize("kind", ["random", "truncated", "wrong-dict", "not-a-dict"])
def test_official_file_corrupt(tmp_path: Path, bench_file: Path, kind) -> None:
    path = tmp_path / "bad.pth"
    if kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "truncated":
        data = bench_file.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "wrong-dict":
        torch.save({"meta_archs": list(ARCHS)}, path)
    else:
        torch.save([1, 2, 3], path)
    match = {"wrong-dict": "missing key.*arch2infos", "not-a-dict": "expected a dict"}.get(
        kind, "not a readable NAS-Bench-201 benchmark file.*trusted source")
    with pytest.raises(CorruptDataError, match=f"(?s){match}") as info:
        load_ground_truth("nb201", "cifar10", data_dir=tmp_path, source=path)
    assert str(path) in str(info.value)


def test_official_api_rejects_inconsistent_content(tmp_path: Path) -> None:
    benchmark = _benchmark()
    benchmark["meta_archs"] = [ARCHS[0]] * 3  # duplicate architecture strings
    path = tmp_path / "dup.pth"
    torch.save(benchmark, path)
    with pytest.raises(CorruptDataError, match="API rejects"):
        load_ground_truth("nb201", "cifar10", data_dir=tmp_path, source=path)


def test_a_space_without_declared_tables_says_how_to_declare_them() -> None:
    with pytest.raises(UnknownNameError, match="import search_spaces"):
        load_ground_truth("no_such_space", "cifar10")
