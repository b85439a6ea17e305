"""The DARTS and NAS-Bench-301 spaces: every row of both files, canonical classes, moves and
decisions under the distinct-inputs rule, networks against independent parameter counts, and
bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError, InvalidArgumentError, UnknownNameError
from naslib_zero.tables import load_ground_truth, recorded_params, resolve_table
from search_spaces import get_space
from search_spaces.darts_genotype import Genotype
from search_spaces.darts_model import DartsCell

DARTS, NB301 = get_space("darts"), get_space("nb301")
NB301_FILE = "nb301/naslib_nb301_val_accuracy.csv"
DARTS_FILE = "darts/darts_1000_cifar10_accuracy.csv"
PDARTS = (  # as P-DARTS' genotypes.py writes it (range concat, a missing space)
    "Genotype(normal=[('skip_connect', 0), ('dil_conv_3x3', 1), ('skip_connect', 0),"
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3',0), "
    "('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('avg_pool_3x3', 0), "
    "('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), "
    "('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('dil_conv_5x5', 3)], reduce_concat=range(2, 6))")


def rows(data_dir: Path, file: str) -> list[dict[str, str]]:
    with (data_dir / file).open(newline="") as fh:
        return list(csv.DictReader(fh))


def genotype(normal: list, reduce: list | None = None) -> str:
    cell = "[" + ", ".join(f"({op!r}, {i})" for op, i in normal) + "]"
    other = cell if reduce is None else "[" + ", ".join(f"({op!r}, {i})" for op, i in reduce) + "]"
    return (f"Genotype(normal={cell}, normal_concat=[2, 3, 4, 5], reduce={other}, "
            "reduce_concat=[2, 3, 4, 5])")


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def meta_model(space, arch) -> nn.Module:
    with torch.device("meta"):
        return space.to_model(arch, "cifar10")


# ------------------------------------------------------------------------- both data files


def test_every_row_of_both_files_round_trips(data_dir: Path) -> None:
    for row in rows(data_dir, NB301_FILE):
        arch = NB301.from_str(row["genotype"])
        assert NB301.to_str(arch) == row["genotype"]
        assert NB301.from_str(row["compact"]) == arch  # NASLib's compact encoding
        assert json.loads(NB301.to_compact(arch)) == json.loads(row["compact"])
        assert DARTS.from_str(row["genotype"]) == arch  # NB301 genotypes are DARTS genotypes
    for row in rows(data_dir, DARTS_FILE):
        arch = DARTS.from_str(row["genotype"])
        assert DARTS.to_str(arch) == row["genotype"]


def test_canonical_classes_of_the_files(data_dir: Path) -> None:
    nb301 = {DARTS.key(DARTS.from_str(r["genotype"])) for r in rows(data_dir, NB301_FILE)}
    darts = {DARTS.key(DARTS.from_str(r["genotype"])) for r in rows(data_dir, DARTS_FILE)}
    assert (len(nb301), len(darts), len(nb301 | darts)) == (1218, 1000, 2218)


def test_darts1000_rows_repeat_inputs_and_nb301_rows_do_not(data_dir: Path) -> None:
    """Why ``darts`` allows a node to read one input twice by default."""
    def repeats(text: str) -> int:
        arch = DARTS.from_str(text)
        cells = (arch.normal, arch.reduce)
        return sum(cell[2 * k][1] == cell[2 * k + 1][1] for cell in cells for k in range(4))

    assert sum(repeats(r["genotype"]) for r in rows(data_dir, DARTS_FILE)) == 2612
    assert sum(repeats(r["genotype"]) for r in rows(data_dir, NB301_FILE)) == 0
    strict = get_space("darts", distinct_inputs=True)
    with pytest.raises(InvalidArchitectureError, match="two distinct inputs"):
        strict.from_str(rows(data_dir, DARTS_FILE)[0]["genotype"])


def test_benchmarks_of_both_spaces(data_dir: Path) -> None:
    nb301 = load_ground_truth("nb301", "cifar10", data_dir=data_dir)
    newer = load_ground_truth("nb301", "cifar10", data_dir=data_dir, benchmark="nb301_2022_06")
    darts = load_ground_truth("darts", "cifar10", data_dir=data_dir)
    assert (len(nb301), len(newer), len(darts)) == (1218, 725, 1000)
    assert 90.7 < nb301.values.min() < nb301.values.max() < 94.5
    assert 10.2 < darts.values.min() < darts.values.max() < 86.7
    first = rows(data_dir, NB301_FILE)[0]
    arch = NB301.from_str(first["genotype"])
    assert nb301.lookup(NB301.key(arch)) == pytest.approx(float(first["val_accuracy"]))
    # the same network written with a node's two edges swapped finds the same row
    swapped = Genotype(arch.normal[1::-1] + arch.normal[2:], arch.reduce)
    assert swapped != arch and nb301.lookup(NB301.key(swapped)) == nb301.lookup(NB301.key(arch))
    other = NB301.mutate(arch, np.random.default_rng(0))
    if NB301.key(other) not in nb301:
        with pytest.raises(InvalidArchitectureError, match="nb301"):
            nb301.lookup(NB301.key(other))


# ----------------------------------------------------------------------------- parameters


def test_naslib_preset_matches_params_m(data_dir: Path) -> None:
    """Every 12th row here; ``benchmarks/nb301_params.py`` checks all 1,218."""
    table, _ = resolve_table("nb301", "cifar10")
    archs, params = recorded_params(table, data_dir)
    naslib = get_space("nb301", preset="naslib")
    for text, expected in list(zip(archs, params))[::12]:
        assert count(meta_model(naslib, naslib.from_str(text))) == expected, text


def test_nb301_preset_is_params_m_plus_aux_head_and_affine_op_bns(data_dir: Path) -> None:
    """NB301's training network counts the auxiliary head and the cell ops' BN affine
    parameters, which NASLib's zero-cost model has not; nothing else differs."""
    table, _ = resolve_table("nb301", "cifar10")
    archs, params = recorded_params(table, data_dir)
    for text, expected in list(zip(archs, params))[::100]:
        model = meta_model(NB301, NB301.from_str(text))
        aux = count(model.auxiliary_head)
        affine = sum(count(bn) for cell in model.cells for op in cell.ops for bn in op.modules()
                     if isinstance(bn, nn.BatchNorm2d))
        assert aux > 0 and affine > 0
        assert count(model) - aux - affine == expected


