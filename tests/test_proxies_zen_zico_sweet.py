"""Zen, ZiCo, EPE-NAS and Sweetimator against values computed independently on tiny networks."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from naslib_zero.proxies import compute, get_proxy
from naslib_zero.proxies import sweet as sw
from naslib_zero.proxies.jacobian import epe_nas_score
from naslib_zero.proxies.zen import MIXUP_GAMMA, NoGlobalPoolError
from naslib_zero.proxies.zico import zico_score
from naslib_zero.scoring.calibration import calibrate_sweet_interval

B, C = 8, 3


class Scale(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


def tiny(pre_gap: nn.Module | None = None, bn: bool = True) -> nn.Sequential:
    torch.manual_seed(0)
    layers = [nn.Conv2d(3, 4, 3, padding=1)]
    layers += [nn.BatchNorm2d(4)] if bn else []
    layers += [nn.ReLU()] + ([pre_gap] if pre_gap else [])
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, C)]
    return nn.Sequential(*layers)


def make_batch(seed: int = 1, n: int = B):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 5, 5, generator=g), torch.randint(0, C, (n,), generator=g)


def ce_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    net = copy.deepcopy(model).train()
    weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    grads = torch.autograd.grad(F.cross_entropy(net(x), y), weights, allow_unused=True)
    return [torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads)]


# ----------------------------------------------------------------------------------- ZiCo


def test_zico_score_by_hand():
    # layer 1: std over batches (ddof=0) = [0, 1, 3], mean|g| = [1, 3, 3] -> 3/1 + 3/3 = 4
    # layer 2: identical in both batches -> no weight with nonzero std -> skipped
    b1 = [np.array([1.0, 2.0, 3.0]), np.array([[0.5, -0.5]])]
    b2 = [np.array([1.0, 4.0, -3.0]), np.array([[0.5, -0.5]])]
    assert zico_score([b1, b2]) == pytest.approx(math.log(4.0))
    # three batches, torch tensors: g = [1, -2, 6] -> mean|g| 3, mean 5/3, variance 98/9
    three = [[torch.tensor([v])] for v in (1.0, -2.0, 6.0)]
    assert zico_score(three) == pytest.approx(math.log(3.0 / math.sqrt(98 / 9)))
    assert zico_score([b1[1:], b2[1:]]) == -math.inf


def test_zico_through_compute_uses_both_batches_separately():
    model = tiny()
    x1, y1 = make_batch(1)
    x2, y2 = make_batch(2)
    expected = zico_score([ce_grads(model, x1, y1), ce_grads(model, x2, y2)])
    out = compute(model, x1, y1, ["zico"], second_batch=(x2, y2))
    assert out["zico"] == pytest.approx(expected, rel=1e-5)
    # without a second batch: the two halves of the batch
    halves = zico_score([ce_grads(model, x1[:4], y1[:4]), ce_grads(model, x1[4:], y1[4:])])
    assert compute(model, x1, y1, ["zico"])["zico"] == pytest.approx(halves, rel=1e-5)


# ------------------------------------------------------------------------------------ Zen


def test_zen_matches_hand_computation():
    model = tiny()
    x, y = make_batch()
    g = torch.Generator().manual_seed(3)
    w = torch.randn(model[0].weight.shape, generator=g)  # conv first (module order), then
    torch.randn(model[5].weight.shape, generator=g)  # the classifier
    gx = torch.randn(x.shape, generator=g)
    ge = torch.randn(x.shape, generator=g)
    var = torch.ones(4)

    def features(inp):
        nonlocal var
        z = F.conv2d(inp, w, padding=1)
        mean, v = z.mean((0, 2, 3), keepdim=True), z.var((0, 2, 3), unbiased=False, keepdim=True)
        n = z.numel() / z.shape[1]
        var = 0.9 * var + 0.1 * v.flatten() * n / (n - 1)  # running_var, momentum 0.1
        return torch.relu((z - mean) / torch.sqrt(v + 1e-5))

    diff = (features(gx) - features(gx + MIXUP_GAMMA * ge)).abs().sum((1, 2, 3)).mean()
    expected = math.log(float(diff)) + 0.5 * math.log(float(var.mean()))
    assert compute(model, x, y, ["zen"], seed=3)["zen"] == pytest.approx(expected, rel=1e-4)


def test_zen_deterministic_seeded_and_leaves_model_alone():
    model = tiny()
    x, y = make_batch()
    with torch.no_grad():
        model[1].running_var.fill_(2.0)
    model.eval()
    before = copy.deepcopy(model.state_dict())
    rng = torch.random.get_rng_state()
    a = compute(model, x, y, ["zen"], seed=0)["zen"]
    assert torch.equal(torch.random.get_rng_state(), rng)  # global RNG untouched
    assert compute(model, x, y, ["zen"], seed=0)["zen"] == a
    assert compute(model, x, y, ["zen"], seed=1)["zen"] != a
    assert math.isfinite(a)
    assert not model.training
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    # labels and input values play no part
    assert compute(model, x * 3, (y + 1) % C, ["zen"], seed=0)["zen"] == a


def test_zen_constant_features_and_missing_pool():
    x, y = make_batch()
    assert compute(tiny(Scale(0.0)), x, y, ["zen"])["zen"] == -math.inf
    no_pool = nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten(), nn.LazyLinear(C))
    no_pool(x)
    with pytest.raises(NoGlobalPoolError):
        compute(no_pool, x, y, ["zen"])


# -------------------------------------------------------------------------------- EPE-NAS


def two_layer(classes: int) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 6, bias=False), nn.ReLU(),
                         nn.Linear(6, classes, bias=False)).double()


def epe_by_hand(net: nn.Sequential, x: torch.Tensor, y: torch.Tensor, classes: int) -> float:
    w1, w2 = net[1].weight.detach().numpy(), net[3].weight.detach().numpy()
    xf = x.reshape(len(x), -1).numpy()
    mask = (xf @ w1.T > 0).astype(float)
    jac = (w2.sum(0) * mask) @ w1  # rows: d(sum logits)/dx per sample
    labels = y.numpy()
    s = {}
    for c in np.unique(labels):
        rows = jac[labels == c]
        if len(rows) == 1:
            if classes > 100:
                continue
            s[c] = math.log(1 + 1e-5)
            continue
        s[c] = np.log(np.abs(np.corrcoef(rows)) + 1e-5).sum()
        if classes > 100:
            s[c] /= len(rows)
    v = np.array(list(s.values()))
    if classes <= 100:
        return float(np.abs(v).sum())
    return float(sum(abs(a - b) for a in v for b in v) / len(v))


@pytest.mark.parametrize("classes", [4, 101])
def test_epe_nas_matches_numpy(classes):
    g = torch.Generator().manual_seed(4)
    x = torch.randn(10, 3, 2, 2, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 0, 2, 0, 1, classes - 1])  # one single-sample class
    net = two_layer(classes)
    expected = epe_by_hand(net, x, y, classes)
    assert compute(net, x, y, ["epe_nas"])["epe_nas"] == pytest.approx(expected, rel=1e-9)


def test_epe_nas_score_edge_cases():
    jac = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 1.0], [2.0, 2.0, 2.0]])
    assert epe_nas_score(jac, np.array([0, 0, 1]), 10) == -math.inf  # constant row
    assert epe_nas_score(jac[:2], np.array([0, 1]), 200) == 0.0  # only singletons
    corr = np.corrcoef(jac[:2])
    assert epe_nas_score(jac[:2], np.array([5, 5]), 10) == pytest.approx(
        abs(np.log(np.abs(corr) + 1e-5).sum()))


# ---------------------------------------------------------------------------- Sweetimator


@pytest.fixture
def restore_interval():
    yield
    sw.set_sweet_interval()


def test_sweet_counts_like_a_manual_count(restore_interval):
    model = tiny()
    x, y = make_batch()
    grads = torch.cat([g.abs().flatten() for g in ce_grads(model, x, y)])
    assert sw.sweet_interval() == (1e-4, 5e-4)
    lo, hi = float(grads.quantile(0.25)), float(grads.quantile(0.75))
    sw.set_sweet_interval(lo, hi)
    expected = int(((grads >= lo) & (grads < hi)).sum())
    assert expected > 10
    assert compute(model, x, y, ["sweet"])["sweet"] == expected
    assert get_proxy("sweet").settings() == {"interval": [lo, hi]}
    with pytest.raises(ValueError):
        sw.set_sweet_interval(1e-3, 1e-4)


class ProbeSpace:
    """Each architecture is a list of per-cell masks M_d. The network's logits are all zero, so
    for 4 classes and no label 0 the loss gradient of logit 0 summed over the batch is exactly
    1/4, and the gradient of cell d's weight W_d (logit 0 += sum W_d * M_d, W_d = 0) is M_d / 4."""

    def to_model(self, arch, dataset):
        return Probe(arch, dataset.num_classes)


