"""The NDS AnyNet spaces: every record of the AnyNet files round-trips and has the recorded
parameter and FLOP counts; the torch network is what the counts describe; tables, design
spaces and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from naslib_zero.cli import main
from naslib_zero.core.errors import CorruptDataError, DataNotFoundError, InvalidArchitectureError
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from search_spaces.nds import AnyNetArch, load_records
from search_spaces.nds_model import nds_complexity

FILES = {
    "ResNeXt-A_in.json": "nds_resnext-a", "ResNeXt-B_in.json": "nds_resnext-b",
    "ResNet_lr-wd_in.json": "nds_resnet", "Vanilla_lr-wd_in.json": "nds_vanilla",
    "ResNet_reruns.json": "nds_resnet", "Vanilla_reruns.json": "nds_vanilla",
}
RESNEXT_A = ("res_bottleneck_block;ds=1,1,1,1;ws=64,16,32,32;ss=8,1,2,2;"
             "bot_muls=1.0,0.5,0.5,0.25;num_gs=1,2,4,2")


def records(data_dir: Path, file: str):
    return load_records(data_dir / "nds" / file)


def dataset_of(arch: AnyNetArch) -> str:
    return "cifar10" if arch.ss[0] == 1 else "imagenet"


@pytest.mark.parametrize("file", FILES)
def test_every_record_round_trips_with_its_params_and_flops(file, data_dir):
    space = get_space(FILES[file])
    for record in records(data_dir, file):
        arch = space.from_config(record.net)
        assert space.to_config(arch) == record.net
        assert space.from_str(space.to_str(arch)) == arch
        assert space.complexity(arch, dataset_of(arch)) == (record.params, record.flops)


@pytest.mark.parametrize("file", FILES)
def test_the_network_has_the_counted_params_and_flops(file, data_dir):
    """The torch model, measured with forward hooks, is what ``complexity`` counts: the two
    smallest records of each file (so every stem kind is built and run)."""
    space = get_space(FILES[file])
    smallest = sorted(records(data_dir, file), key=lambda r: r.flops)[:2]
    for record in smallest:
        arch = space.from_config(record.net)
        spec = space.dataset(dataset_of(arch))
        model = space.to_model(arch, spec)
        assert nds_complexity(model, spec.input_shape) == (record.params, record.flops)


def test_models_run_on_both_inputs_with_pycls_initialisation(data_dir):
    space = get_space("nds_resnext-a")
    arch = space.from_str(RESNEXT_A)
    torch.manual_seed(0)
    for dataset, size in (("imagenet", 224), ("cifar10", 32)):
        model = space.to_model(arch, dataset)
        logits = model(torch.randn(2, 3, size, size))
        assert logits.shape == (2, space.dataset(dataset).num_classes)
    fc = model.classifier
    assert torch.all(fc.bias == 0) and abs(fc.weight.std().item() - 0.01) < 0.002
    conv = model.stages[0].branch[0]  # 1x1 conv, fan_out = 8
    assert abs(conv.weight.std().item() - (2 / 8) ** 0.5) < 0.1
    # the ImageNet stem reduces 224 px by 8, the CIFAR stem keeps 32 px
    x = torch.zeros(1, 3, 224, 224)
    assert space.to_model(arch, "imagenet").stem(x).shape[-1] == 28
    assert space.to_model(arch, "cifar10").stem(torch.zeros(1, 3, 32, 32)).shape[-1] == 32


@pytest.mark.parametrize("file", [f for f in FILES if "reruns" not in f])
def test_every_imagenet_record_lies_in_its_design_space(file, data_dir):
    space = get_space(FILES[file])
    for record in records(data_dir, file):
        arch = space.from_config(record.net)
        assert space.from_decisions(space.to_decisions(arch)) == arch


def test_design_space_sizes():
    # ResNeXt-A: (5 depths * 5 widths * 3 multipliers * 3 group counts) ** 3 stages
    assert get_space("nds_resnext-a").size() == (5 * 5 * 3 * 3) ** 3
    assert get_space("nds_resnext-b").size() == (5 * 5 * 3 * 5) ** 3
    assert get_space("nds_resnet").size() == 3 * (12 * 10) ** 4


def test_rerun_networks_are_outside_the_decisions_but_encode(data_dir):
    space = get_space("nds_vanilla")
    arch = space.from_config(records(data_dir, "Vanilla_reruns.json")[0].net)
    with pytest.raises(InvalidArchitectureError, match="outside the nds_vanilla design space"):
        space.to_decisions(arch)
    vector = space.encode(arch)
    assert vector.shape == space.encode(space.sample(np.random.default_rng(0))).shape
    assert vector[0] == 4 and vector[1:3] == pytest.approx([3, np.log2(40)])
    assert vector[-2:].sum() == 0  # the fourth stage is absent


def test_tables(data_dir):
    table = load_ground_truth("nds_resnext-a", "imagenet", data_dir=data_dir)
    first = records(data_dir, "ResNeXt-A_in.json")[0]
    space = get_space("nds_resnext-a")
    assert len(table) == 130 and table.benchmark == "nds"
    assert table.lookup(space.to_str(space.from_config(first.net))) == pytest.approx(
        100 - first.min_test_top1_err)
    final = load_ground_truth("nds_resnext-a", "imagenet", "test_final", data_dir=data_dir)
    assert final.values[0] == pytest.approx(100 - first.final_test_top1_err)
    lr_wd = load_ground_truth("nds_resnet", "imagenet", data_dir=data_dir)
    assert len(lr_wd) == 494 and "at random" in lr_wd.description
    reruns = load_ground_truth("nds_vanilla", "cifar10", data_dir=data_dir)
    runs = records(data_dir, "Vanilla_reruns.json")
    assert len(reruns) == 2
    by_group = {g: np.mean([100 - r.min_test_top1_err for r in runs if r.rerun_group == g])
                for g in {r.rerun_group for r in runs}}
    assert sorted(reruns.values) == pytest.approx(sorted(by_group.values()))


def test_corrupt_and_missing_files(tmp_path, data_dir):
    (tmp_path / "nds").mkdir()
    bad = tmp_path / "nds" / "ResNeXt-A_in.json"
    bad.write_text("[{")
    with pytest.raises(CorruptDataError, match="not a readable JSON file"):
        load_ground_truth("nds_resnext-a", "imagenet", data_dir=tmp_path)
    rows = json.loads((data_dir / "nds" / "ResNeXt-A_in.json").read_text())
    del rows[3]["flops"]
    bad.write_text(json.dumps(rows))
    with pytest.raises(CorruptDataError, match="record 3 lacks"):
        load_ground_truth("nds_resnext-a", "imagenet", data_dir=tmp_path)
    rows = rows[:3]
    bad.write_text(json.dumps(rows))
    with pytest.raises(CorruptDataError, match="3 records, expected 130"):
        load_ground_truth("nds_resnext-a", "imagenet", data_dir=tmp_path)
    with pytest.raises(DataNotFoundError, match="ResNeXt-B_in.json"):
        load_ground_truth("nds_resnext-b", "imagenet", data_dir=tmp_path)


GOOD = {"block_type": "res_bottleneck_block", "ds": [1, 1, 1, 1], "ws": [64, 16, 32, 32],
        "ss": [8, 1, 2, 2], "bot_muls": [1.0, 0.5, 0.5, 0.25], "num_gs": [1, 2, 4, 2]}


@pytest.mark.parametrize("change, message", [
    ({"ws": [64, 16, 32]}, "same length"),
    ({"num_gs": [1, 2, 4]}, "length of ds"),
    ({"num_gs": [1, 2, 3, 2]}, "not divisible by its 3 groups"),
    ({"block_type": "res_dense_block"}, "unknown block type 'res_dense_block'"),
    ({"block_type": "res_basic_block"}, "'res_bottleneck_block' in this space"),
    ({"ds": [2, 1, 1, 1]}, "ds\\[0\\] is the stem"),
    ({"ss": [4, 1, 2, 2]}, "stem's stride: 1 \\(CIFAR\\) or 8"),
    ({"ss": [8, 1, 3, 2]}, "strides must be 1 or 2"),
    ({"ws": [64, 16, 0, 32]}, "ints >= 1"),
    ({"bot_muls": [1.0, "x", 0.5, 0.25]}, "numbers in"),
])
def test_malformed_configs_are_clear_errors(change, message):
    with pytest.raises(InvalidArchitectureError, match=message):
        get_space("nds_resnext-a").from_config(GOOD | change)


@pytest.mark.parametrize("text, message", [
    ("res_bottleneck_block;ds=1,1", "lacks ws, ss"),
    ("res_bottleneck_block;ds=1,1;ds=1,1", "bad field"),
    ("res_bottleneck_block;ds=1,a;ws=64,16;ss=8,1", "not a list of numbers"),
    ("res_basic_block;ds=1,1;ws=16,16;ss=1,1;bot_muls=1.0,1.0", "has no bottleneck"),
])
def test_malformed_strings_are_clear_errors(text, message):
    space = get_space("nds_resnet" if "basic" in text else "nds_resnext-a")
    with pytest.raises(InvalidArchitectureError, match=message):
        space.from_str(text)


def test_cli_scores_a_sampled_resnet_on_cifar10(data_dir, tmp_path):
    out = tmp_path / "scores.csv"
    assert main(["-q", "--data-dir", str(data_dir), "score", "--space", "nds_resnet",
                 "--dataset", "cifar10", "--sample", "1", "--proxies", "params,synflow",
                 "--batch-size", "4", "--out", str(out)]) == 0
    meta = json.loads((tmp_path / "scores.csv.json").read_text())
    assert meta["architectures"] == 1 and meta["space"] == "nds_resnet"
    with out.open() as fh:
        row = next(csv.DictReader(fh))
    arch = get_space("nds_resnet").from_str(row["arch"])
    assert float(row["params"]) == get_space("nds_resnet").complexity(arch, "cifar10")[0]
    assert np.isfinite(float(row["synflow"]))
