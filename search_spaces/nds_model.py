"""The pycls AnyNet network that NDS trained, and the parameter/FLOP count its files record.

A network is a stem, stages of identical blocks (the first block of a stage carries the
stage's stride and changes the width), global average pooling and a linear classifier.
Blocks, as in pycls' ``anynet.py`` of the NDS release:

* ``res_basic_block``: 3x3 conv (stride) - BN - ReLU - 3x3 conv - BN, plus the shortcut,
  then ReLU;
* ``res_bottleneck_block``: 1x1 conv to ``round(w * bot_mul)`` channels - BN - ReLU - 3x3
  group conv (stride, ``num_gs`` groups) - BN - ReLU - 1x1 conv to ``w`` - BN, plus the
  shortcut, then ReLU;
* ``double_plain_block`` (Vanilla): 3x3 conv (stride) - BN - ReLU - 3x3 conv - BN - ReLU, no
  shortcut.

The shortcut is the identity, or a 1x1 conv (stride) - BN when the width or the resolution
changes. Stems (``STEMS``): ``cifar`` (3x3 conv - BN - ReLU, stride 1), ``resnet`` (7x7 conv
stride 2 - BN - ReLU - 3x3 max pool stride 2: ImageNet ResNet and Vanilla, stride 4) and
``three_conv`` (three 3x3 conv - BN - ReLU of stride 2 with w/2, w and w channels: ImageNet
ResNeXt, stride 8). The ``three_conv`` stem is the one whose counts reproduce the ResNeXt
records exactly (56,480 parameters, 100,803,584 FLOPs for ``w = 64``, the only stem width in
those files); the files alone cannot tell whether a max pool replaces one of the strides.

Initialisation is pycls': conv weights N(0, sqrt(2 / fan_out)), BN weight 1 and bias 0, the
classifier N(0, 0.01) with bias 0.

:func:`nds_complexity` counts what the NDS records call ``params`` and ``flops``: trainable
parameters, and FLOPs by a per-module rule. The AnyNet files' rule (:func:`anynet_flops`):
multiply-adds of every conv and linear layer plus the classifier bias plus 5 per BN output
element; the cell files' (:func:`nas_cell_flops`) differs. Both rules were fitted to, and are
exact on, every record of their files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn as nn

STEMS = ("cifar", "resnet", "three_conv")
STEM_STRIDE = {"cifar": 1, "resnet": 4, "three_conv": 8}


@dataclass(frozen=True)
class StageSpec:
    """One stage: ``depth`` blocks of output width ``width``; the first has ``stride``."""

    depth: int
    width: int
    stride: int
    bot_mul: float = 1.0
    groups: int = 1

    @property
    def bottleneck_width(self) -> int:
        return int(round(self.width * self.bot_mul))


def _conv_bn(w_in: int, w_out: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(w_in, w_out, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(w_out)]


class _Residual(nn.Module):
    """``relu(branch(x) + shortcut(x))``; the shortcut projects when shapes change."""

    def __init__(self, branch: nn.Sequential, w_in: int, w_out: int, stride: int) -> None:
        super().__init__()
        self.branch = branch
        self.proj = nn.Sequential(*_conv_bn(w_in, w_out, 1, stride)) \
            if w_in != w_out or stride != 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.proj is None else self.proj(x)
        return torch.relu(self.branch(x) + shortcut)


def make_block(block_type: str, w_in: int, stage: StageSpec, stride: int) -> nn.Module:
    """One block of ``block_type`` from ``w_in`` channels to the stage's width."""
    w = stage.width
    if block_type == "res_basic_block":
        branch = nn.Sequential(*_conv_bn(w_in, w, 3, stride), nn.ReLU(), *_conv_bn(w, w, 3))
        return _Residual(branch, w_in, w, stride)
    if block_type == "res_bottleneck_block":
        w_b = stage.bottleneck_width
        branch = nn.Sequential(*_conv_bn(w_in, w_b, 1), nn.ReLU(),
                               *_conv_bn(w_b, w_b, 3, stride, stage.groups), nn.ReLU(),
                               *_conv_bn(w_b, w, 1))
        return _Residual(branch, w_in, w, stride)
    if block_type == "double_plain_block":
        return nn.Sequential(*_conv_bn(w_in, w, 3, stride), nn.ReLU(), *_conv_bn(w, w, 3),
                             nn.ReLU())
    raise ValueError(f"unknown block type {block_type!r}")


def make_stem(kind: str, width: int) -> nn.Sequential:
    """The stem ``kind`` (one of :data:`STEMS`) with ``width`` output channels."""
    if kind == "cifar":
        return nn.Sequential(*_conv_bn(3, width, 3), nn.ReLU())
    if kind == "resnet":
        return nn.Sequential(*_conv_bn(3, width, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
    if kind == "three_conv":
        half = width // 2
        return nn.Sequential(*_conv_bn(3, half, 3, 2), nn.ReLU(), *_conv_bn(half, width, 3, 2),
                             nn.ReLU(), *_conv_bn(width, width, 3, 2), nn.ReLU())
    raise ValueError(f"unknown stem {kind!r}; expected one of {', '.join(STEMS)}")


class AnyNetNetwork(nn.Module):
    """Stem, stages of ``block_type`` blocks, global average pool, linear classifier."""

    def __init__(self, block_type: str, stem: str, stem_width: int,
                 stages: Sequence[StageSpec], num_classes: int) -> None:
        super().__init__()
        self.stem = make_stem(stem, stem_width)
        blocks, w_in = [], stem_width
        for stage in stages:
            for i in range(stage.depth):
                blocks.append(make_block(block_type, w_in, stage, stage.stride if i == 0 else 1))
                w_in = stage.width
        self.stages = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(w_in, num_classes)
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.stages(self.stem(x))).flatten(1))


