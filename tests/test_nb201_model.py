"""NB201 reference network: parameter counts against the benchmark, shapes, hooks, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError, UnknownNameError
from search_spaces import get_space
from search_spaces.base import DatasetSpec
from search_spaces.nb201_model import InferCell

SPACE = get_space("nb201")
ALL_CONV = (3, 3, 3, 3, 3, 3)
NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
DATASET = {n: d for d, n in NUM_CLASSES.items()}


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("arch", "params_m"),
    [
        (ALL_CONV, 1.531546),
        ((0,) * 6, 0.073306),
        ((1,) * 6, 0.073306),
        ((4, 1, 0, 4, 1, 0), 0.073306),
    ],
)
def test_quoted_parameter_counts(arch: tuple[int, ...], params_m: float) -> None:
    assert num_params(SPACE.to_model(arch)) == round(params_m * 1e6)


def test_classifier_is_the_only_part_that_depends_on_num_classes() -> None:
    counts = {nc: num_params(SPACE.to_model(ALL_CONV, DATASET[nc])) for nc in (10, 100, 120)}
    assert {nc: c - counts[10] for nc, c in counts.items()} == {10: 0, 100: 65 * 90, 120: 65 * 110}
    assert SPACE.to_model(ALL_CONV, "ImageNet16-120").classifier.out_features == 120


def test_parameter_counts_match_every_naslib_row(data_dir: Path) -> None:
    """params_M = all parameters incl. the classifier / 1e6.

    Full models take ~20 ms each to build, so every distinct arch is counted as the cell-free
    network plus 5 cells per stage, a split checked on full models for a sample of rows.
    """
    with open(data_dir / "nb201" / "naslib_nb201_val_accuracy.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3312
    cell_free = num_params(SPACE.to_model((0,) * 6, "cifar10"))
    counts: dict[tuple[int, ...], int] = {}
    for i, row in enumerate(rows):
        arch = SPACE.from_str(row["arch_str"])
        num_classes = NUM_CLASSES[row["dataset"]]
        assert SPACE.index(arch) == int(row["nb201_index"])
        if arch not in counts:
            counts[arch] = cell_free + sum(5 * num_params(InferCell(arch, c)) for c in (16, 32, 64))
        count = counts[arch] + 65 * (num_classes - 10)  # Linear(64, num_classes)
        if i % 100 == 0:
            assert num_params(SPACE.to_model(arch, row["dataset"])) == count
        assert abs(count / 1e6 - float(row["params_M"])) < 1e-6, row


@pytest.mark.parametrize(("size", "num_classes"), [(32, 10), (16, 120), (64, 100)])
def test_forward_shapes(size: int, num_classes: int) -> None:
    model = SPACE.to_model((1, 2, 3, 4, 0, 3), DatasetSpec("x", (3, size, size), num_classes))
    logits = model(torch.randn(2, 3, size, size))
    assert logits.shape == (2, num_classes)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("train", [True, False])
def test_all_none_cell_gives_finite_output(train: bool) -> None:
    model = SPACE.to_model((0,) * 6).train(train)
    assert all(len(cell.layers) == 0 for cell in model.cells if hasattr(cell, "layers"))
    logits = model(torch.randn(4, 3, 32, 32))
    assert logits.shape == (4, 10) and torch.isfinite(logits).all()
    logits.sum().backward()  # the graph stays valid


@pytest.mark.parametrize("shape", [(2, 1, 32, 32), (2, 4, 32, 32), (3, 32, 32), (2, 3, 32)])
def test_bad_input_shape_raises(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"expected input of shape \(B, 3, H, W\)"):
        SPACE.to_model(ALL_CONV)(torch.randn(*shape))


def test_only_used_ops_are_instantiated() -> None:
    model = SPACE.to_model((0, 1, 2, 3, 4, 0))
    cell = model.cells[0]
    assert sorted(cell.layers) == ["1", "2", "3", "4"]
    assert isinstance(cell.layers["1"], nn.Identity)
    assert isinstance(cell.layers["4"], nn.AvgPool2d) and not cell.layers["4"].count_include_pad
    conv1, conv3 = cell.layers["2"].op[1], cell.layers["3"].op[1]
    assert (conv1.kernel_size, conv3.kernel_size) == ((1, 1), (3, 3))
    assert conv1.bias is None and conv3.bias is None


def test_structure_and_official_state_dict_names() -> None:
    model = SPACE.to_model(ALL_CONV)
    assert len(model.cells) == 17  # 3 x 5 cells + 2 residual blocks
    keys = set(model.state_dict())
    for key in [
        "stem.0.weight",
        "stem.1.running_mean",
        "cells.0.layers.5.op.1.weight",
        "cells.5.conv_a.op.1.weight",
        "cells.5.downsample.1.weight",
        "cells.16.layers.0.op.2.weight",
        "lastact.0.weight",
        "classifier.weight",
    ]:
        assert key in keys
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(bn.affine and bn.track_running_stats for bn in bns)


def test_every_relu_is_a_module_seen_by_hooks() -> None:
    model = SPACE.to_model(ALL_CONV)
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) == 15 * 6 + 2 * 2 + 1
    assert not any(r.inplace for r in relus)
    calls = []
    for relu in relus:
        relu.register_forward_hook(lambda module, inputs, output: calls.append(module))
    model(torch.randn(1, 3, 32, 32))
    assert len(calls) == len(relus)


def test_same_seed_gives_same_weights() -> None:
    torch.manual_seed(0)
    a = SPACE.to_model(ALL_CONV).state_dict()
    torch.manual_seed(0)
    b = SPACE.to_model(ALL_CONV).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_to_model_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidArchitectureError):
        SPACE.to_model([3] * 6)  # type: ignore[arg-type]
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="num_classes must be a positive int"):
            SPACE.to_model(ALL_CONV, DatasetSpec("x", (3, 32, 32), bad))  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="no models for dataset 'svhn'.*cifar10"):
        SPACE.to_model(ALL_CONV, "svhn")
