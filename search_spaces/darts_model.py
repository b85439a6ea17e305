"""The DARTS network for a genotype, and the configurations benchmarks trained it with.

The network follows DARTS' ``NetworkCIFAR`` (Liu et al., 2019, ``cnn/model.py``): a 3x3
convolution stem of ``stem_multiplier * C`` channels (``stem="cifar"``), ``layers`` cells
with reduction cells at 1/3 and 2/3 of the depth (channels doubled there), each cell
preprocessing its two inputs (ReLU-Conv1x1-BN, or a factorized reduce when the cell before
the previous one has twice the resolution), the DARTS ops on the genotype's edges (stride 2
on the edges leaving the cell inputs of a reduction cell), an optional auxiliary head after
the second reduction, global average pooling and a linear classifier. ``forward`` returns
the logits and keeps no state from the call; ``forward_with_aux`` also returns the auxiliary
head's logits (in training mode with an auxiliary head; else None), for a training loop.

``stem="imagenet"`` is DARTS' (and pycls') ``NetworkImageNet``: two stems, a stride-2 3x3 conv
to C/2 - BN - ReLU - stride-2 3x3 conv to C - BN, then ReLU - stride-2 3x3 conv - BN (input
resolution / 8), the first cell treating its inputs as reduced (factorized reduce of the first
stem's output), and the ImageNet auxiliary head (5x5 average pool of stride 2, no BN after its
768-channel conv). ``stem="none"`` feeds the image to the first cell.

Cells may have any number of nodes and concatenate the states their genotype's rules name
(:meth:`search_spaces.darts_genotype.Rules.concat_of`); the ops are pycls' NAS ops
(:data:`OP_FACTORIES`), DARTS' eight among them.

Drop path (``drop_path_prob``) applies in training mode to the non-identity edges. It starts at
0: DARTS and NAS-Bench-301 raise it linearly from 0 to the configured value over training, so a
network at initialisation (what zero-cost proxies score) has none; a training loop sets
``model.drop_path_prob`` per epoch.

Presets (:data:`PRESETS`):

* ``nb301``: NAS-Bench-301's training configuration (``automl/nasbench301``,
  ``nasbench301/data_generation/configs/config_0.json``): C = 32, 8 cells, auxiliary head,
  drop path 0.2, every BN affine.
* ``naslib``: the model behind NASLib's NB301 zero-cost data (NASLib's
  ``NasBench301SearchSpace`` primitives): C = 32, 8 cells, no auxiliary head, the cell ops'
  BNs without affine parameters, every pooling edge followed by a non-affine BN. Its
  parameter count equals the ``params_M`` column of ``nb301/naslib_nb301_val_accuracy.csv``
  exactly, on all 1,218 rows; the ``nb301`` preset's count is that plus the auxiliary head and
  the affine parameters of the cell ops' BNs.
* ``swap``: the network SWAP (Peng et al., ICLR 2024, ``pym1024/SWAP``, ``correlation.py``)
  scores the DARTS-1000 genotypes with: ``Network(3, 10, 1, genotype)``, i.e. one cell (a
  reduction cell) of C = 3 on the image itself (``stem="none"``), no auxiliary head. The code
  does not say how the 1,000 networks were trained (its README: "trained for 200 epochs").
* ``darts``: DARTS' CIFAR-10 evaluation network: C = 36, 20 cells, auxiliary head, drop path
  0.2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from naslib_zero.core.errors import InvalidArgumentError, UnknownNameError
from search_spaces.darts_genotype import CELLS, Genotype
from search_spaces.parsing import show

STEMS = ("cifar", "imagenet", "none")


@dataclass(frozen=True)
class DartsConfig:
    """How a genotype becomes a network (see the module docstring for the presets)."""

    channels: int = 32
    layers: int = 8
    stem: str = "cifar"
    stem_multiplier: int = 3
    auxiliary: bool = False
    drop_path_prob: float = 0.0
    affine_ops: bool = True
    pool_bn: bool = False

    def __post_init__(self) -> None:
        for name, limit in (("channels", 4096), ("layers", 256), ("stem_multiplier", 16)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
                raise InvalidArgumentError(
                    f"{name} must be a positive int of at most {limit}, got {show(value)}")
        if not isinstance(self.stem, str) or self.stem not in STEMS:
            raise InvalidArgumentError(
                f"stem must be one of {', '.join(STEMS)}, got {show(self.stem)}")
        for name in ("auxiliary", "affine_ops", "pool_bn"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidArgumentError(
                    f"{name} must be True or False, got {show(getattr(self, name))}")
        if isinstance(self.drop_path_prob, bool) or \
                not isinstance(self.drop_path_prob, int | float) or \
                not 0.0 <= self.drop_path_prob < 1.0:
            raise InvalidArgumentError(
                f"drop_path_prob must be in [0, 1), got {show(self.drop_path_prob)}")
        if self.auxiliary and self.layers < 3:
            raise InvalidArgumentError("an auxiliary head needs at least 3 cells")

    def with_options(self, **options) -> DartsConfig:
        """This config with some fields replaced (InvalidArgumentError on unknown names)."""
        unknown = set(options) - set(self.__dataclass_fields__)
        if unknown:
            raise InvalidArgumentError(
                f"unknown DARTS network option(s) {', '.join(sorted(unknown))}; available: "
                f"{', '.join(self.__dataclass_fields__)}")
        return replace(self, **options)


PRESETS: dict[str, DartsConfig] = {
    "nb301": DartsConfig(channels=32, layers=8, auxiliary=True, drop_path_prob=0.2),
    "naslib": DartsConfig(channels=32, layers=8, affine_ops=False, pool_bn=True),
    "swap": DartsConfig(channels=3, layers=1, stem="none"),
    "darts": DartsConfig(channels=36, layers=20, auxiliary=True, drop_path_prob=0.2),
}


def preset(name: str) -> DartsConfig:
    if not isinstance(name, str) or name not in PRESETS:
        raise UnknownNameError(
            f"unknown DARTS network preset {show(name)}; available: {', '.join(PRESETS)}")
    return PRESETS[name]


# ---------------------------------------------------------------------------------- ops


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 affine: bool = True) -> None:
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out, affine=affine))


class DilConv(nn.Sequential):
    """ReLU, depthwise (dilated) conv, pointwise conv, BN."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int, dilation: int,
                 affine: bool) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride, padding, dilation=dilation, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c, affine=affine))


