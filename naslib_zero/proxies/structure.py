"""Proxies read from one forward with hooks: NASWOT, and the size measures params/flops/relu."""

from __future__ import annotations

import torch

from naslib_zero.engine import Context
from naslib_zero.engine.registry import proxy


@proxy("nwot", needs=["activations"],
       reference="Mellor et al., Neural Architecture Search without Training, ICML 2021")
def nwot(ctx: Context) -> float:
    """log|det K|, K = sum over ReLU calls of c c^T + (1-c)(1-c)^T for the binary codes c of each
    ReLU's input (one forward, BN in train mode, labels unused). A singular K (e.g. a network
    whose output ignores the input) gives -inf."""
    kernel = ctx["activations"].relu_kernel
    if kernel is None:
        return float("-inf")
    sign, logdet = torch.linalg.slogdet(kernel)
    return float(logdet) if sign > 0 else float("-inf")


@proxy("params", reference="number of parameters; Abdelfattah et al. 2021 baseline")
def params(ctx: Context) -> float:
    """Number of trainable parameters of the network as built (only the ops the architecture
    uses are instantiated, so this equals the benchmark's parameter count)."""
    return float(sum(p.numel() for p in ctx.model.parameters() if p.requires_grad))


@proxy("flops", needs=["activations"], reference="multiply-accumulate count (MACs)")
def flops(ctx: Context) -> float:
    """Multiply-accumulates of Conv2d and Linear layers for one sample (one forward)."""
    return float(ctx["activations"].macs)


@proxy("relu", needs=["activations"], reference="number of ReLU calls in one forward")
def relu(ctx: Context) -> float:
    """Number of nn.ReLU calls in one forward pass."""
    return float(ctx["activations"].relu_calls)
