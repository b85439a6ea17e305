"""NATS-Bench size space: index order, strings, moves, parameter parity, forward/backward."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError, UnknownNameError
from naslib_zero.data import get_batch
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from search_spaces.nats_sss import CHANNELS, SIZE
from search_spaces.nats_sss_model import CELL, GENOTYPE, Conv1x1BN

SPACE = get_space("nats_sss")
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
FILE = "natsbench_sss/nats_sss_accuracy.csv"


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / FILE).open(newline="") as fh:
        return list(csv.DictReader(fh))


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def hand_count(ch: tuple[int, ...], classes: int) -> int:
    """Closed form: conv weights (no bias) + 2 per BN channel + linear weight and bias."""
    c1, c2, c3, c4, c5 = ch

    def conv_bn(cin: int, cout: int, k: int) -> int:
        return k * k * cin * cout + 2 * cout

    def cell(cin: int, cout: int) -> int:  # 2 convs from the input, 3 inside, skip from input
        skip = 0 if cin == cout else conv_bn(cin, cout, 1)
        return 2 * conv_bn(cin, cout, 3) + 3 * conv_bn(cout, cout, 3) + skip

    def res(cin: int, cout: int) -> int:  # conv_a, conv_b, avg-pool + 1x1 shortcut (no BN)
        return conv_bn(cin, cout, 3) + conv_bn(cout, cout, 3) + cin * cout

    return (conv_bn(3, c1, 3) + cell(c1, c1) + res(c1, c2) + cell(c2, c3) + res(c3, c4)
            + cell(c4, c5) + 2 * c5 + c5 * classes + classes)


# ------------------------------------------------------------------------ index and strings


@pytest.mark.parametrize(("i", "s"), [(0, "8:8:8:8:8"), (1, "8:8:8:8:16"),
                                      (8, "8:8:8:16:8"), (4096, "16:8:8:8:8"),
                                      (32698, "64:64:56:64:24"), (32767, "64:64:64:64:64")])
def test_index_order(i: int, s: str) -> None:
    arch = SPACE.from_index(i)
    assert SPACE.to_str(arch) == s and SPACE.from_str(s) == arch
    assert SPACE.index(arch) == SPACE.key(arch) == i


def test_every_csv_row_round_trips(rows: list[dict[str, str]]) -> None:
    assert len(rows) == SIZE == SPACE.size() == 32768
    for i, row in enumerate(rows):
        arch = SPACE.from_str(row["channels"])
        assert int(row["index"]) == i == SPACE.index(arch)
        assert SPACE.to_str(SPACE.from_index(i)) == row["channels"]
    assert [SPACE.to_str(a) for a in SPACE.enumerate()] == [r["channels"] for r in rows]


def test_ground_truth_table(data_dir: Path) -> None:
    truth = load_ground_truth("nats_sss", "c10", data_dir=data_dir)
    assert (truth.dataset, truth.metric, len(truth)) == ("cifar10", "test", SIZE)
    assert truth.lookup(32698) == truth.lookup("64:64:56:64:24") == 93.65
    assert int(np.argmax(truth.values)) == 32698
    assert load_ground_truth("nats_sss", "imagenet16", data_dir=data_dir).lookup(0) == 15.5333
    assert "90 epochs" in truth.description


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("8:8:8:8", "5 channel counts"),
        ("8:8:8:8:8:8", "5 channel counts"),
        ("8:8:x:8:8", "C3 must be an integer"),
        ("8:8:8:8:8.0", "C5 must be an integer"),
        ("8:8:8:-8:8", "C4 must be an integer"),
        ("12:8:8:8:8", "8, 16, 24, 32, 40, 48, 56, 64"),
        ("8:8:8:8:0", "C5"),
        ("", "5 channel counts"),
        (None, "must be a str"),
    ],
)
def test_bad_strings(bad: object, message: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=message):
        SPACE.from_str(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, SIZE, 1.0, True, "3", None])
def test_bad_indices(bad: object) -> None:
    with pytest.raises(InvalidArchitectureError, match="index"):
        SPACE.from_index(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [(8, 8, 8, 8), (8, 8, 8, 8, 9), [8] * 5, (8, 8, 8, 8, 8.0),
                                 (True, 8, 8, 8, 8), "8:8:8:8:8"])
def test_bad_archs(bad: object) -> None:
    assert not SPACE.is_valid(bad)
    with pytest.raises(InvalidArchitectureError):
        SPACE.index(bad)


def test_numpy_ints_are_accepted() -> None:
    arch = tuple(np.int64(c) for c in (8, 16, 24, 32, 40))
    assert SPACE.to_str(arch) == "8:16:24:32:40"


# ------------------------------------------------------------------------- moves and features


def test_neighbors_and_mutate() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        arch = SPACE.sample(rng)
        assert SPACE.is_valid(arch)
        nbrs = SPACE.neighbors(arch)
        assert len(nbrs) == len(set(nbrs)) == 35 and arch not in nbrs
        assert all(sum(a != b for a, b in zip(n, arch)) == 1 for n in nbrs)
        for _ in range(20):
            child = SPACE.mutate(arch, rng)
            assert child in nbrs


def test_sample_is_uniform_over_choices() -> None:
    draws = np.array([SPACE.to_decisions(SPACE.sample(np.random.default_rng(s)))
                      for s in range(800)])
    counts = np.stack([np.bincount(draws[:, k], minlength=8) for k in range(5)])
    assert counts.min() > 60 and counts.max() < 140


def test_decisions_encode_graph_canonical() -> None:
    arch = (64, 8, 24, 40, 16)
    assert SPACE.decisions() == [8] * 5
    assert SPACE.to_decisions(arch) == [7, 0, 2, 4, 1]
    assert SPACE.from_decisions([7, 0, 2, 4, 1]) == arch
    assert SPACE.decode([7, 0, 2, 4, 8]) is None
    with pytest.raises(InvalidArchitectureError, match="0..7"):
        SPACE.from_decisions([0, 0, 0, 0, -1])
    x = SPACE.encode(arch)
    assert x.dtype == np.float32 and x.shape == (40,) and x.sum() == 5
    assert x.reshape(5, 8).argmax(1).tolist() == [7, 0, 2, 4, 1]
    assert SPACE.canonical(arch) == arch
    graph = SPACE.to_graph(arch)
    assert list(graph.edges) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert [graph.nodes[n]["channels"] for n in graph] == [64, 64, 8, 24, 40, 16]
    assert [graph.nodes[n]["kind"] for n in graph] == ["stem", "cell", "resblock", "cell",
                                                        "resblock", "cell"]
    assert [graph.nodes[n]["stride"] for n in graph] == [1, 1, 2, 1, 2, 1]


# ---------------------------------------------------------------------------------- models


def test_fixed_cell_is_nb201_index_9930() -> None:
    nb201 = get_space("nb201")
    assert nb201.from_str(GENOTYPE) == CELL
    assert nb201.index(CELL) == 9930


def test_hand_computed_count_of_the_smallest_network() -> None:
    # stem 27*8+16=232; cell 5*(9*64+16)=2960 (skip is the identity); resblock
    # 2*(576+16)+64=1248; lastact 16; classifier 8*10+10=90
    expected = 232 + 3 * 2960 + 2 * 1248 + 16 + 90
    assert expected == 11714 == hand_count((8,) * 5, 10)
    assert num_params(SPACE.to_model((8,) * 5, "cifar10")) == expected


def test_width_changing_cells_use_conv1x1_bn_skips() -> None:
    model = SPACE.to_model((8, 16, 24, 24, 40))
    assert isinstance(model.cells[2].layers[3], Conv1x1BN)  # C2=16 -> C3=24
    assert isinstance(model.cells[4].layers[3], Conv1x1BN)  # C4=24 -> C5=40
    assert isinstance(model.cells[0].layers[3], nn.Identity)
    keys = set(model.state_dict())
    assert {"cells.2.layers.3.conv.weight", "cells.2.layers.3.bn.running_mean",
            "cells.1.downsample.1.weight", "cells.4.layers.0.op.1.weight"} <= keys
    assert model.cells[2].layers[0].op[1].weight.shape == (24, 16, 3, 3)
    assert model.cells[2].layers[2].op[1].weight.shape == (24, 24, 3, 3)


def test_parameter_parity_on_a_sample(rows: list[dict[str, str]]) -> None:
    rng = np.random.default_rng(1)
    sample = sorted({0, 1, 32698, SIZE - 1, *rng.choice(SIZE, 36, replace=False).tolist()})
    for i in sample:
        arch = SPACE.from_index(i)
        for ds in DATASETS:
            model = SPACE.to_model(arch, ds)
            params = list(model.parameters())
            assert all(p.requires_grad for p in params)
            got = sum(p.numel() for p in params)
            nc = SPACE.dataset(ds).num_classes
            assert got == int(rows[i][f"params_{ds}"]) == hand_count(arch, nc), (i, ds)


@pytest.mark.parametrize("dataset", DATASETS)
def test_forward_backward_on_real_images(data_dir: Path, dataset: str) -> None:
    torch.manual_seed(0)
    if dataset == "ImageNet16-120":
        batch = get_batch("ImageNet16-120", "val", size=4, data_dir=data_dir)
    else:  # no CIFAR-100 files in the shared data: CIFAR-10 images have the same shape
        batch = get_batch("cifar10", size=4, data_dir=data_dir)
    spec = SPACE.dataset(dataset)
    assert tuple(batch.inputs.shape[1:]) == spec.input_shape
    model = SPACE.to_model((16, 8, 24, 40, 32), dataset)
    logits = model(batch.inputs)
    assert logits.shape == (4, spec.num_classes) and torch.isfinite(logits).all()
    targets = batch.targets % spec.num_classes
    nn.functional.cross_entropy(logits, targets).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_unknown_dataset() -> None:
    with pytest.raises(UnknownNameError, match="cifar10, cifar100, ImageNet16-120"):
        SPACE.to_model((8,) * 5, "mnist")
    with pytest.raises(UnknownNameError):
        load_ground_truth("nats_sss", "mnist")


def test_datasets_and_registration() -> None:
    assert [(d.name, d.input_shape, d.num_classes) for d in SPACE.datasets] == [
        ("cifar10", (3, 32, 32), 10), ("cifar100", (3, 32, 32), 100),
        ("ImageNet16-120", (3, 16, 16), 120)]
    assert SPACE.indexable and SPACE.benchmarks() == ["nats_sss"]
    assert CHANNELS == (8, 16, 24, 32, 40, 48, 56, 64)
