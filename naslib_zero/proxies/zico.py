"""ZiCo (Li et al., ICLR 2023): inverse coefficient of variation of gradients across batches,
after the official code (SLDGroup/ZiCo, ``ZeroShotProxy/compute_zico.py``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from naslib_zero.engine import Context, ce_weight_grads, check_batch, register_pass
from naslib_zero.engine.registry import proxy

GradBatch = Sequence[torch.Tensor | np.ndarray]


def zico_score(grads_per_batch: Sequence[GradBatch]) -> float:
    """ZiCo from per-batch gradients: ``grads_per_batch[b][l]`` is dL_b/dW_l of batch b, layer l.

    Per layer, over the weights whose gradient has a nonzero standard deviation across batches
    (numpy std, ddof=0), tmp = sum(mean_b |g| / std_b(g)); the score is the sum of log(tmp)
    over the layers with tmp > 0, computed in float64. No such layer: -inf.
    """
    if len(grads_per_batch) < 2:
        raise ValueError("ZiCo needs the gradients of at least two batches")
    layers = len(grads_per_batch[0])
    if any(len(batch) != layers for batch in grads_per_batch):
        raise ValueError("every batch needs one gradient per layer")
    total, scored = 0.0, 0
    for index in range(layers):
        g = np.stack([_flat(batch[index]) for batch in grads_per_batch])
        std = g.std(axis=0)
        keep = std != 0
        tmp = float(np.sum(np.abs(g[:, keep]).mean(axis=0) / std[keep]))
        if tmp > 0 or math.isnan(tmp):  # NaN gradients give NaN (reported as -inf)
            total += math.log(tmp) if tmp > 0 else tmp
            scored += 1
    return total if scored else float("-inf")


def _flat(grad: torch.Tensor | np.ndarray) -> np.ndarray:
    if torch.is_tensor(grad):
        grad = grad.detach().cpu().double().numpy()
    return np.asarray(grad, dtype=np.float64).reshape(-1)


@register_pass("zico_grads")
def zico_pass(ctx: Context) -> list[list[torch.Tensor]]:
    """Per-batch CE gradients: the shared ``ce_grads`` of ``ctx.inputs`` and those of
    ``ctx.second_batch``; without a second batch, those of the two halves of ``ctx.inputs``."""
    if ctx.second_batch is None:
        half = ctx.inputs.shape[0] // 2
        x, y = ctx.inputs.detach(), ctx.targets
        return [ce_weight_grads(ctx.model, x[:half], y[:half], ctx.layers),
                ce_weight_grads(ctx.model, x[half:], y[half:], ctx.layers)]
    inputs, targets = ctx.second_batch
    check_batch(inputs, targets)
    return [ctx["ce_grads"],
            ce_weight_grads(ctx.model, inputs.detach(), targets.long(), ctx.layers)]


@proxy("zico", needs=["ce_grads", "zico_grads"], uses_labels=True,
       reference="Li et al., ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on "
                 "Gradients, ICLR 2023")
def zico(ctx: Context) -> float:
    """sum over Conv/Linear layers l with tmp_l > 0 of log(tmp_l), tmp_l = sum over weights with
    nonzero std of mean|g| / std(g), mean and std (ddof=0) taken over two batches' separate
    gradients g = dL/dW of the mean cross-entropy (see :func:`zico_score`). Batch 1 is the shared
    ``ce_grads`` pass on ``ctx.inputs``; batch 2 is ``ctx.second_batch`` (one more forward and
    backward on the model, train-mode BN, float32); without a second batch the two halves of
    ``ctx.inputs`` are the two batches. Labels used; higher is better; -inf when no layer has a
    weight whose gradient varies between the batches."""
    return zico_score(ctx["zico_grads"])
