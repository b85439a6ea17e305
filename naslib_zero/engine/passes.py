"""The shared-pass engine: every pass that a requested proxy needs runs once per (model, batch).

Passes (the names proxies list in ``needs``):

Shared forward/backward, planned together from the union of needs, on the caller's model in
train mode (batch-statistics BN, as the reference implementations), float32:

* ``activations`` -- one forward with hooks: NASWOT kernel of binary ReLU codes (float64),
  number of ReLU calls, MACs per sample of Conv/Linear layers.
* ``ce_grads`` -- dL/dW of the mean cross-entropy for every Conv/Linear weight (zeros where
  a layer does not reach the loss), from the same forward.
* ``layer_output_grads`` -- per Conv/Linear layer and output channel, Fisher's
  0.5 * mean_n (sum_spatial a * dL/da)^2, collected during the ``ce_grads`` backward.
* ``input_jacobian`` -- per-sample dy/dx of the summed logits, (B, C*H*W), same forward.
* ``hessian_grad`` -- H g (Hessian of the loss times its gradient) per Conv/Linear weight, from
  a double backward through the ``ce_grads`` graph (built with ``create_graph``).

Dedicated passes register with :func:`register_pass` next to the proxy that uses them
(synflow's float64 |W| copy, Zen's re-initialised copy, ZiCo's second batch) and run lazily,
once, when first read. The caller's model is never changed: gradients are taken with
``torch.autograd.grad`` (``.grad`` stays untouched), BN running statistics are restored
afterwards, so are tensors a forward leaves on a module's attributes, and passes that alter
weights work on a :func:`model_copy`, which never depends on what an earlier pass left.

Networks that ignore their input. The shared forward always runs, whatever the proxies need.
When it gives every sample of the batch the same logits, bit for bit, although the inputs
differ, the network's output does not depend on its input (NB201: every path from the cell's
input to its output crosses a ``none`` edge). Such a network is unscorable: no backward or
dedicated pass runs and every proxy reports its documented worst value (``-inf`` when higher
is better), with one :class:`ProxyWarning`. A batch of identical inputs cannot tell, and
there the rule does not apply.

Devices. Every pass runs where the model and the batch are (``device=`` moves both there
first); no tensor is created on a fixed device and results leave the device only as Python
floats or through ``.cpu()``. float64 steps (NASWOT's kernel, synflow's copy) use float64 on
CPU and CUDA and float32 on Apple's MPS, which has no float64.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from naslib_zero.core.device import float64_dtype, resolve_device
from naslib_zero.core.errors import InvalidArgumentError, NaslibZeroError
from naslib_zero.engine.registry import ProxySpec

SHARED_PASSES = frozenset(
    {"activations", "ce_grads", "layer_output_grads", "input_jacobian", "hessian_grad"})
_DEDICATED: dict[str, Callable[[Context], object]] = {}
WEIGHTED = (nn.Conv2d, nn.Linear)


class ShapeError(NaslibZeroError, ValueError):
    """Model and batch do not fit together."""


class ProxyWarning(UserWarning):
    """A proxy could not score a network and returned its documented 'worst' value."""


def register_pass(name: str) -> Callable[[Callable[[Context], object]], Callable]:
    """Register a dedicated pass ``fn(ctx) -> result``; proxies read it as ``ctx[name]``."""

    def wrap(fn: Callable[[Context], object]) -> Callable[[Context], object]:
        if name in _DEDICATED or name in SHARED_PASSES:
            raise ValueError(f"pass {name!r} is already registered")
        _DEDICATED[name] = fn
        return fn

    return wrap


@dataclass(frozen=True)
class Scores:
    """What one :func:`run_proxies` call returns: each proxy's value, and the verdict whether the
    network's output depends on its input (False: every value is the proxy's worst)."""

    values: dict[str, float]
    input_dependent: bool


@dataclass
class Activations:
    """What the hooks of the shared forward record."""

    relu_kernel: torch.Tensor | None = None  # (B, B) float64, NASWOT's K
    relu_calls: int = 0
    macs: int = 0  # multiply-accumulates per sample, Conv2d + Linear


@dataclass
class Context:
    """One (model, batch) and the results of the passes run on it; proxies read ``ctx[name]``.

    A proxy is ``fn(ctx) -> float``. Fields (B = batch size, all tensors on one device):

    * ``model`` -- the network, in train mode (batch-statistics BN). Do not change it: take
      gradients with ``torch.autograd.grad`` (never ``.backward()``, which writes ``.grad``)
      and alter weights only on a :func:`model_copy`; BN running statistics and tensors a
      forward leaves on modules are restored after the proxies ran.
    * ``inputs`` -- (B, C, H, W) floating point (float32 from the toolkit's batches);
      ``targets`` -- (B,) int64 class labels.
    * ``seed`` -- for the proxy's own randomness (a ``torch.Generator``, never global RNG).
    * ``second_batch`` -- ``(inputs, targets)`` of a second minibatch (ZiCo's), or None.
    * ``results`` -- pass name -> result, filled as passes run.
    * ``layers`` -- Conv2d and Linear modules in definition order; ``weights`` their detached
      weights; ``num_classes`` the last layer's outputs.

    Passes, ``ctx[name]`` (L = ``len(ctx.layers)``). Shared passes come from one forward (and
    the backward they need) on ``model`` in its own dtype, and exist only when a requested
    proxy lists them in ``needs`` (else ``KeyError``):

    * ``activations`` -- :class:`Activations`: ``relu_kernel`` (B, B) float64 NASWOT kernel
      summed over ReLU calls (None without ReLU), ``relu_calls`` int, ``macs`` int
      (multiply-accumulates per sample of Conv2d/Linear).
    * ``ce_grads`` -- list of L tensors, dL/dW of the mean cross-entropy, each the shape of
      its weight (zeros where a layer does not reach the loss).
    * ``layer_output_grads`` -- list of L tensors of shape (out_channels,): Fisher's
      0.5 * mean_b (sum_spatial a * dL/da)^2 per output channel.
    * ``input_jacobian`` -- (B, C*H*W) tensor, d(sum of logits)/dx per sample.
    * ``hessian_grad`` -- list of L tensors, H g per weight (g = dL/dW, H the loss's Hessian).

    Dedicated passes (:func:`register_pass`) run on first read, once; list them in ``needs``
    too:

    * ``synflow_grads`` -- list of L pairs (|W|, dR/dW), float64, of a BN-free copy with
      |W| weights, R = sum of the logits for an all-ones input of batch 1.
    * ``zen_terms`` -- ``(diff, bn_log)`` floats: mean_b sum |f(x) - f(x + 0.01 eps)| of the
      features before global pooling of a Gaussian re-initialised copy, and the sum over
      BatchNorm2d of log sqrt(mean running_var).
    * ``zico_grads`` -- ``[grads_1, grads_2]``, each a list of L dL/dW tensors: the batch and
      ``second_batch``, or the batch's two halves without one.

    float64 means float32 on Apple's MPS. A proxy may also run its own no-grad forward with
    hooks (``swap`` does), removing its hooks afterwards.
    """

    model: nn.Module
    inputs: torch.Tensor
    targets: torch.Tensor
    seed: int = 0
    second_batch: tuple[torch.Tensor, torch.Tensor] | None = None
    results: dict[str, object] = field(default_factory=dict)

    @property
    def layers(self) -> list[nn.Module]:
        """Conv2d and Linear modules in definition order: the layers per-weight scores use."""
        return [m for m in self.model.modules() if isinstance(m, WEIGHTED)]

    @property
    def weights(self) -> list[torch.Tensor]:
        return [m.weight.detach() for m in self.layers]

    @property
    def num_classes(self) -> int:
        return self.layers[-1].weight.shape[0] if self.layers else 0

    def __getitem__(self, name: str) -> object:
        if name not in self.results:
            if name in SHARED_PASSES:
                raise KeyError(f"shared pass {name!r} was not planned for this computation")
            if name not in _DEDICATED:
                raise KeyError(f"unknown pass {name!r}")
            self.results[name] = _DEDICATED[name](self)
        return self.results[name]


def model_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` for a pass that changes weights. Tensors a module holds
    outside its parameters and buffers (state a forward may leave, such as a non-leaf output)
    are copied detached, so the copy works whatever ran on the model before."""
    memo: dict[int, object] = {}
    for module in model.modules():
        for value in vars(module).values():
            if torch.is_tensor(value) and not value.is_leaf:
                memo[id(value)] = value.detach().clone()
    return copy.deepcopy(model, memo)


def _tensor_attributes(model: nn.Module) -> list[tuple[nn.Module, dict[str, object]]]:
    """Each module's public attributes that hold a tensor or None (what a forward may set)."""
    return [(m, {k: v for k, v in vars(m).items()
                 if not k.startswith("_") and (v is None or torch.is_tensor(v))})
            for m in model.modules()]


def _restore_tensor_attributes(snapshot: list[tuple[nn.Module, dict[str, object]]]) -> None:
    """Undo every tensor attribute set, replaced or removed since ``snapshot``."""
    for module, before in snapshot:
        now = {k: v for k, v in vars(module).items() if not k.startswith("_")}
        for key in set(before) | {k for k, v in now.items() if torch.is_tensor(v)}:
            if key not in before:
                delattr(module, key)
            elif now.get(key, _MISSING) is not before[key]:
                setattr(module, key, before[key])


_MISSING = object()


# ------------------------------------------------------------------------------ shared pass


def _activation_hooks(model: nn.Module, stats: Activations) -> list:
    """Forward hooks filling ``stats`` (NASWOT kernel, ReLU calls, MACs)."""

    def on_relu(module: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        x = inp[0].detach().flatten(1)
        # with codes s = +-1, K = x x^T + (1-x)(1-x)^T = (s s^T + D) / 2: one matmul
        s = (x > 0).to(torch.float32) * 2 - 1
        k = (s @ s.T + x.shape[1]).to(float64_dtype(x.device)) / 2
        stats.relu_kernel = k if stats.relu_kernel is None else stats.relu_kernel + k
        stats.relu_calls += 1

    def on_weighted(module: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        fan_in = module.weight[0].numel()  # in_channels / groups * kernel area, or in_features
        stats.macs += out[0].numel() * fan_in

    handles = [m.register_forward_hook(on_relu) for m in model.modules()
               if isinstance(m, nn.ReLU)]
    handles += [m.register_forward_hook(on_weighted) for m in model.modules()
                if isinstance(m, WEIGHTED)]
    return handles


class _FisherCollector:
    """Per-channel Fisher values from layer outputs and their gradients (foresight's fisher)."""

    def __init__(self, layers: Sequence[nn.Module]) -> None:
        self.values: list[torch.Tensor] = [
            torch.zeros(m.weight.shape[0], device=m.weight.device) for m in layers]
        self.active = False
        self.handles = [m.register_forward_hook(self._hook(i)) for i, m in enumerate(layers)]

    def _hook(self, index: int):
        def forward_hook(module: nn.Module, inp, out: torch.Tensor) -> None:
            act = out.detach()

            def grad_hook(grad: torch.Tensor) -> None:
                if self.active:  # only the cross-entropy backward counts
                    g = act * grad.detach()
                    g_nk = g.sum(dim=tuple(range(2, g.dim()))) if g.dim() > 2 else g
                    self.values[index] = self.values[index] + 0.5 * g_nk.pow(2).mean(0)

            if out.requires_grad:
                out.register_hook(grad_hook)

        return forward_hook


def _run_shared(ctx: Context, needs: set[str]) -> bool:
    """One forward and, unless the output ignores the input, the backward passes that
    ``needs`` asks for; returns whether the output depends on the input."""
    model, layers = ctx.model, ctx.layers
    weights = [m.weight for m in layers]
    stats = Activations()
    handles = _activation_hooks(model, stats) if "activations" in needs else []
    fisher = _FisherCollector(layers) if "layer_output_grads" in needs else None
    if fisher:
        handles += fisher.handles
    want_grads = bool(needs & {"ce_grads", "layer_output_grads", "hessian_grad"})
    want_jacobian = "input_jacobian" in needs
    x = ctx.inputs.detach().clone().requires_grad_(want_jacobian)
    try:
        logits = _forward(model, x, ctx.targets)
    finally:
        for h in handles:
            h.remove()
    ctx.results["activations"] = stats
    if not input_dependent(ctx.inputs, logits):
        return False
    if want_jacobian:
        (jac,) = torch.autograd.grad(logits.sum(), x, retain_graph=want_grads,
                                     allow_unused=True)  # None: output ignores the input
        jac = torch.zeros_like(x) if jac is None else jac.detach()
        ctx.results["input_jacobian"] = jac.flatten(1)
    if not want_grads:
        return True
    loss = F.cross_entropy(logits, ctx.targets)
    create_graph = "hessian_grad" in needs
    if fisher:
        fisher.active = True
    grads = torch.autograd.grad(loss, weights, create_graph=create_graph, allow_unused=True)
    if fisher:
        fisher.active = False
        ctx.results["layer_output_grads"] = fisher.values
    ctx.results["ce_grads"] = [
        torch.zeros_like(w) if g is None else g.detach() for w, g in zip(weights, grads)]
    if create_graph:
        z = sum((g.detach() * g).sum() for g in grads if g is not None and g.requires_grad)
        hg = torch.autograd.grad(z, weights, allow_unused=True) if torch.is_tensor(z) else []
        hg = list(hg) or [None] * len(weights)
        ctx.results["hessian_grad"] = [
            torch.zeros_like(w) if h is None else h.detach() for w, h in zip(weights, hg)]
    return True


def input_dependent(inputs: torch.Tensor, logits: torch.Tensor) -> bool:
    """False when every sample got the same logits, bit for bit, although the inputs differ:
    the network's output does not depend on its input. True otherwise, also for a batch of
    identical inputs, which cannot tell."""
    same_output = bool((logits == logits[:1]).all())
    same_input = bool((inputs == inputs[:1]).all())
    return same_input or not same_output


def _forward(model: nn.Module, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Forward with clear errors for a model and batch that do not fit together."""
    try:
        logits = model(x)
    except (RuntimeError, ValueError) as err:
        raise ShapeError(f"model forward failed on inputs of shape {tuple(x.shape)}: {err}") \
            from err
    if logits.dim() != 2 or logits.shape[0] != x.shape[0]:
        raise ShapeError(f"model must return logits of shape (batch, classes); got "
                         f"{tuple(logits.shape)} for a batch of {x.shape[0]}")
    if targets.numel() and int(targets.max()) >= logits.shape[1]:
        raise ShapeError(f"label {int(targets.max())} out of range for a model with "
                         f"{logits.shape[1]} outputs")
    return logits


def ce_weight_grads(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                    layers: Sequence[nn.Module]) -> list[torch.Tensor]:
    """dL/dW of the mean cross-entropy for each layer's weight (zeros where a layer does not
    reach the loss), for passes that need gradients of another batch."""
    weights = [m.weight for m in layers]
    loss = F.cross_entropy(_forward(model, inputs, targets), targets)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    return [torch.zeros_like(w) if g is None else g.detach() for w, g in zip(weights, grads)]


# ------------------------------------------------------------------------------ entry point


def check_batch(inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """Raise ShapeError unless ``inputs`` is (B, C, H, W) float and ``targets`` B labels."""
    if not torch.is_tensor(inputs) or inputs.dim() != 4 or not inputs.is_floating_point():
        raise ShapeError("inputs must be a float tensor of shape (batch, channels, height, "
                         f"width); got {getattr(inputs, 'shape', type(inputs).__name__)}")
    if not torch.is_tensor(targets) or targets.dim() != 1 or targets.shape[0] != inputs.shape[0]:
        raise ShapeError(f"targets must be a 1-D integer tensor of length {inputs.shape[0]}; "
                         f"got {getattr(targets, 'shape', type(targets).__name__)}")
    if targets.is_floating_point():
        raise ShapeError("targets must hold integer class labels")
    if inputs.shape[0] < 2:
        raise ShapeError("a batch needs at least 2 samples (batch statistics, correlations)")


def check_devices(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """InvalidArgumentError unless the model's parameters and the batch share one device."""
    found = {t.device for t in (inputs, targets, *model.parameters(), *model.buffers())}
    if len(found) > 1:
        names = ", ".join(sorted(str(d) for d in found))
        raise InvalidArgumentError(f"the model and the batch are on different devices ({names}); "
                                   "pass device=... to move both")


def run_proxies(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                specs: Sequence[ProxySpec], seed: int = 0, *,
                second_batch: tuple[torch.Tensor, torch.Tensor] | None = None,
                device: str | torch.device | None = None) -> Scores:
    """Run the shared forward and the passes that ``specs`` need, once each, and evaluate every
    proxy; a network whose output ignores its input gets every proxy's worst value (see the
    module docstring).

    ``device``: move the model (in place) and the batches there first; None: leave them where
    they are, which must be one device. The public entry point is
    :func:`naslib_zero.proxies.compute`, which resolves names and returns the values.
    """
    check_batch(inputs, targets)
    if device is not None:
        target = resolve_device(device)
        model.to(target)
        inputs, targets = inputs.to(target), targets.to(target)
        if second_batch is not None:
            second_batch = (second_batch[0].to(target), second_batch[1].to(target))
    check_devices(model, inputs, targets)
    needs = set().union(*(s.needs for s in specs)) if specs else set()
    ctx = Context(model, inputs, targets.long(), seed, second_batch)
    was_training = model.training
    buffers = {k: v.clone() for k, v in model.state_dict().items() if k.endswith(
        ("running_mean", "running_var", "num_batches_tracked"))}
    attributes = _tensor_attributes(model)
    try:
        model.train()
        if not _run_shared(ctx, needs & SHARED_PASSES):
            if specs:
                warnings.warn("the network's output does not depend on its input (the same "
                              "logits for every sample); every proxy reports its worst value",
                              ProxyWarning, stacklevel=3)
            return Scores({spec.name: spec.worst for spec in specs}, input_dependent=False)
        return Scores({spec.name: _guard(spec.name, spec.fn(ctx), spec.worst) for spec in specs},
                      input_dependent=True)
    finally:
        model.load_state_dict(buffers, strict=False)
        _restore_tensor_attributes(attributes)
        model.train(was_training)


def _guard(name: str, value: float, worst: float) -> float:
    value = float(value)
    if math.isnan(value):
        warnings.warn(f"{name}: the network could not be scored (NaN); reported as {worst}",
                      ProxyWarning, stacklevel=3)
        return worst
    return value
