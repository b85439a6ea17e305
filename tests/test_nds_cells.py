"""The NDS cell spaces: every record of the five cell files round-trips and has the recorded
parameter and FLOP counts; concat rules, classes, networks, tables and bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from naslib_zero.core.errors import CorruptDataError, InvalidArchitectureError
from naslib_zero.tables import load_ground_truth
from search_spaces import get_space
from search_spaces.darts_genotype import Genotype
from search_spaces.nds import load_records
from search_spaces.nds_cells import CELL_FAMILIES, DEPTHS, WIDTHS, CellArch

FILES = {name: family.file for name, family in CELL_FAMILIES.items()}


def records(data_dir: Path, space: str):
    return load_records(data_dir / "nds" / FILES[space])


@pytest.mark.parametrize("space_name", FILES)
def test_every_record_round_trips_with_its_params_and_flops(space_name, data_dir):
    space = get_space(space_name)
    for record in records(data_dir, space_name):
        arch = space.from_config(record.net)
        assert space.to_config(arch) == record.net
        assert space.from_str(space.to_str(arch)) == arch
        assert space.complexity(arch, "imagenet") == (record.params, record.flops)


@pytest.mark.parametrize("space_name", FILES)
def test_records_lie_in_the_design_space_and_are_distinct_classes(space_name, data_dir):
    space = get_space(space_name)
    archs = [space.from_config(r.net) for r in records(data_dir, space_name)]
    for arch in archs:
        assert space.from_decisions(space.to_decisions(arch)) == arch
        assert arch.depth in DEPTHS and arch.width in WIDTHS
    assert len({space.key(a) for a in archs}) == len(archs)


def test_loose_ends_are_the_concat_and_a_wrong_concat_is_rejected(data_dir):
    space = get_space("nds_enas")
    net = records(data_dir, "nds_enas")[0].net
    arch = space.from_config(net)
    read = {source for _, source in arch.genotype.normal}
    assert space.rules.concat_of(arch.genotype.normal) == tuple(
        k for k in range(2, 7) if k not in read)
    bad = copy.deepcopy(net)
    bad["genotype"]["normal_concat"] = [2, 3, 4, 5, 6]
    with pytest.raises(InvalidArchitectureError, match="normal_concat must be .*the nodes no edge"):
        space.from_config(bad)
    darts = copy.deepcopy(records(data_dir, "nds_darts")[0].net)
    darts["genotype"]["reduce_concat"] = [5]
    with pytest.raises(InvalidArchitectureError, match="every node feeds the cell output"):
        get_space("nds_darts").from_config(darts)


def test_canonical_folds_commuting_edges_and_darts_none_inputs(data_dir):
    space = get_space("nds_darts")
    arch = space.from_config(records(data_dir, "nds_darts")[0].net)
    normal = list(arch.genotype.normal)
    normal[0], normal[1] = normal[1], normal[0]  # the two edges of node 0 commute
    swapped = CellArch(Genotype(tuple(normal), arch.genotype.reduce), arch.depth, arch.width)
    assert space.key(swapped) == space.key(arch)
    none_edges = [e for e, (op, _) in enumerate(arch.genotype.normal) if op == "none"]
    assert none_edges  # record 0 has a none edge in its normal cell
    moved = list(arch.genotype.normal)
    e = none_edges[0]
    moved[e] = ("none", 1 if moved[e][1] == 0 else 0)
    other = CellArch(Genotype(tuple(moved), arch.genotype.reduce), arch.depth, arch.width)
    assert space.key(other) == space.key(arch)
    torch.manual_seed(0)
    model = space.to_model(arch, "cifar10").eval()
    torch.manual_seed(0)
    twin = space.to_model(other, "cifar10").eval()
    twin.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 32, 32)
    assert torch.allclose(model(x), twin(x), atol=1e-5)


def test_imagenet_and_cifar_networks(data_dir):
    space = get_space("nds_nasnet")
    arch = min((space.from_config(r.net) for r in records(data_dir, "nds_nasnet")),
               key=lambda a: (a.depth, a.width))
    model = space.to_model(arch, "imagenet")
    x = torch.randn(2, 3, 224, 224)
    assert model.stem1(model.stem(x)).shape[-1] == 28  # the ImageNet stems reduce by 8
    assert model(x).shape == (2, 1000)
    cifar = space.to_model(arch, "cifar10")
    assert cifar(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert cifar.cells[0].multiplier == len(space.rules.concat_of(arch.genotype.normal))


def test_sampler_draws_inputs_with_replacement_and_uniform_depth_width():
    space = get_space("nds_amoeba")
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(400)]
    nodes = [(cell[2 * k][1], cell[2 * k + 1][1]) for a in archs
             for cell in (a.genotype.normal, a.genotype.reduce) for k in range(5)]
    same = np.mean([a == b for a, b in nodes])
    assert abs(same - np.mean([1 / (k + 2) for k in range(5)])) < 0.03
    assert {a.depth for a in archs} == set(DEPTHS) and {a.width for a in archs} == set(WIDTHS)
    assert all(op in space.rules.ops for a in archs for op, _ in a.genotype.normal)


def test_tables_and_lookup_of_an_equivalent_genotype(data_dir):
    table = load_ground_truth("nds_pnas", "imagenet", data_dir=data_dir)
    rows = records(data_dir, "nds_pnas")
    space = get_space("nds_pnas")
    assert len(table) == 119 and table.benchmark == "nds"
    arch = space.from_config(rows[0].net)
    normal = list(arch.genotype.normal)
    normal[2], normal[3] = normal[3], normal[2]
    twin = CellArch(Genotype(tuple(normal), arch.genotype.reduce), arch.depth, arch.width)
    assert table.lookup(space.key(twin)) == pytest.approx(100 - rows[0].min_test_top1_err)


def test_a_corrupt_record_names_the_file_and_record(tmp_path, data_dir):
    (tmp_path / "nds").mkdir()
    rows = json.loads((data_dir / "nds" / "ENAS_in.json").read_text())
    rows[5]["net"]["genotype"]["normal"][0] = ["conv_1x1", 0]  # not an ENAS op
    (tmp_path / "nds" / "ENAS_in.json").write_text(json.dumps(rows))
    with pytest.raises(CorruptDataError, match="record 5: .*'conv_1x1' is not in this space"):
        load_ground_truth("nds_enas", "imagenet", data_dir=tmp_path)


GOOD = {"aux": False, "depth": 6, "drop_prob": 0.0, "width": 32, "genotype": {
    "normal": [["sep_conv_3x3", 0], ["skip_connect", 1], ["max_pool_3x3", 2],
               ["avg_pool_3x3", 0], ["sep_conv_5x5", 3], ["skip_connect", 1],
               ["max_pool_3x3", 4], ["sep_conv_3x3", 0], ["avg_pool_3x3", 5], ["skip_connect", 1]],
    "normal_concat": [6],
    "reduce": [["sep_conv_5x5", 0], ["max_pool_3x3", 1], ["sep_conv_3x3", 2],
               ["avg_pool_3x3", 1], ["skip_connect", 0], ["sep_conv_5x5", 2],
               ["max_pool_3x3", 4], ["avg_pool_3x3", 3], ["sep_conv_3x3", 5], ["skip_connect", 0]],
    "reduce_concat": [6]}}


def _with(path: str, value):
    net = copy.deepcopy(GOOD)
    *head, last = path.split(".")
    target = net
    for key in head:
        target = target[key]
    target[int(last) if last.isdigit() else last] = value
    return net


@pytest.mark.parametrize("net, message", [
    (_with("width", 33), "width must be even"),
    (_with("depth", 0), "depth must be a positive int"),
    (_with("aux", "no"), "aux must be True or False"),
    (_with("drop_prob", 1.5), "drop_prob must be in"),
    (_with("genotype.normal", GOOD["genotype"]["normal"][:8]), "needs 10 \\(op, input\\) pairs"),
    (_with("genotype.normal.2", ["max_pool_3x3", 4]), "node 1: input 4 does not exist yet"),
    (_with("genotype.normal.0", ["conv_1x1", 0]), "'conv_1x1' is not in this space's op set"),
    (_with("genotype.normal.0", ["conv_9x9", 0]), "unknown op 'conv_9x9'"),
    ({k: v for k, v in GOOD.items() if k != "depth"}, "lacks depth"),
    (_with("genotype", "DARTS_V2"), "net.genotype must be a dict"),
])
def test_malformed_configs_are_clear_errors(net, message):
    space = get_space("nds_enas")
    space.from_config(GOOD)
    with pytest.raises(InvalidArchitectureError, match=message):
        space.from_config(net)


@pytest.mark.parametrize("text, message", [
    ("depth=6;width=32;Genotype(normal=[])", "lacks one of"),
    ("depth=6;width=x;aux=False;drop_prob=0.0;Genotype()", "must be ints"),
    ("depth=6;height=32;aux=False;drop_prob=0.0;Genotype()", "bad field"),
    ("depth=6;width=32;aux=yes;drop_prob=0.0;Genotype()", "aux must be True or False"),
])
def test_malformed_strings_are_clear_errors(text, message):
    with pytest.raises(InvalidArchitectureError, match=message):
        get_space("nds_enas").from_str(text)
