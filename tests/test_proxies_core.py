"""Core proxies against values computed independently on tiny networks."""

import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from naslib_zero.proxies import ProxyWarning, ShapeError, compute, get_proxy, list_proxies

D, H, C, B = 12, 7, 5, 9


def two_layer(relu: bool = True, bias: bool = False) -> nn.Module:
    torch.manual_seed(0)
    layers = [nn.Flatten(), nn.Linear(D, H, bias=bias)]
    layers += [nn.ReLU()] if relu else []
    layers += [nn.Linear(H, C, bias=bias)]
    return nn.Sequential(*layers).double()


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, 3, 2, 2, generator=g, dtype=torch.float64)  # D = 12
    y = torch.randint(0, C, (B,), generator=g)
    return x, y


def manual_grads(net: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """Closed-form CE gradients of Linear-ReLU-Linear (no autograd)."""
    w1, w2 = net[1].weight.detach().numpy(), net[3].weight.detach().numpy()
    xf = x.reshape(B, -1).numpy()
    pre = xf @ w1.T
    h = np.maximum(pre, 0)
    logits = h @ w2.T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dlogits = (p - np.eye(C)[y.numpy()]) / B
    g2 = dlogits.T @ h
    dpre = (dlogits @ w2) * (pre > 0)
    g1 = dpre.T @ xf
    return (w1, w2), (g1, g2), (pre, dpre), (logits, dlogits)


def test_grad_norm_snip_plain_fisher_by_hand(batch):
    net = two_layer()
    x, y = batch
    (w1, w2), (g1, g2), (pre, dpre), (logits, dlogits) = manual_grads(net, x, y)
    out = compute(net, x, y, ["grad_norm", "snip", "plain", "fisher"])
    assert out["grad_norm"] == pytest.approx(np.linalg.norm(g1) + np.linalg.norm(g2), rel=1e-6)
    assert out["snip"] == pytest.approx(np.abs(w1 * g1).sum() + np.abs(w2 * g2).sum(), rel=1e-6)
    assert out["plain"] == pytest.approx((w1 * g1).sum() + (w2 * g2).sum(), rel=1e-6)
    fisher = (0.5 * ((pre * dpre) ** 2).mean(0)).sum() * D \
        + (0.5 * ((logits * dlogits) ** 2).mean(0)).sum() * H
    assert out["fisher"] == pytest.approx(fisher, rel=1e-6)


def test_grasp_matches_finite_difference_hessian_gradient(batch):
    net = two_layer(relu=False)  # smooth, so central differences are accurate
    x, y = batch
    weights = [net[1].weight, net[2].weight]

    def grads(ws):
        saved = [w.detach().clone() for w in weights]
        with torch.no_grad():
            for w, v in zip(weights, ws):
                w.copy_(v)
        loss = nn.functional.cross_entropy(net(x), y)
        out = torch.autograd.grad(loss, weights)
        with torch.no_grad():
            for w, v in zip(weights, saved):
                w.copy_(v)
        return out

    w0 = [w.detach().clone() for w in weights]
    g = grads(w0)
    eps = 1e-5
    plus = grads([w + eps * gi for w, gi in zip(w0, g)])
    minus = grads([w - eps * gi for w, gi in zip(w0, g)])
    hg = [(p - m) / (2 * eps) for p, m in zip(plus, minus)]
    expected = sum(float((-w * h).sum()) for w, h in zip(w0, hg))
    assert compute(net, x, y, ["grasp"])["grasp"] == pytest.approx(expected, rel=1e-5)


def test_synflow_closed_form_two_layer_linear():
    net = two_layer(relu=False)
    x = torch.randn(4, 3, 2, 2, dtype=torch.float64)
    w1, w2 = net[1].weight.detach().abs(), net[2].weight.detach().abs()
    r = float(torch.ones(C, dtype=torch.float64) @ w2 @ w1 @ torch.ones(D, dtype=torch.float64))
    # sum |W1 * dR/dW1| = R and sum |W2 * dR/dW2| = R, so synflow = log(2R)
    out = compute(net, x, torch.zeros(4, dtype=torch.long), "synflow")
    assert out["synflow"] == pytest.approx(math.log(2 * r), rel=1e-12)


def test_nwot_on_hand_made_codes():
    net = nn.Sequential(nn.Flatten(), nn.ReLU(), nn.Linear(4, 3))
    x = torch.tensor([[1.0, -1, 2, -3], [1, 1, -1, -1], [-1, 2, 3, 4]]).reshape(3, 1, 2, 2)
    c = (x.reshape(3, -1) > 0).double().numpy()
    k = c @ c.T + (1 - c) @ (1 - c).T
    expected = np.linalg.slogdet(k)[1]
    assert compute(net, x, torch.zeros(3, dtype=torch.long), "nwot")["nwot"] == \
        pytest.approx(expected)


def test_jacob_cov_of_linear_net_closed_form():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(D, C, bias=False))
    x = torch.randn(B, 3, 2, 2)
    # every per-sample Jacobian equals 1^T W: the correlation matrix is all ones,
    # eigenvalues B and (B - 1) zeros
    k = 1e-5
    v = np.array([B] + [0.0] * (B - 1))
    expected = -np.sum(np.log(v + k) + 1 / (v + k))
    out = compute(net, x, torch.zeros(B, dtype=torch.long), "jacob_cov")["jacob_cov"]
    assert out == pytest.approx(expected, rel=1e-4)


