"""Strict, bounded reading of what the spaces' public parsers are given.

Every public parser (``from_str``, ``from_decisions``/``decode``, ``from_index``, ``from_spec``,
``from_compact``, ``from_config``, ``get_space`` option strings) returns a valid architecture
or raises the project's own error; these helpers check input before anything is built from it:

* text (:func:`check_text`): a ``str`` of at most a given length, printable ASCII plus tab and
  line breaks (so stripping only ever removes ASCII whitespace);
* numbers in text (:func:`parse_int`, :func:`parse_float`): the grammar they are printed in,
  ASCII digits without sign, underscore or leading zero (``0|[1-9][0-9]*``, decimals with an
  optional exponent), of bounded length, so ``int``/``float`` never see ``'١٤'``, ``'1_4'``,
  ``'+3'`` or 5,000 digits;
* values (:func:`is_int`, :func:`as_values`): real ints (numpy integer types included, never
  ``bool``), and sized sequences (not text, mappings or sets) checked for length before they
  are copied;
* messages show values through :func:`show`, which never fails (``repr`` refuses ints of more
  than 4,300 digits) and truncates.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from naslib_zero.core.errors import InvalidArchitectureError

_INT = re.compile(r"0|[1-9][0-9]*")
_FLOAT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?")
_BAD_CHAR = re.compile(r"[^\x20-\x7e\t\r\n]")
MAX_NUMBER_TEXT = 32
"""Longest number text read (ints have at most 20 digits, floats 32 characters)."""


def show(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        bits = int(value).bit_length()
        if bits > 256:
            return f"<an int of {bits} bits>"
    try:
        text = repr(value.item() if isinstance(value, np.generic) else value)
    except Exception:  # noqa: BLE001  (a repr that fails, e.g. an int too long to print)
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_text(text: Any, what: str, max_len: int) -> str:
    """``text`` with ASCII whitespace stripped, or InvalidArchitectureError if it is not a str
    of at most ``max_len`` printable ASCII characters (tab and line breaks allowed)."""
    if not isinstance(text, str):
        raise InvalidArchitectureError(f"{what} must be a str, got {type(text).__name__}")
    if len(text) > max_len:
        raise InvalidArchitectureError(
            f"{what} is too long: {len(text)} characters (at most {max_len}): {show(text)}")
    bad = _BAD_CHAR.search(text)
    if bad:
        raise InvalidArchitectureError(
            f"{what} may hold printable ASCII only, got {bad.group()!r} at position "
            f"{bad.start()} of {show(text)}")
    return text.strip()


def int_text(text: str) -> int | None:
    """The int written as ``text`` in ASCII digits (no sign, no leading zero, at most 20
    digits), else None."""
    return int(text) if len(text) <= 20 and _INT.fullmatch(text) else None


def float_text(text: str) -> float | None:
    """The non-negative number written as ``text`` (``12``, ``0.25``, ``1e-05``: ASCII digits,
    no sign, at most :data:`MAX_NUMBER_TEXT` characters), else None."""
    return float(text) if len(text) <= MAX_NUMBER_TEXT and _FLOAT.fullmatch(text) else None


def parse_int(text: str, what: str, lo: int, hi: int) -> int:
    """:func:`int_text` of ``text``, which must be in ``[lo, hi]``."""
    value = int_text(text)
    if value is None:
        raise InvalidArchitectureError(
            f"{what} must be an integer written in ASCII digits (no sign, underscore or leading "
            f"zero), got {show(text)}")
    if not lo <= value <= hi:
        raise InvalidArchitectureError(f"{what} must be in {lo}..{hi}, got {value}")
    return value


def parse_float(text: str, what: str) -> float:
    """:func:`float_text` of ``text`` (InvalidArchitectureError if it is not a number)."""
    value = float_text(text)
    if value is None:
        raise InvalidArchitectureError(
            f"{what} must be a number written in ASCII digits like 0.25 or 1e-05, got "
            f"{show(text)}")
    return value


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (numpy integer types too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def as_values(values: Any, what: str, expected: int) -> list:
    """``values`` as a list of ``expected`` items, or InvalidArchitectureError if it is not a
    sized sequence (text, mappings, sets and non-1-D arrays are not) of that length."""
    n = None
    if not isinstance(values, str | bytes | bytearray | Mapping | set | frozenset) \
            and hasattr(values, "__getitem__") \
            and (not isinstance(values, np.ndarray) or values.ndim == 1):
        try:
            n = len(values)
        except Exception:  # noqa: BLE001  (no length, or one too large for an index)
            n = None
    if n is None:
        raise InvalidArchitectureError(
            f"{what} is a sequence of {expected} ints, got {type(values).__name__} "
            f"{show(values)}")
    if n != expected:
        raise InvalidArchitectureError(f"{what} has {expected} values, got {n}")
    return list(values)
