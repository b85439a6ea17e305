"""Per-weight saliency proxies of the zero-cost proxies paper (Abdelfattah et al., ICLR 2021).

All read the shared cross-entropy backward (one minibatch, BN in train mode, float32, labels
used) and sum over the weights of Conv2d and Linear layers only; higher is better.
"""

from __future__ import annotations

from naslib_zero.engine import Context
from naslib_zero.engine.registry import proxy

FORESIGHT = "Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021"


def _pairs(ctx: Context, pass_name: str):
    return zip(ctx.weights, ctx[pass_name])


@proxy("grad_norm", needs=["ce_grads"], uses_labels=True, reference=FORESIGHT)
def grad_norm(ctx: Context) -> float:
    """sum_l ||dL/dW_l||_F over Conv/Linear layers (one CE backward)."""
    return float(sum(g.norm() for g in ctx["ce_grads"]))


@proxy("snip", needs=["ce_grads"], uses_labels=True,
       reference="Lee et al., SNIP, ICLR 2019; " + FORESIGHT)
def snip(ctx: Context) -> float:
    """sum |W * dL/dW| (connection sensitivity at mask = 1)."""
    return float(sum((w * g).abs().sum() for w, g in _pairs(ctx, "ce_grads")))


@proxy("plain", needs=["ce_grads"], uses_labels=True, reference=FORESIGHT)
def plain(ctx: Context) -> float:
    """sum W * dL/dW, signed."""
    return float(sum((w * g).sum() for w, g in _pairs(ctx, "ce_grads")))


@proxy("grasp", needs=["hessian_grad"], uses_labels=True,
       reference="Wang et al., GraSP, ICLR 2020; " + FORESIGHT)
def grasp(ctx: Context) -> float:
    """sum -W * (H g): Hessian-gradient product from a double backward of the CE loss."""
    return float(sum((-w * hg).sum() for w, hg in _pairs(ctx, "hessian_grad")))


@proxy("fisher", needs=["layer_output_grads"], uses_labels=True,
       reference="Theis et al., Faster gaze prediction with dense networks and Fisher pruning, "
                 "2018; Turner et al., BlockSwap, ICLR 2020; " + FORESIGHT)
def fisher(ctx: Context) -> float:
    """sum over channels of 0.5 * mean_n (sum_spatial a * dL/da)^2, where a is the layer output;
    as in the reference, each channel's value counts once per weight of its fan-in."""
    total = 0.0
    for layer, per_channel in zip(ctx.layers, ctx["layer_output_grads"]):
        total += float(per_channel.sum()) * layer.weight[0].numel()
    return total


@proxy("l2_norm", reference=FORESIGHT)
def l2_norm(ctx: Context) -> float:
    """sum_l ||W_l||_F at initialisation (no pass; labels unused)."""
    return float(sum(w.norm() for w in ctx.weights))
