"""The NAS-Bench-101 reference network in PyTorch (NCHW).

Re-implemented from the TensorFlow reference, google-research/nasbench
(``nasbench/lib/model_builder.py``: ``build_model_fn``, ``build_module``,
``compute_vertex_channels``, ``projection``, ``truncate``; ``nasbench/lib/base_ops.py``:
``conv_bn_relu``, ``Conv3x3BnRelu``, ``Conv1x1BnRelu``, ``MaxPool3x3``; ``config.py`` defaults
stem 128, 3 stacks, 3 modules per stack, 10 labels), read line by line:

* stem: conv3x3-BN-ReLU to ``stem_channels``; ``num_stacks`` stacks of ``cells_per_stack``
  cells; before every stack but the first a 2x2/2 max-pool ("same" padding, i.e.
  ``ceil_mode=True``) and the channel count doubles; global average pool; dense layer with bias.
* cell: vertex channels as ``compute_vertex_channels`` (see :func:`compute_vertex_channels`);
  interior vertex = sum of its interior inputs, each truncated to the vertex's channel count
  (first channels kept), plus a 1x1 conv-BN-ReLU projection of the cell input if the input
  feeds it; output = concatenation of the vertices feeding it, plus a projection of the input
  to the full output width when the input feeds the output directly; if input -> output is the
  only edge, the output is that projection alone.
* conv: no bias, "same" padding; BN with gamma and beta (TF ``batch_normalization`` defaults
  center/scale), epsilon 1e-5, TF momentum 0.997 (torch momentum 0.003); ``maxpool3x3`` is
  3x3, stride 1, same padding and keeps the channel count; ReLU after every BN.
* initialisation as in TF: conv kernels ``variance_scaling_initializer()`` (fan-in, scale 1,
  normal truncated at 2 std and rescaled so the std is sqrt(1 / fan_in), as TF 1.12+ does;
  nasbench needs TF >= 1.12, the version used for the dataset is not recorded), dense layer
  Glorot-uniform kernel and zero bias, BN gamma 1 and beta 0. Random streams differ from TF's.

Everything in the list above follows the reference by construction (structure, not values).

Checked: the trainable parameter count equals the TF count of NAS-Bench-101 (``params``) for
all 30,001 architectures of ``nb101/nb101_30k_val_accuracy.csv``
(``benchmarks/nb101_params.py``); hand-computed counts and forward/backward shapes are tested
in ``tests/test_nb101_model.py``. Activations were not compared with TF (not installed).

``matrix`` must already be pruned, as NB101's ``ModelSpec`` prunes it (every vertex lies on a
path from input to output): the reference builds only the pruned graph.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn as nn

from naslib_zero.core.errors import InvalidArchitectureError, InvalidArgumentError

INPUT, OUTPUT = "input", "output"
CONV3X3, CONV1X1, MAXPOOL3X3 = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
OPS = (CONV3X3, CONV1X1, MAXPOOL3X3)
MAX_VERTICES = 7
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.003  # torch convention; TF's decay 0.997 = 1 - 0.003
# stddev of a unit normal truncated to [-2, 2]; TF's variance scaling divides by it
_TRUNC_NORMAL_STD = 0.87962566103423978


def validate_spec(matrix: np.ndarray | Sequence[Sequence[int]], ops: Sequence[str]) -> np.ndarray:
    """Check a pruned NB101 cell spec and return its matrix as an ``int`` array.

    Raises :class:`InvalidArchitectureError` unless ``matrix`` is a square, strictly
    upper-triangular 0/1 matrix with 2 to 7 vertices, ``ops`` has one label per vertex
    (``input`` first, ``output`` last, NB101 op labels between) and every vertex lies on a path
    from input to output.
    """
    try:
        raw = np.asarray(matrix)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise InvalidArchitectureError(f"matrix is not a rectangular array: {exc}") from None
    if raw.ndim != 2 or raw.shape[0] != raw.shape[1]:
        raise InvalidArchitectureError(f"matrix must be square, got shape {raw.shape}")
    if raw.dtype == object or not np.isin(raw, (0, 1)).all():
        raise InvalidArchitectureError("matrix entries must be 0 or 1")
    mat = raw.astype(np.int64)
    n = mat.shape[0]
    if not 2 <= n <= MAX_VERTICES:
        raise InvalidArchitectureError(f"matrix must have 2 to {MAX_VERTICES} vertices, got {n}")
    if np.tril(mat).any():
        raise InvalidArchitectureError(
            "matrix must be strictly upper-triangular (edges go from lower to higher vertex)"
        )
    if isinstance(ops, str) or not isinstance(ops, Sequence):
        raise InvalidArchitectureError(f"ops must be a sequence of labels, got {ops!r}")
    ops = list(ops)
    if len(ops) != n:
        raise InvalidArchitectureError(f"ops has {len(ops)} labels for {n} vertices")
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidArchitectureError(
            f"ops must start with {INPUT!r} and end with {OUTPUT!r}, got {ops[0]!r} ... "
            f"{ops[-1]!r}"
        )
    for v, label in enumerate(ops[1:-1], start=1):
        if label not in OPS:
            raise InvalidArchitectureError(
                f"unknown op {label!r} at vertex {v}; expected one of {', '.join(OPS)}"
            )
    from_input = [False] * n  # vertex reachable from the input
    from_input[0] = True
    for v in range(1, n):
        from_input[v] = any(from_input[u] and mat[u, v] for u in range(v))
    to_output = [False] * n  # output reachable from vertex
    to_output[-1] = True
    for v in range(n - 2, -1, -1):
        to_output[v] = any(to_output[w] and mat[v, w] for w in range(v + 1, n))
    dangling = [v for v in range(n) if not (from_input[v] and to_output[v])]
    if dangling:
        raise InvalidArchitectureError(
            f"matrix is not pruned: vertices {dangling} are not on a path from input to output"
        )
    return mat


def compute_vertex_channels(in_channels: int, out_channels: int, matrix: np.ndarray) -> list[int]:
    """Channels of every vertex of a pruned cell, NB101's rule.

    Vertex 0 has ``in_channels`` and the output ``out_channels``. The output width is split
    evenly among the interior vertices feeding the output; the remainder goes one channel each
    to the lowest-numbered of them. Every other interior vertex gets the maximum over the
    interior vertices it feeds (set from the back), so widths never grow along an edge and a
    wider source is truncated by at most one channel.
    """
    n = matrix.shape[0]
    channels = [0] * n
    channels[0], channels[-1] = in_channels, out_channels
    feeds_out = [v for v in range(1, n - 1) if matrix[v, -1]]
    if not feeds_out:  # n == 2: the only edge is input -> output
        return channels
    base, extra = divmod(out_channels, len(feeds_out))
    for rank, v in enumerate(feeds_out):
        channels[v] = base + (rank < extra)
    for v in range(n - 3, 0, -1):
        if not matrix[v, -1]:
            channels[v] = max(channels[w] for w in range(v + 1, n - 1) if matrix[v, w])
    return channels


class ConvBnRelu(nn.Sequential):
    """Conv2d (no bias, "same" padding, stride 1), BatchNorm2d (affine), ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=BN_EPSILON, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=False),
        )