def _init(m: nn.Module) -> None:
    if isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
        nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0.0, 0.01)
        nn.init.zeros_(m.bias)


FlopRule = Callable[[nn.Module, torch.Tensor, torch.Tensor], int]
"""FLOPs one module adds for one sample, given its input and output tensors."""


def anynet_flops(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """The AnyNet records' rule: conv and linear multiply-adds, the linear bias, 5 per BN
    output element."""
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size[0] * module.kernel_size[1]
        return y[0].numel() * k * module.in_channels // module.groups
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features + module.out_features
    if isinstance(module, nn.BatchNorm2d):
        return 5 * y[0].numel()
    return 0


def nas_cell_flops(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """The NDS cell records' rule: conv multiply-adds over an output size computed without
    the dilation (``(h + 2p - k) // s + 1``, so a dilated conv counts a larger map than it
    computes), linear multiply-adds and bias, ``k * k`` per pooling output element, 1 per
    ReLU output element and per global-pooling input element; BN counts nothing."""
    if isinstance(module, nn.Conv2d):
        (h, w), (kh, kw) = x.shape[2:], module.kernel_size
        h_out = (h + 2 * module.padding[0] - kh) // module.stride[0] + 1
        w_out = (w + 2 * module.padding[1] - kw) // module.stride[1] + 1
        return module.weight.numel() * h_out * w_out
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features + module.out_features
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        return y[0].numel() * module.kernel_size ** 2
    if isinstance(module, nn.ReLU):
        return y[0].numel()
    if isinstance(module, nn.AdaptiveAvgPool2d):
        return x[0].numel()
    return 0


def nds_complexity(model: nn.Module, input_shape: tuple[int, int, int],
                   flops_of: FlopRule = anynet_flops) -> tuple[int, int]:
    """(trainable params, flops) of ``model`` on one input of ``input_shape``, the FLOPs
    counted module by module by ``flops_of`` (:func:`anynet_flops`, :func:`nas_cell_flops`).

    A model built under ``torch.device("meta")`` is counted without computing anything.
    """
    flops = 0

    def count(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal flops
        flops += flops_of(module, inputs[0], output)

    hooks = [m.register_forward_hook(count) for m in model.modules()]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            device = next(model.parameters()).device
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return params, flops


class _Counter:
    """Arithmetic (params, flops) of the layers :class:`AnyNetNetwork` stacks, by the rule of
    :func:`nds_complexity`; follows the spatial size ``h`` of a square input."""

    def __init__(self, h: int) -> None:
        self.h, self.params, self.flops = h, 0, 0

    def conv_bn(self, w_in: int, w_out: int, k: int, stride: int = 1, groups: int = 1) -> None:
        self.h = (self.h + 2 * (k // 2) - k) // stride + 1
        weights = k * k * w_in // groups * w_out
        self.params += weights + 2 * w_out
        self.flops += weights * self.h * self.h + 5 * w_out * self.h * self.h

    def max_pool(self) -> None:
        self.h = (self.h - 1) // 2 + 1


def count_complexity(block_type: str, stem: str, stem_width: int, stages: Sequence[StageSpec],
                     num_classes: int, resolution: int) -> tuple[int, int]:
    """(params, flops) of ``AnyNetNetwork(...)`` on a ``resolution`` px input, without
    building it (what :func:`nds_complexity` measures on the model)."""
    count = _Counter(resolution)
    if stem == "cifar":
        count.conv_bn(3, stem_width, 3)
    elif stem == "resnet":
        count.conv_bn(3, stem_width, 7, 2)
        count.max_pool()
    else:
        half = stem_width // 2
        for w_in, w_out in ((3, half), (half, stem_width), (stem_width, stem_width)):
            count.conv_bn(w_in, w_out, 3, 2)
    w_in = stem_width
    for stage in stages:
        for i in range(stage.depth):
            stride, h_in, w = (stage.stride if i == 0 else 1), count.h, stage.width
            if block_type == "res_bottleneck_block":
                w_b = stage.bottleneck_width
                count.conv_bn(w_in, w_b, 1)
                count.conv_bn(w_b, w_b, 3, stride, stage.groups)
                count.conv_bn(w_b, w, 1)
            else:
                count.conv_bn(w_in, w, 3, stride)
                count.conv_bn(w, w, 3)
            if block_type != "double_plain_block" and (w_in != w or stride != 1):
                h_out, count.h = count.h, h_in
                count.conv_bn(w_in, w, 1, stride)
                count.h = h_out
            w_in = w
    head = w_in * num_classes + num_classes
    return count.params + head, count.flops + head
