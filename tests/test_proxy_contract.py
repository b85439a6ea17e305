"""Every registered proxy, on NB201 cells including degenerate ones (generated from the registry,
so a newly registered proxy is tested the moment it exists)."""

import math
import warnings

import pytest
import torch

from naslib_zero.data import synthetic_batch
from naslib_zero.proxies import ProxyWarning, compute, get_proxy, list_proxies
from naslib_zero.scoring import build_model
from search_spaces import get_space

SPACE = get_space("nb201")
CELLS = {
    "all-none": "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "all-skip": "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",  # noqa: E501
    "all-pool": "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|",  # noqa: E501
    "dead-conv": "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "mixed": "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|",  # noqa: E501
}
BATCH = synthetic_batch("gaussian", size=8, shape=(3, 16, 16), num_classes=10, seed=0)
SECOND = synthetic_batch("gaussian", size=8, shape=(3, 16, 16), num_classes=10, seed=1)


@pytest.fixture(scope="module")
def results():
    out = {}
    for cell in CELLS:
        model = build_model(SPACE, SPACE.from_str(CELLS[cell]), BATCH, seed=0)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProxyWarning)
            first = compute(model, BATCH.inputs, BATCH.targets, "all", 0,
                            second_batch=(SECOND.inputs, SECOND.targets))
            again = compute(model, BATCH.inputs, BATCH.targets, "all", 0,
                            second_batch=(SECOND.inputs, SECOND.targets))
        after = model.state_dict()
        unchanged = all(torch.equal(before[k], after[k]) for k in before)
        out[cell] = (first, again, unchanged)
    return out


@pytest.mark.parametrize("name", list_proxies())
@pytest.mark.parametrize("cell", list(CELLS))
def test_finite_or_documented_worst(results, name, cell):
    value = results[cell][0][name]
    assert math.isfinite(value) or value == get_proxy(name).worst, (name, cell, value)


@pytest.mark.parametrize("name", list_proxies())
def test_same_seed_same_value(results, name):
    for cell, (first, again, _) in results.items():
        assert first[name] == again[name], (name, cell)


def test_model_unchanged_by_scoring(results):
    assert all(unchanged for _, _, unchanged in results.values())


@pytest.mark.parametrize("name", list_proxies())
def test_registry_records_sign_and_reference(name):
    spec = get_proxy(name)
    assert isinstance(spec.higher_is_better, bool)
    assert spec.reference and spec.fn.__doc__


def test_all_none_cell_is_worst_for_data_dependent_proxies(results):
    values = results["all-none"][0]
    assert values["synflow"] == -math.inf and values["jacob_cov"] == -math.inf
    assert values["nwot"] < results["mixed"][0]["nwot"]
