"""Zen-score (Lin et al., Zen-NAS, ICCV 2021) as computed by the official ZenNAS code
(``ZeroShotProxy/compute_zen_score.py``), one repeat."""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from naslib_zero.core.errors import NaslibZeroError
from naslib_zero.engine import WEIGHTED, Context, model_copy, register_pass
from naslib_zero.engine.registry import proxy

MIXUP_GAMMA = 1e-2  # the reference's default ``--mixup_gamma``


class NoGlobalPoolError(NaslibZeroError, ValueError):
    """Zen needs the features before global average pooling and the model has none."""


class _Reached(Exception):
    """Raised by the hook on the global pooling layer to stop the forward there."""

    def __init__(self, features: torch.Tensor) -> None:
        super().__init__()
        self.features = features


def _gaussian_copy(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """A deep copy with Conv2d/Linear weights ~ N(0, 1) (drawn in module order), their biases 0,
    BatchNorm/GroupNorm weight 1 and bias 0, and BatchNorm running statistics reset."""
    net = model_copy(model)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, WEIGHTED):
                w = m.weight
                w.copy_(torch.randn(w.shape, generator=generator, dtype=w.dtype).to(w.device))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)):
                if m.weight is not None:
                    m.weight.fill_(1.0)
                if m.bias is not None:
                    m.bias.zero_()
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.reset_running_stats()
    return net


def _pre_gap_features(net: nn.Module, pool: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of ``pool`` for the batch ``x``; the forward stops there."""

    def hook(module: nn.Module, inp: tuple[torch.Tensor, ...]) -> None:
        raise _Reached(inp[0])

    handle = pool.register_forward_pre_hook(hook)
    try:
        net(x)
    except _Reached as reached:
        return reached.features
    finally:
        handle.remove()
    raise NoGlobalPoolError("zen: the model's last nn.AdaptiveAvgPool2d is never called in the "
                            "forward, so there are no features before global pooling")


@register_pass("zen_terms")
def zen_pass(ctx: Context) -> tuple[float, float]:
    """(mean_b sum |f(x) - f(x + gamma * eps)|, sum over BatchNorm2d of log sqrt(mean
    running_var)) on a Gaussian re-initialised copy of the model, train mode, no grad."""
    pools = [m for m in ctx.model.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    if not pools:
        raise NoGlobalPoolError("zen needs the features before global average pooling: the "
                                "model has no nn.AdaptiveAvgPool2d module")
    position = len(pools) - 1
    generator = torch.Generator().manual_seed(ctx.seed)
    net = _gaussian_copy(ctx.model, generator).train()
    pool = [m for m in net.modules() if isinstance(m, nn.AdaptiveAvgPool2d)][position]
    shape, dtype, device = ctx.inputs.shape, ctx.inputs.dtype, ctx.inputs.device
    x = torch.randn(shape, generator=generator, dtype=dtype).to(device)
    eps = torch.randn(shape, generator=generator, dtype=dtype).to(device)
    with torch.no_grad():
        out = _pre_gap_features(net, pool, x)
        mixed = _pre_gap_features(net, pool, x + MIXUP_GAMMA * eps)
        diff = float((out - mixed).abs().flatten(1).sum(1).mean())
    bn_log = 0.0
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d) and m.running_var is not None:
            var = float(m.running_var.cpu().double().mean())
            bn_log += 0.5 * math.log(var) if var > 0 else float("-inf")
    return diff, bn_log


@proxy("zen", needs=["zen_terms"], settings=lambda: {"mixup_gamma": MIXUP_GAMMA},
       reference="Lin et al., Zen-NAS: A Zero-Shot NAS for High-Performance Image "
                 "Recognition, ICCV 2021")
def zen(ctx: Context) -> float:
    """log(mean_b sum |f(x) - f(x + 0.01 eps)|) + sum_BN2d log(sqrt(mean(running_var))), where f is
    the input of the model's last nn.AdaptiveAvgPool2d (features before global pooling) of a deep
    copy with Conv2d/Linear weights ~ N(0, 1), biases 0, BN/GroupNorm affine 1 and 0, BN running
    statistics reset. x, eps ~ N(0, 1) have the shape of ``ctx.inputs`` and are drawn (after the
    weights) from a torch.Generator seeded with ``ctx.seed``. Two forwards in train mode without
    grad (batch-statistics BN; running_var is read after both, updated with each layer's own
    momentum, as in the reference); dtype of ``ctx.inputs``; data- and label-free; higher is
    better. BatchNorm2d layers without running statistics add nothing. Identical features
    (log 0) score -inf. Raises :class:`NoGlobalPoolError` for a model without
    nn.AdaptiveAvgPool2d."""
    diff, bn_log = ctx["zen_terms"]
    if diff <= 0:  # NaN passes through: the engine reports it as -inf with a warning
        return float("-inf")
    return math.log(diff) + bn_log