def _make_op(label: str, c_in: int, c_out: int) -> nn.Module:
    if label == CONV3X3:
        return ConvBnRelu(c_in, c_out, 3)
    if label == CONV1X1:
        return ConvBnRelu(c_in, c_out, 1)
    return nn.MaxPool2d(3, stride=1, padding=1)  # pads with -inf, like TF "same"


class NB101Cell(nn.Module):
    """One NB101 module (``build_module``) for a validated, pruned ``matrix``."""

    def __init__(self, matrix: np.ndarray, ops: Sequence[str], c_in: int, c_out: int) -> None:
        super().__init__()
        n = matrix.shape[0]
        self.vertex_channels = compute_vertex_channels(c_in, c_out, matrix)
        if any(c < 1 for c in self.vertex_channels):
            raise InvalidArgumentError(
                f"{c_out} output channels cannot be split among "
                f"{int(matrix[1:, -1].sum())} vertices"
            )
        vc = self.vertex_channels
        # interior sources of each interior vertex (the input is projected, not listed)
        self.sources = {t: [s for s in range(1, t) if matrix[s, t]] for t in range(1, n - 1)}
        self.proj = nn.ModuleDict(
            {str(t): ConvBnRelu(c_in, vc[t], 1) for t in range(1, n - 1) if matrix[0, t]}
        )
        self.ops = nn.ModuleDict(
            {str(t): _make_op(ops[t], vc[t], vc[t]) for t in range(1, n - 1)}
        )
        self.concat = [t for t in range(1, n - 1) if matrix[t, -1]]
        self.out_proj = ConvBnRelu(c_in, c_out, 1) if matrix[0, -1] else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensors = [x]
        for t, sources in self.sources.items():
            width = self.vertex_channels[t]
            terms = [tensors[s][:, :width] for s in sources]
            if str(t) in self.proj:
                terms.append(self.proj[str(t)](x))
            tensors.append(self.ops[str(t)](sum(terms[1:], terms[0])))
        out = torch.cat([tensors[t] for t in self.concat], 1) if self.concat else None
        if self.out_proj is not None:
            projected = self.out_proj(x)
            out = projected if out is None else out + projected
        return out


