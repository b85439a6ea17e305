"""Torch devices from the user's ``--device`` / ``device=`` value, validated early."""

from __future__ import annotations

import torch

from naslib_zero.core.errors import InvalidArgumentError


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` and ``"cpu"`` -> CPU; ``"cuda"`` / ``"cuda:N"`` (or another torch device
    string) -> that device, with a clear error when it does not exist on this machine."""
    if device is None:
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise InvalidArgumentError(f"unknown device {device!r}: {err}") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidArgumentError(f"device {device!r} requested but CUDA is not available")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise InvalidArgumentError(
                f"device {device!r} requested but only {torch.cuda.device_count()} CUDA "
                "devices exist")
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise InvalidArgumentError(f"device {device!r} requested but MPS is not available")
    return resolved


def float64_dtype(device: torch.device) -> torch.dtype:
    """float64 where the device has it (CPU, CUDA); float32 on Apple's MPS, which has none."""
    return torch.float32 if device.type == "mps" else torch.float64
