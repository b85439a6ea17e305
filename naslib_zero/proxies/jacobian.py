"""Proxies on per-sample input Jacobians: jacob_cov and EPE-NAS."""

from __future__ import annotations

import numpy as np

from naslib_zero.engine import Context
from naslib_zero.engine.registry import proxy


def _correlation(rows: np.ndarray) -> np.ndarray | None:
    """Correlation matrix of the rows, or None when a row is constant (undefined)."""
    if np.any(rows.std(axis=1) == 0):
        return None
    return np.corrcoef(rows)


@proxy("jacob_cov", needs=["input_jacobian"],
       reference="Mellor et al., Neural Architecture Search without Training (v1), 2020; "
                 "Abdelfattah et al. 2021")
def jacob_cov(ctx: Context) -> float:
    """-sum_i (log(v_i + k) + 1 / (v_i + k)), k = 1e-5, over the eigenvalues v (eigvalsh) of the
    correlation matrix of the per-sample Jacobians d(sum logits)/dx (one forward + one input
    backward, BN in train mode, float64 eigen-solve, labels unused). A constant Jacobian row,
    e.g. from a network whose output ignores the input, makes the correlation undefined: -inf."""
    corr = _correlation(ctx["input_jacobian"].cpu().double().numpy())
    if corr is None:
        return float("-inf")
    v = np.linalg.eigvalsh(corr)
    k = 1e-5
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))


def epe_nas_score(jacobians: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """EPE-NAS from per-sample Jacobians (rows) and their labels, as the reference code.

    Per class c (in order of first appearance), s_c = sum(log(|corr| + 1e-5)) over the
    correlation matrix of the class's rows; with more than 100 classes s_c is divided by the
    number of the class's samples. Score: sum_c |s_c| for at most 100 classes, else
    sum_{c, c'} |s_c - s_c'| / (number of classes scored). A class with one sample has the
    correlation 1 (s_c = log(1 + 1e-5)) and, with more than 100 classes, is skipped, as in the
    reference. A constant row makes a correlation undefined: -inf (NaN in the reference).
    """
    k = 1e-5
    jacobians = np.asarray(jacobians, dtype=np.float64)
    labels = np.asarray(labels)
    scores = []
    for c in dict.fromkeys(labels.tolist()):
        rows = jacobians[labels == c]
        if len(rows) == 1 and num_classes > 100:
            continue
        corr = _correlation(rows)
        if corr is None:
            return float("-inf")
        s = float(np.sum(np.log(np.abs(corr) + k)))
        scores.append(s / len(rows) if num_classes > 100 else s)
    s = np.array(scores)
    if num_classes <= 100:
        return float(np.abs(s).sum())
    if not len(s):
        return 0.0
    return float(np.abs(s[:, None] - s[None, :]).sum() / len(s))


@proxy("epe_nas", needs=["input_jacobian"], uses_labels=True,
       reference="Lopes et al., EPE-NAS: Efficient Performance Estimation Without Training for "
                 "Neural Architecture Search, ICANN 2021; NASLib's epe_nas")
def epe_nas(ctx: Context) -> float:
    """sum_c |s_c|, s_c = sum(log(|R_c| + 1e-5)) for the correlation matrix R_c of the per-sample
    Jacobians d(sum logits)/dx of the samples labelled c (the same pass as jacob_cov: one forward
    + one input backward, BN in train mode, correlations in float64); with more than 100 classes
    (``ctx.num_classes``, the width of the last Conv/Linear layer) s_c is divided by the class's
    sample count and the score is the mean pairwise sum_{c'} |s_c - s_c'| over the classes seen
    (see :func:`epe_nas_score`). Labels used; higher is better (the reference picks the
    argmax). A constant Jacobian row (e.g. an output that ignores the input): -inf."""
    jac = ctx["input_jacobian"].cpu().double().numpy()
    return epe_nas_score(jac, ctx.targets.cpu().numpy(), ctx.num_classes)