def test_darts_network_matches_published_counts() -> None:
    """P-DARTS' genotype in DARTS' CIFAR network (C=36, 20 cells): 3,433,798 parameters
    without and 3,910,224 with the auxiliary head (counted with DARTS' own model.py in
    chenxin061/pdarts issue #7)."""
    arch = DARTS.from_str(PDARTS)
    assert count(meta_model(get_space("darts", auxiliary=False), arch)) == 3_433_798
    assert count(meta_model(DARTS, arch)) == 3_910_224


def test_swap_preset_by_hand() -> None:
    """One reduction cell of C=3 (6 channels after doubling) on the image, no stem."""
    text = genotype([("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 2),
                     ("max_pool_3x3", 0), ("sep_conv_3x3", 1), ("none", 3),
                     ("dil_conv_5x5", 4), ("avg_pool_3x3", 2)])
    space = get_space("darts", preset="swap")
    preprocess = 2 * (3 * 6 + 2 * 6)  # two ReLU-Conv1x1(3->6)-BN
    reduce = 2 * (6 * 3) + 2 * 6  # skip at stride 2: factorized reduce, 2 x Conv1x1(6->3), BN
    dil_block = 6 * 9 + 6 * 6 + 2 * 6  # depthwise 3x3, pointwise, BN
    sep3 = 2 * dil_block
    dil5 = 6 * 25 + 6 * 6 + 2 * 6
    classifier = 24 * 10 + 10  # 4 nodes x 6 channels
    expected = preprocess + 2 * reduce + sep3 + dil5 + classifier
    assert count(meta_model(space, space.from_str(text))) == expected == 808


# -------------------------------------------------------------------------- classes, moves


def param_free_genotype(normal: list) -> str:
    reduce = [("max_pool_3x3", 0), ("avg_pool_3x3", 1)] * 4
    return genotype(normal, reduce)


def test_canonical_folds_only_what_computes_the_same_function() -> None:
    a = param_free_genotype([("max_pool_3x3", 0), ("skip_connect", 1), ("none", 1),
                             ("avg_pool_3x3", 2), ("skip_connect", 3), ("max_pool_3x3", 0),
                             ("none", 4), ("none", 2)])
    b = param_free_genotype([("skip_connect", 1), ("max_pool_3x3", 0), ("avg_pool_3x3", 2),
                             ("none", 0), ("max_pool_3x3", 0), ("skip_connect", 3),
                             ("none", 0), ("none", 3)])
    arch_a, arch_b = DARTS.from_str(a), DARTS.from_str(b)
    assert arch_a != arch_b and DARTS.canonical(arch_a) == DARTS.canonical(arch_b)
    x = torch.randn(2, 3, 32, 32)
    outputs = []
    for arch in (arch_a, arch_b):
        torch.manual_seed(0)  # cell ops have no parameters: both nets get the same weights
        model = get_space("darts", preset="nb301", auxiliary=False).to_model(arch).eval()
        outputs.append(model(x))
    torch.testing.assert_close(outputs[0], outputs[1])
    different = DARTS.from_str(a.replace("('skip_connect', 3)", "('skip_connect', 2)", 1))
    assert DARTS.canonical(different) != DARTS.canonical(arch_a)


def test_canonical_keeps_distinct_inputs_where_required() -> None:
    arch = NB301.sample(np.random.default_rng(3))
    for other in [arch, *NB301.neighbors(arch)]:
        rep = NB301.canonical(other)
        assert NB301.is_valid(rep) and NB301.canonical(rep) == rep
    strict = get_space("darts", distinct_inputs=True)
    rep = strict.canonical(strict.from_str(genotype([("none", 1), ("none", 0)] * 4)))
    assert rep.normal[:2] == (("none", 0), ("none", 1))


def test_nb301_samples_and_moves_follow_its_rules() -> None:
    rng = np.random.default_rng(0)
    ops = set()
    for _ in range(200):
        arch = NB301.sample(rng)
        for cell in (arch.normal, arch.reduce):
            assert all(cell[2 * k][1] != cell[2 * k + 1][1] for k in range(4))
            ops |= {op for op, _ in cell}
        child = NB301.mutate(arch, rng)
        assert NB301.is_valid(child) and child != arch
    assert ops == set(NB301.rules.ops) and "none" not in ops
    arch = NB301.sample(rng)
    # per edge: 6 other ops + the other allowed inputs (node k: k + 2 - 2 choices)
    expected = 2 * sum(2 * (6 + k) for k in range(4))
    assert len(NB301.neighbors(arch)) == expected


def test_decisions_never_reject_when_inputs_must_differ() -> None:
    sizes = np.array(NB301.decisions())
    assert len(sizes) == 2 * 4 * 3 and list(sizes[:3]) == [2, 7, 7]
    rng = np.random.default_rng(0)
    for _ in range(200):
        arch = NB301.decode([int(v) for v in rng.integers(0, sizes)])
        assert arch is not None and NB301.from_decisions(NB301.to_decisions(arch)) == arch
    assert len(DARTS.decisions()) == 2 * 4 * 4  # independent inputs: two decisions per node


def test_encoding_ignores_the_order_of_a_nodes_edges() -> None:
    arch = NB301.sample(np.random.default_rng(1))
    swapped = Genotype(arch.normal[1::-1] + arch.normal[2:], arch.reduce)
    np.testing.assert_array_equal(NB301.encode(arch), NB301.encode(swapped))
    assert NB301.encode(arch).shape == (2 * 14 * 7,) and NB301.encode(arch).sum() == 16


# --------------------------------------------------------------------------------- models


def test_auxiliary_head_and_drop_path() -> None:
    arch = NB301.sample(np.random.default_rng(0))
    torch.manual_seed(0)
    model = get_space("nb301", channels=8).to_model(arch).train()
    x = torch.randn(4, 3, 32, 32)
    logits, aux = model.forward_with_aux(x)
    assert logits.shape == (4, 10) and aux.shape == (4, 10)
    assert model.drop_path_prob == 0.0  # a training loop raises it from 0 (DARTS, NB301)
    model.eval()
    first = model(x)
    assert model.forward_with_aux(x)[1] is None
    torch.testing.assert_close(model(x), first)
    model.train()
    model.drop_path_prob = 0.5
    torch.manual_seed(1)
    a = model(x)
    torch.manual_seed(2)
    assert not torch.allclose(a, model(x))


def test_reduction_cells_sit_at_one_and_two_thirds() -> None:
    model = get_space("darts", preset="darts", auxiliary=False).to_model(
        DARTS.from_str(PDARTS))
    reductions = [i for i, cell in enumerate(model.cells) if isinstance(cell, DartsCell)
                  and any(getattr(m, "stride", 1) == 2 for m in cell.ops.modules())]
    assert len(model.cells) == 20 and reductions == [6, 13]


# ------------------------------------------------------------------------------ bad input


BAD = [
    (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 3), "needs 8 .* pairs"),
    (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 2)] * 4), "node 0: input 2 does not exist"),
    (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 3 + [("skip_connect", 6),
                                                                ("sep_conv_3x3", 0)]),
     "node 3: input 6 does not exist"),
    (genotype([("conv_7x7", 0), ("sep_conv_3x3", 1)] * 4), "unknown op 'conv_7x7'"),
    (genotype([("none", 0), ("sep_conv_3x3", 1)] * 4), "op 'none' is not in this space"),
    (genotype([("sep_conv_3x3", 1), ("max_pool_3x3", 1)] * 4), "both edges come from input 1"),
    (genotype([("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 4).replace(
        "normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 5]"), "normal_concat must be"),
    ("Genotype(normal=[('sep_conv_3x3', 0)", "not a DARTS genotype string"),
    ("sep_conv_3x3", "not a DARTS genotype string"),
    ("[[[0, 9]], []]", "op index 9 outside"),
    ("[[[0, 1], [1, 1]], 3]", "not a list"),
    ("[[0, 1]", "not a compact genotype"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_malformed_genotypes_get_clear_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=message):
        NB301.from_str(text)


def test_bad_options_get_clear_errors() -> None:
    with pytest.raises(UnknownNameError, match="unknown DARTS network preset 'big'"):
        get_space("nb301", preset="big")
    with pytest.raises(InvalidArgumentError, match="unknown DARTS network option.*width"):
        get_space("nb301", width=3)
    with pytest.raises(InvalidArgumentError, match="unknown: conv"):
        get_space("darts", ops="none|conv")
    with pytest.raises(InvalidArgumentError, match="channels must be a positive int"):
        get_space("darts:channels=0")
    with pytest.raises(InvalidArgumentError, match="auxiliary must be True or False"):
        get_space("darts:auxiliary=yes")
    with pytest.raises(InvalidArchitectureError, match="compact encoding has no 'none'"):
        DARTS.to_compact(DARTS.from_str(genotype([("none", 0), ("skip_connect", 1)] * 4)))
    small = get_space("darts", ops=("skip_connect", "sep_conv_3x3"))
    assert small.decisions()[1] == 2
    assert get_space("darts", ops=["skip_connect", "sep_conv_3x3"]) is small  # lists work
    with pytest.raises(InvalidArchitectureError, match="not in this space's op set"):
        small.from_str(genotype([("max_pool_3x3", 0), ("skip_connect", 1)] * 4))


# ------------------------------------------------------------------------------------ CLI


def test_cli_scores_an_nb301_archs_file(data_dir: Path, tmp_path: Path) -> None:
    from naslib_zero.analysis.evaluation import read_scores
    from naslib_zero.cli import main

    lines = [r["genotype"] for r in rows(data_dir, NB301_FILE)[:3]]
    (tmp_path / "archs.txt").write_text("\n".join(lines) + "\n")
    for spec, preset in (("nb301", "nb301"), ("nb301:preset=naslib", "naslib")):
        out = tmp_path / f"{preset}.csv"
        assert main(["-q", "--data-dir", str(data_dir), "score", "--space", spec, "--archs",
                     str(tmp_path / "archs.txt"), "--proxies", "params", "--batch-size", "2",
                     "--out", str(out), "--cache", str(tmp_path / "c.sqlite")]) == 0
        archs, scores = read_scores(out)
        space = get_space("nb301", preset=preset)
        assert list(archs) == lines
        assert list(scores["params"]) == [count(meta_model(space, space.from_str(t)))
                                          for t in lines]
