"""NB101 reference network: parameter parity with NAS-Bench-101, hand counts, forward, bad input."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError, InvalidArgumentError
from search_spaces.nb101_model import NB101Network, compute_vertex_channels, count_parameters

IN, OUT = "input", "output"
C3, C1, MP = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
# (c_in, c_out) of the nine cells of the default network (stem 128, channels double per stack)
CELLS = [(128, 128)] * 3 + [(128, 256)] + [(256, 256)] * 2 + [(256, 512)] + [(512, 512)] * 2
STEM = 3 * 3 * 3 * 128 + 2 * 128  # conv3x3 3->128 + BN gamma/beta
HEAD = 512 * 10 + 10  # dense layer with bias

# 7 vertices, all three ops, two projected interior vertices and an input -> output edge
SEVEN = (
    [[0, 1, 1, 0, 0, 0, 1],
     [0, 0, 0, 1, 0, 0, 0],
     [0, 0, 0, 0, 1, 0, 0],
     [0, 0, 0, 0, 0, 1, 0],
     [0, 0, 0, 0, 0, 0, 1],
     [0, 0, 0, 0, 0, 0, 1],
     [0, 0, 0, 0, 0, 0, 0]],
    [IN, C3, MP, C1, C3, MP, OUT],
)
# vertex 1 feeds vertices 2 and 3, which both feed the output: with an odd width vertex 2 gets
# the remainder channel, vertex 1 takes the max (vertex 2's width) and is truncated for vertex 3
TRUNCATE = (
    [[0, 1, 0, 0, 0],
     [0, 0, 1, 1, 0],
     [0, 0, 0, 0, 1],
     [0, 0, 0, 0, 1],
     [0, 0, 0, 0, 0]],
    [IN, C3, C1, MP, OUT],
)
SINGLE_EDGE = ([[0, 1], [0, 0]], [IN, OUT])


def trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def meta_count(matrix, ops) -> int:
    with torch.device("meta"):
        return trainable(NB101Network(matrix, ops))


@contextlib.contextmanager
def values_not_initialised():
    """Skip torch's own value initialisation (shapes only; the hand-count tests build normally)."""
    with contextlib.ExitStack() as stack:
        for cls in (nn.Conv2d, nn.BatchNorm2d, nn.Linear):
            stack.enter_context(mock.patch.object(cls, "reset_parameters", lambda self: None))
        yield


def read_specs(path: Path) -> list[tuple[np.ndarray, list[str], int]]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for r in rows:
        n = int(r["num_vertices"])
        matrix = np.array([int(c) for c in r["adjacency"]]).reshape(n, n)
        out.append((matrix, r["ops"].split("|"), int(r["params"])))
    return out


def test_parity_with_nb101_on_300_rows_and_all_small_cells(data_dir: Path) -> None:
    specs = read_specs(data_dir / "nb101" / "nb101_30k_val_accuracy.csv")
    assert len(specs) == 30001
    picked = set(np.linspace(0, len(specs) - 1, 300).astype(int).tolist())
    picked |= {i for i, (m, _, _) in enumerate(specs) if len(m) <= 4}  # the 12 rare small cells
    with values_not_initialised():  # 312 models: keep the test fast
        wrong = [
            (i, got, want)
            for i in sorted(picked)
            for m, o, want in [specs[i]]
            if (got := meta_count(m, o)) != want or count_parameters(m, o) != want
        ]
    assert len(picked) == 312
    assert wrong == []


def test_single_edge_cell_by_hand() -> None:
    # the cell is only the projection of its input to the output width: conv1x1 + BN
    cells = sum(ci * co + 2 * co for ci, co in CELLS)
    assert cells == 873728
    expected = STEM + cells + HEAD
    assert meta_count(*SINGLE_EDGE) == expected == 882570  # NB101's params for hash 0100
    # a lone max-pool vertex costs the same: projection to the vertex, pool without parameters
    assert meta_count([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, MP, OUT]) == expected