def test_params_flops_relu_by_hand():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 1, groups=2),
                        nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))
    x = torch.randn(2, 3, 5, 5)
    out = compute(net, x, torch.zeros(2, dtype=torch.long), ["params", "flops", "relu"])
    assert out["params"] == (3 * 4 * 9 + 4) + (2 * 4 + 4) + (4 * 10 + 10)
    assert out["flops"] == 25 * 4 * 27 + 25 * 4 * 2 + 40
    assert out["relu"] == 2


def constant_output_network() -> nn.Module:
    """Logits equal to the bias whatever the input (zero weights)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(D, C))
    nn.init.zeros_(net[1].weight)
    return net


def test_output_that_ignores_the_input_gets_every_proxys_worst_value():
    x = torch.randn(B, 3, 2, 2)
    with pytest.warns(ProxyWarning, match="does not depend on its input"):
        out = compute(constant_output_network(), x, torch.zeros(B, dtype=torch.long), "all")
    assert out == {name: get_proxy(name).worst for name in list_proxies()}


def test_a_batch_of_identical_inputs_cannot_tell_so_every_proxy_is_computed():
    x = torch.randn(1, 3, 2, 2).repeat(B, 1, 1, 1)
    out = compute(constant_output_network(), x, torch.zeros(B, dtype=torch.long),
                  ["synflow", "jacob_cov", "snip", "params"])
    assert out["synflow"] == -math.inf and out["jacob_cov"] == -math.inf  # their own rules
    assert out["snip"] == 0.0 and out["params"] == D * C + C


def test_bad_shapes_raise_clear_errors():
    net = two_layer().float()
    with pytest.raises(ShapeError, match="shape"):
        compute(net, torch.randn(B, D), torch.zeros(B, dtype=torch.long), "snip")
    with pytest.raises(ShapeError, match="length"):
        compute(net, torch.randn(B, 3, 2, 2), torch.zeros(B + 1, dtype=torch.long), "snip")
    with pytest.raises(ShapeError, match="forward failed"):
        compute(net, torch.randn(B, 3, 4, 4), torch.zeros(B, dtype=torch.long), "snip")
    with pytest.raises(ShapeError, match="out of range"):
        compute(net, torch.randn(B, 3, 2, 2), torch.full((B,), C), "snip")


def test_swap_counts_distinct_patterns_by_hand():
    """One ReLU on a 1x2x2 map: neurons (columns) of the 3-sample batch are active as
    (1,1,0), (0,1,1), (1,0,1), (0,0,1): four distinct patterns; a duplicated column does not
    count twice, and a ReLU on a flat (2-d) input is not a feature map."""
    net = nn.Sequential(nn.ReLU(), nn.Flatten(), nn.ReLU(), nn.Linear(4, 2))
    x = torch.tensor([[1.0, -1, 2, -3], [1, 1, -1, -1], [-1, 2, 3, 4]]).reshape(3, 1, 2, 2)
    y = torch.zeros(3, dtype=torch.long)
    assert compute(net, x, y, "swap")["swap"] == 4
    x[:, 0, 1, 1] = x[:, 0, 0, 0]  # the last neuron now repeats the first one's pattern
    assert compute(net, x, y, "swap")["swap"] == 3


def test_swap_equals_the_reference_count_on_a_wide_batch():
    """The reference: torch.unique over the transposed sign matrix; 130 samples span three
    packed words."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 1),
                        nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    x = torch.randn(130, 3, 3, 3)
    with torch.no_grad():
        first = net[1](net[0](x))
        second = net[3](net[2](first))
    signs = torch.cat([first.flatten(1), second.flatten(1)], 1).sign()
    expected = torch.unique(signs.T, dim=0).shape[0]
    assert expected > 1 and compute(net, x, torch.zeros(130, dtype=torch.long),
                                    "swap")["swap"] == expected