class Probe(nn.Module):
    def __init__(self, masks, num_classes):
        super().__init__()
        self.num_classes = num_classes
        self.stem = nn.Conv2d(3, 1, 1)  # not a cell: left out of the grouping
        self.cells = nn.ModuleList(nn.Linear(len(m), 1, bias=False) for m in masks)
        for cell, m in zip(self.cells, masks):
            nn.init.zeros_(cell.weight)
            cell.register_buffer("mask", torch.tensor([m], dtype=torch.float32))

    def forward(self, x):
        z = sum((c.weight * c.mask).sum() for c in self.cells)
        logits = x.flatten(1)[:, : self.num_classes] * 0
        return logits + F.one_hot(torch.tensor(0), self.num_classes) * z


def cell_mask(fractions: dict[float, int]) -> list[float]:
    """Mask entries giving |gradient| = value (x4 for the 1/4 factor), ``count`` times each."""
    return [4 * value for value, count in fractions.items() for _ in range(count)]


def test_sweet_calibration_finds_the_interval_built_in():
    # 10 weights per cell, gradients in three bins: [1e-4, 5e-4) grows with depth (2, 3, 4, 5),
    # [1e-3, 5e-3) has the largest mass but shrinks, [1e-6, 5e-6) is flat
    rising, falling, flat = 2e-4, 2e-3, 2e-6
    arch_a = [cell_mask({rising: r, falling: 10 - r - 3, flat: 3}) for r in (2, 3, 4, 5)]
    arch_b = [cell_mask({rising: r, falling: 10 - r - 2, flat: 2}) for r in (1, 3, 5, 6)]
    x = torch.randn(4, 3, 2, 2)
    y = torch.tensor([1, 2, 3, 1])
    space = ProbeSpace()
    fractions = sw.bin_fractions(
        [[g] for g in ce_grads(Probe(arch_a, 4), x, y)[1:]], sw.DEFAULT_EDGES)
    col = sw.DEFAULT_EDGES.index(1e-4)
    assert fractions[:, col].tolist() == pytest.approx([0.2, 0.3, 0.4, 0.5])
    assert calibrate_sweet_interval(space, [arch_a, arch_b], (x, y), num_classes=4) \
        == (1e-4, 5e-4)
    # with the largest-mass bin as the only candidate, that bin is chosen
    assert calibrate_sweet_interval(space, [arch_b], (x, y), num_classes=4, top=1) \
        == (1e-3, 5e-3)
    # generic models: one depth position per Conv/Linear layer
    assert len(sw.cell_groups(tiny())) == 2
