"""SynFlow (Tanaka et al., NeurIPS 2020) as computed by the zero-cost proxies reference code."""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from naslib_zero.core.device import float64_dtype
from naslib_zero.engine import WEIGHTED, Context, model_copy, register_pass
from naslib_zero.engine.registry import proxy


def _without_batchnorm(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with every BatchNorm layer replaced by the identity."""
    clone = model_copy(model)
    for parent in list(clone.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.modules.batchnorm._BatchNorm):
                setattr(parent, name, nn.Identity())
    return clone


@register_pass("synflow_grads")
def synflow_pass(ctx: Context) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(|W|, dR/dW) per Conv/Linear layer of a float64, BN-free, all-|W| copy of the model,
    where R is the sum of the logits for an all-ones input of batch 1."""
    dtype = float64_dtype(ctx.inputs.device)
    net = _without_batchnorm(ctx.model).to(dtype)
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.abs_()
    weights = [m.weight for m in net.modules() if isinstance(m, WEIGHTED)]
    ones = torch.ones((1, *ctx.inputs.shape[1:]), dtype=dtype, device=ctx.inputs.device)
    grads = torch.autograd.grad(net(ones).sum(), weights, allow_unused=True)
    return [(w.detach(), torch.zeros_like(w) if g is None else g)
            for w, g in zip(weights, grads)]


@proxy("synflow", needs=["synflow_grads"],
       reference="Tanaka et al., Pruning neural networks without any data by iteratively "
                 "conserving synaptic flow, NeurIPS 2020; Abdelfattah et al. 2021")
def synflow(ctx: Context) -> float:
    """log(sum |W * dR/dW|) over Conv/Linear weights: BN removed, |W|, float64, all-ones input
    of batch 1, data- and label-free. A network with no path from input to output scores
    log(0) = -inf."""
    total = sum(float((w * g).abs().sum()) for w, g in ctx["synflow_grads"])
    return math.log(total) if total > 0 else float("-inf")
