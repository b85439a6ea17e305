"""Every registered proxy on a small network of every registered space, preset and dataset:
all together in one call, each alone, and seeded random subsets. A proxy's value must not
depend on which other proxies share the call, and no call may change the caller's model
(passes that copy the model must work whatever earlier passes left on it)."""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn as nn

from naslib_zero.data import synthetic_batch
from naslib_zero.proxies import ProxyWarning, compute, get_proxy, list_proxies
from naslib_zero.scoring import build_model
from search_spaces import get_space, list_spaces
from search_spaces.darts_model import PRESETS
from search_spaces.nds import AnyNetSpace
from search_spaces.nds_cells import DEPTHS, WIDTHS, CellSpace

# Options that keep each network small; every DARTS preset of both DARTS spaces.
SMALL = {"nb201": {"C": 4, "N": 1}}
DARTS_SMALL = {"channels": 4, "layers": 3}
CONFIGS = [(name, SMALL.get(name, {})) for name in list_spaces() if name not in ("darts", "nb301")]
CONFIGS += [(name, {"preset": p, **DARTS_SMALL}) for name in ("darts", "nb301") for p in PRESETS]
SUBSETS = 4  # seeded random subsets per network
BATCH = 4


def _cases() -> list[tuple[str, dict, str]]:
    cases = []
    for name, options in CONFIGS:
        for dataset in get_space(name, **options).datasets:
            cases.append((name, options, dataset.name))
    return cases


CASES = _cases()


def _label(case: tuple[str, dict, str]) -> str:
    name, options, dataset = case
    return ":".join([name, *(f"{k}={v}" for k, v in options.items()), dataset])


def _quiet_compute(model: nn.Module, batch, names: list[str]) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProxyWarning)
        return compute(model, batch.inputs, batch.targets, names, seed=0)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5)


def _small_model(space, spec, draws: int = 4) -> nn.Module:
    """A small network of the space: the smallest of a few samples (NDS cells at their
    smallest depth and width), or an AnyNet's first value of every decision."""
    rng = np.random.default_rng(0)
    if isinstance(space, AnyNetSpace):
        archs = [space.from_decisions([0] * len(space.decisions()))]
    else:
        archs = [space.sample(rng) for _ in range(draws)]
    if isinstance(space, CellSpace):
        archs = [replace(a, depth=min(DEPTHS), width=min(WIDTHS)) for a in archs]
    models = [build_model(space, arch, spec, seed=0) for arch in archs]
    return min(models, key=lambda m: sum(p.numel() for p in m.parameters()))


@pytest.mark.parametrize("case", CASES, ids=[_label(c) for c in CASES])
def test_every_proxy_together_alone_and_in_random_subsets(case) -> None:
    name, options, dataset = case
    space = get_space(name, **options)
    spec = space.dataset(dataset)
    # small inputs (every network ends in global pooling): 16 px, 64 px for ImageNet stems
    side = 16 if spec.input_shape[1] <= 32 else 64
    if options.get("preset") in ("nb301", "darts"):  # the auxiliary head pools 8x8 maps
        side = 32
    batch = synthetic_batch("gaussian", size=BATCH, shape=(3, side, side),
                            num_classes=spec.num_classes, seed=0)
    model = _small_model(space, spec)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    names = list_proxies()
    together = _quiet_compute(model, batch, names)
    for proxy in names:
        value = together[proxy]
        assert math.isfinite(value) or value == get_proxy(proxy).worst, (proxy, value)
        alone = _quiet_compute(model, batch, [proxy])[proxy]
        assert _same(alone, value), (proxy, alone, value)
    rng = random.Random(f"{name}:{dataset}")
    for _ in range(SUBSETS):
        subset = rng.sample(names, rng.randint(2, 5))
        values = _quiet_compute(model, batch, subset)
        for proxy in subset:
            assert _same(values[proxy], together[proxy]), (subset, proxy)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


class _Stateful(nn.Module):
    """A user's network that keeps its last hidden output (a non-leaf tensor) on itself."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)
        self.last_hidden: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.last_hidden = torch.relu(self.bn(self.conv(x)))
        self.extra = self.last_hidden * 2
        return self.fc(self.pool(self.last_hidden).flatten(1))


def test_passes_that_copy_the_model_ignore_state_a_forward_left() -> None:
    torch.manual_seed(0)
    model = _Stateful()
    batch = synthetic_batch("gaussian", size=4, shape=(3, 8, 8), num_classes=3, seed=0)
    model(batch.inputs)  # the caller's own forward leaves non-leaf tensors on the model
    kept = model.last_hidden
    values = _quiet_compute(model, batch, ["flops", "synflow", "zen", "relu"])
    assert all(math.isfinite(v) for v in values.values())
    assert model.last_hidden is kept and model.extra is not None
    fresh = _Stateful()
    fresh.load_state_dict(model.state_dict())
    assert _quiet_compute(fresh, batch, ["synflow", "zen"]) == {
        k: values[k] for k in ("synflow", "zen")}
    assert fresh.last_hidden is None and not hasattr(fresh, "extra")