class SepConv(nn.Sequential):
    """Two DilConv blocks, the first with the edge's stride (``dil_sep_conv``: dilated)."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int, affine: bool,
                 dilation: int = 1) -> None:
        super().__init__(DilConv(c, kernel, stride, padding, dilation, affine),
                         DilConv(c, kernel, 1, padding, dilation, affine))


class FactorizedConv(nn.Sequential):
    """ReLU, 1xk conv, kx1 conv, BN (``conv_3x1_1x3``, ``conv_7x1_1x7``)."""

    def __init__(self, c: int, kernel: int, stride: int, affine: bool) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, (1, kernel), (1, stride), (0, kernel // 2), bias=False),
            nn.Conv2d(c, c, (kernel, 1), (stride, 1), (kernel // 2, 0), bias=False),
            nn.BatchNorm2d(c, affine=affine))


class Zero(nn.Module):
    """The ``none`` op: zeros of the output shape (kept on the input's graph)."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, ::self.stride, ::self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset stride-2 1x1 convolutions, concatenated."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise InvalidArgumentError(f"factorized reduce needs an even width, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def _pool(kind: str, c: int, stride: int, bn: bool, kernel: int = 3) -> nn.Module:
    pool = nn.MaxPool2d(kernel, stride, kernel // 2) if kind == "max" else \
        nn.AvgPool2d(kernel, stride, kernel // 2, count_include_pad=False)
    return nn.Sequential(pool, nn.BatchNorm2d(c, affine=False)) if bn else pool


OpFactory = Callable[[int, int, DartsConfig], nn.Module]
OP_FACTORIES: dict[str, OpFactory] = {
    "none": lambda c, s, cfg: Zero(s),
    "max_pool_3x3": lambda c, s, cfg: _pool("max", c, s, cfg.pool_bn),
    "avg_pool_3x3": lambda c, s, cfg: _pool("avg", c, s, cfg.pool_bn),
    "skip_connect": lambda c, s, cfg: nn.Identity() if s == 1 else
    FactorizedReduce(c, c, cfg.affine_ops),
    "sep_conv_3x3": lambda c, s, cfg: SepConv(c, 3, s, 1, cfg.affine_ops),
    "sep_conv_5x5": lambda c, s, cfg: SepConv(c, 5, s, 2, cfg.affine_ops),
    "dil_conv_3x3": lambda c, s, cfg: DilConv(c, 3, s, 2, 2, cfg.affine_ops),
    "dil_conv_5x5": lambda c, s, cfg: DilConv(c, 5, s, 4, 2, cfg.affine_ops),
    "max_pool_5x5": lambda c, s, cfg: _pool("max", c, s, cfg.pool_bn, 5),
    "max_pool_7x7": lambda c, s, cfg: _pool("max", c, s, cfg.pool_bn, 7),
    "conv_1x1": lambda c, s, cfg: ReLUConvBN(c, c, 1, s, 0, cfg.affine_ops),
    "conv_3x3": lambda c, s, cfg: ReLUConvBN(c, c, 3, s, 1, cfg.affine_ops),
    "sep_conv_7x7": lambda c, s, cfg: SepConv(c, 7, s, 3, cfg.affine_ops),
    "dil_sep_conv_3x3": lambda c, s, cfg: SepConv(c, 3, s, 2, cfg.affine_ops, dilation=2),
    "conv_3x1_1x3": lambda c, s, cfg: FactorizedConv(c, 3, s, cfg.affine_ops),
    "conv_7x1_1x7": lambda c, s, cfg: FactorizedConv(c, 7, s, cfg.affine_ops),
}


def drop_path(x: torch.Tensor, prob: float) -> torch.Tensor:
    """Zero whole samples with probability ``prob``, rescaling the kept ones."""
    keep = 1.0 - prob
    mask = torch.empty(x.size(0), 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)
    return x.div(keep).mul(mask)


# -------------------------------------------------------------------------------- network


class DartsCell(nn.Module):
    """Nodes summing two op edges each; the output concatenates the states ``concat``."""

    def __init__(self, pairs: tuple, concat: tuple[int, ...], c_prev_prev: int, c_prev: int,
                 c: int, reduction: bool, reduction_prev: bool, config: DartsConfig) -> None:
        super().__init__()
        self.preprocess0 = FactorizedReduce(c_prev_prev, c) if reduction_prev else \
            ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.inputs = [source for _, source in pairs]
        self.ops = nn.ModuleList(
            OP_FACTORIES[op](c, 2 if reduction and source < 2 else 1, config)
            for op, source in pairs)
        self.concat = tuple(concat)
        self.multiplier = len(self.concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self.ops) // 2):
            total = None
            for e in (2 * node, 2 * node + 1):
                op = self.ops[e]
                h = op(states[self.inputs[e]])
                if self.training and drop_prob > 0.0 and not isinstance(op, nn.Identity):
                    h = drop_path(h, drop_prob)
                total = h if total is None else total + h
            states.append(total)
        return torch.cat([states[i] for i in self.concat], dim=1)


class AuxiliaryHead(nn.Sequential):
    """DARTS' auxiliary classifier: CIFAR (8x8 features, pool stride 3, BN after the
    768-channel conv) or ImageNet (14x14 features, pool stride 2, no BN there)."""

    def __init__(self, c: int, num_classes: int, imagenet: bool = False) -> None:
        last_bn = [] if imagenet else [nn.BatchNorm2d(768)]
        super().__init__(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=2 if imagenet else 3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False), *last_bn, nn.ReLU(inplace=False),
            nn.Flatten(), nn.Linear(768, num_classes))


def _stem(config: DartsConfig, in_channels: int) -> tuple[nn.Module, nn.Module, int]:
    """(first stem, second stem, channels) of the configured stem (module docstring)."""
    c = config.channels
    if config.stem == "imagenet":
        return (nn.Sequential(nn.Conv2d(in_channels, c // 2, 3, 2, 1, bias=False),
                              nn.BatchNorm2d(c // 2), nn.ReLU(inplace=False),
                              nn.Conv2d(c // 2, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c)),
                nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(c, c, 3, 2, 1, bias=False),
                              nn.BatchNorm2d(c)), c)
    if config.stem == "cifar":
        c_stem = config.stem_multiplier * c
        return (nn.Sequential(nn.Conv2d(in_channels, c_stem, 3, padding=1, bias=False),
                              nn.BatchNorm2d(c_stem)), nn.Identity(), c_stem)
    return nn.Identity(), nn.Identity(), in_channels


class DartsNetwork(nn.Module):
    """The DARTS network of ``genotype`` (see the module docstring). ``concat`` holds the
    states the normal and the reduction cell concatenate (default: every node)."""

    def __init__(self, genotype: Genotype, config: DartsConfig, num_classes: int,
                 in_channels: int = 3, concat: tuple[tuple[int, ...], ...] | None = None,
                 ) -> None:
        super().__init__()
        self.config = config
        self.drop_path_prob = 0.0
        if concat is None:
            concat = tuple(tuple(range(2, len(genotype.cell(name)) // 2 + 2)) for name in CELLS)
        self.stem, self.stem1, c_stem = _stem(config, in_channels)
        c_prev_prev, c_prev, c_curr = c_stem, c_stem, config.channels
        reductions = {config.layers // 3, 2 * config.layers // 3}
        self.cells = nn.ModuleList()
        self.auxiliary_head: nn.Module | None = None
        reduction_prev = config.stem == "imagenet"
        for i in range(config.layers):
            reduction = i in reductions
            if reduction:
                c_curr *= 2
            kind = int(reduction)
            cell = DartsCell(genotype.cell(CELLS[kind]), concat[kind], c_prev_prev, c_prev,
                             c_curr, reduction, reduction_prev, config)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
            if config.auxiliary and i == 2 * config.layers // 3:
                self.auxiliary_head = AuxiliaryHead(c_prev, num_classes,
                                                    imagenet=config.stem == "imagenet")
        self.aux_index = 2 * config.layers // 3
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_aux(x)[0]

    def forward_with_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(logits, auxiliary logits); the latter only in training mode with an auxiliary
        head, else None. Nothing is stored on the module, so a model stays copyable."""
        s0 = self.stem(x)
        s1 = self.stem1(s0)
        aux_logits = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_index and self.auxiliary_head is not None and self.training:
                aux_logits = self.auxiliary_head(s1)
        return self.classifier(self.global_pooling(s1).flatten(1)), aux_logits