class NB101Network(nn.Module):
    """The NB101 network for one pruned cell spec; input (B, ``in_channels``, H, W)."""

    def __init__(
        self,
        matrix: np.ndarray | Sequence[Sequence[int]],
        ops: Sequence[str],
        num_classes: int = 10,
        *,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        for name, value in (
            ("num_classes", num_classes),
            ("stem_channels", stem_channels),
            ("num_stacks", num_stacks),
            ("cells_per_stack", cells_per_stack),
            ("in_channels", in_channels),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidArgumentError(f"{name} must be a positive int, got {value!r}")
        self.matrix = validate_spec(matrix, ops)
        self.ops = list(ops)
        self.in_channels = in_channels
        self.stem = ConvBnRelu(in_channels, stem_channels, 3)
        layers: list[nn.Module] = []
        c_in = c_out = stem_channels
        for stack in range(num_stacks):
            if stack:
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
                c_out *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(self.matrix, self.ops, c_in, c_out))
                c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)  # a module, so proxies (zen) can find the features
        self.classifier = nn.Linear(c_out, num_classes)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """TF initialisation: truncated-normal fan-in convs, Glorot dense, BN (1, 0).

        A no-op on the meta device (there are no values to set; counting stays fast).
        """
        if self.classifier.weight.is_meta:
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                std = math.sqrt(1.0 / fan_in) / _TRUNC_NORMAL_STD
                nn.init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
            elif isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise InvalidArgumentError(
                f"expected input of shape (B, {self.in_channels}, H, W), got {tuple(x.shape)}"
            )
        x = self.layers(self.stem(x))
        return self.classifier(self.pool(x).flatten(1))


def count_parameters(
    matrix: np.ndarray | Sequence[Sequence[int]],
    ops: Sequence[str],
    num_classes: int = 10,
    *,
    stem_channels: int = 128,
    num_stacks: int = 3,
    cells_per_stack: int = 3,
    in_channels: int = 3,
) -> int:
    """Closed-form trainable parameter count of :class:`NB101Network` (no module is built)."""
    mat = validate_spec(matrix, ops)
    n = mat.shape[0]

    def conv_bn(c_in: int, c_out: int, k: int) -> int:
        return k * k * c_in * c_out + 2 * c_out

    total = conv_bn(in_channels, stem_channels, 3)
    c_in = c_out = stem_channels
    for stack in range(num_stacks):
        c_out *= 2 if stack else 1
        for _ in range(cells_per_stack):
            vc = compute_vertex_channels(c_in, c_out, mat)
            for t in range(1, n - 1):
                total += conv_bn(c_in, vc[t], 1) if mat[0, t] else 0
                if ops[t] != MAXPOOL3X3:
                    total += conv_bn(vc[t], vc[t], 3 if ops[t] == CONV3X3 else 1)
            total += conv_bn(c_in, c_out, 1) if mat[0, -1] else 0
            c_in = c_out
    return total + c_out * num_classes + num_classes