def test_three_vertex_cell_by_hand() -> None:
    # input -> conv1x1 -> output plus input -> output: projection to vertex 1 (c_out wide, the
    # only vertex feeding the output), conv1x1 c_out -> c_out, projection to the output
    matrix, ops = [[0, 1, 1], [0, 0, 1], [0, 0, 0]], [IN, C1, OUT]
    cells = sum((ci * co + 2 * co) + (co * co + 2 * co) + (ci * co + 2 * co) for ci, co in CELLS)
    assert meta_count(matrix, ops) == STEM + cells + HEAD == 2793866
    # with a 3x3 conv and without the input -> output edge
    matrix, ops = [[0, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, C3, OUT]
    cells = sum((ci * co + 2 * co) + (9 * co * co + 2 * co) for ci, co in CELLS)
    assert meta_count(matrix, ops) == STEM + cells + HEAD


def test_vertex_channel_rule() -> None:
    fan3 = np.array([[0, 1, 1, 1, 0],
                     [0, 0, 0, 0, 1],
                     [0, 0, 0, 0, 1],
                     [0, 0, 0, 0, 1],
                     [0, 0, 0, 0, 0]])
    # 128 = 3 * 42 + 2: the remainder goes to the lowest-numbered vertices feeding the output
    assert compute_vertex_channels(64, 128, fan3) == [64, 43, 43, 42, 128]
    assert compute_vertex_channels(64, 129, fan3) == [64, 43, 43, 43, 129]
    m = np.array(TRUNCATE[0])
    assert compute_vertex_channels(17, 17, m) == [17, 9, 9, 8, 17]  # vertex 1: max of 9 and 8
    assert compute_vertex_channels(3, 5, np.array(SINGLE_EDGE[0])) == [3, 5]


def test_vertex_order_changes_the_count_of_an_isomorphic_cell() -> None:
    # one NB101 hash (087fdce1...), two vertex orders: NB101's own encoding and NASLib's
    nb101 = ([[0, 1, 1, 1, 1], [0, 0, 1, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1],
              [0, 0, 0, 0, 0]], [IN, MP, C3, MP, OUT])
    naslib = ([[0, 1, 1, 1, 1], [0, 0, 0, 0, 1], [0, 0, 0, 1, 1], [0, 0, 0, 0, 1],
               [0, 0, 0, 0, 0]], [IN, MP, MP, C3, OUT])
    assert meta_count(*nb101) == 2792597  # NB101's `params`
    assert meta_count(*naslib) == 2781083  # NASLib's params_M = 2.781083


def test_layers_follow_the_reference() -> None:
    model = NB101Network(*SEVEN, stem_channels=16)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(convs) == len(bns) == 1 + 9 * 6  # stem; per cell 3 convs + 3 projections
    assert all(c.bias is None for c in convs)
    assert all(b.affine and b.eps == 1e-5 and b.momentum == pytest.approx(1 - 0.997) for b in bns)
    assert model.classifier.bias is not None and model.classifier.in_features == 64
    pools = [m for m in model.layers if isinstance(m, nn.MaxPool2d)]
    assert [(p.kernel_size, p.stride) for p in pools] == [(2, 2), (2, 2)]
    # TF initialisation: fan-in truncated normal (|w| <= 2 std), BN (1, 0), zero dense bias
    for conv in convs:
        std = (1 / conv.weight[0].numel()) ** 0.5 / 0.87962566103423978
        assert conv.weight.abs().max() <= 2 * std + 1e-6
    assert all(torch.equal(b.weight, torch.ones_like(b.weight)) for b in bns)
    assert torch.equal(model.classifier.bias, torch.zeros(10))


@pytest.mark.parametrize(
    ("spec", "stem", "num_classes"),
    [(SEVEN, 16, 10), (TRUNCATE, 17, 100), (SINGLE_EDGE, 16, 10)],
)
def test_forward_and_backward(spec, stem: int, num_classes: int) -> None:
    torch.manual_seed(0)
    model = NB101Network(*spec, num_classes, stem_channels=stem)
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    logits = model(x)
    assert logits.shape == (2, num_classes)
    assert torch.isfinite(logits).all()
    nn.functional.cross_entropy(logits, torch.tensor([0, 1])).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_cell_output_widths_and_odd_input_size() -> None:
    model = NB101Network(*TRUNCATE, stem_channels=17).eval()
    widths = []
    for layer in model.layers:
        layer.register_forward_hook(lambda _m, _i, out: widths.append(tuple(out.shape[1:])))
    with torch.no_grad():
        assert model(torch.randn(1, 3, 15, 15)).shape == (1, 10)
    # pools are "same"-padded: 15 -> 8 -> 4
    assert widths == [(17, 15, 15)] * 3 + [(17, 8, 8)] + [(34, 8, 8)] * 3 + [(34, 4, 4)] + [
        (68, 4, 4)
    ] * 3


@pytest.mark.parametrize(
    ("matrix", "ops", "message"),
    [
        ([[0, 1, 0], [0, 0, 1]], [IN, C3, OUT], "square"),
        ([[0, 1, 1], [0, 0, 1], [1, 0, 0]], [IN, C3, OUT], "upper-triangular"),
        ([[1, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, C3, OUT], "upper-triangular"),
        ([[0, 2, 0], [0, 0, 1], [0, 0, 0]], [IN, C3, OUT], "0 or 1"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, OUT], "2 labels for 3"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, "conv5x5-bn-relu", OUT], "unknown op"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, C3, OUT], "start with"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, C3, C3], "end with"),
        ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [IN, C3, OUT], "not pruned"),
        ([[0, 0], [0, 0]], [IN, OUT], "not pruned"),
        ([[0]], [IN], "2 to 7"),
        (np.triu(np.ones((8, 8), dtype=int), 1), [IN] + [C3] * 6 + [OUT], "2 to 7"),
        ([[0, 1], [0]], [IN, OUT], "rectangular|square"),
        ([[0, 1], [0, 0]], "input|output", "sequence"),
    ],
)
def test_bad_specs_raise(matrix, ops, message: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=message):
        NB101Network(matrix, ops)


def test_bad_arguments_raise() -> None:
    with pytest.raises(InvalidArgumentError, match="num_classes"):
        NB101Network(*SEVEN, 0)
    with pytest.raises(InvalidArgumentError, match="cannot be split"):
        NB101Network(*SEVEN, stem_channels=1)  # two vertices feed the output
    model = NB101Network(*SINGLE_EDGE, stem_channels=4)
    with pytest.raises(InvalidArgumentError, match="shape"):
        model(torch.randn(1, 1, 8, 8))
