"""Every registered proxy, on NB201 cells including degenerate ones (generated from the registry,
so a newly registered proxy is tested the moment it exists).

Degenerate cells (every path from the cell input to its output crosses ``none``) give networks
whose output ignores the input: every proxy reports its worst value. Cells reached only through
a skip or a pooling edge depend on the input and are scored as usual."""

import math
import warnings

import pytest
import torch

from naslib_zero.data import synthetic_batch
from naslib_zero.engine import run_proxies
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
    "skip-path": "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|",
    "pool-path": "|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|",
}
DEGENERATE = {"all-none", "dead-conv"}
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


@pytest.mark.parametrize("name", list_proxies())
def test_output_that_ignores_the_input_is_worst_and_a_skip_or_pool_path_is_scored(results,
                                                                                  name):
    for cell, (values, _, _) in results.items():
        if cell in DEGENERATE:
            assert values[name] == get_proxy(name).worst, (name, cell)
        elif cell in ("skip-path", "pool-path"):
            assert math.isfinite(values[name]), (name, cell, values[name])


@pytest.mark.parametrize("cell", list(CELLS))
def test_engine_verdict_needs_no_proxy_and_warns_once(cell):
    model = build_model(SPACE, SPACE.from_str(CELLS[cell]), BATCH, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdict = run_proxies(model, BATCH.inputs, BATCH.targets, [])
        scores = run_proxies(model, BATCH.inputs, BATCH.targets, [get_proxy("params")])
    assert verdict.values == {}
    assert verdict.input_dependent == scores.input_dependent == (cell not in DEGENERATE)
    reported = [w for w in caught if issubclass(w.category, ProxyWarning)]
    assert len(reported) == (cell in DEGENERATE)  # once, and only with a proxy to report
