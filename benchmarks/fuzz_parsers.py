"""Fuzz every public parser of every registered search space with malformed input.

Parsers: ``from_str``, ``from_decisions``, ``decode``, ``from_index`` (indexable spaces),
``from_spec`` (NB101), ``from_compact`` (DARTS spaces), ``from_config`` (NDS spaces) and
``get_space`` option strings (``"nb201:C=16"``). Inputs are random text, valid strings and
values with random edits (digits in other scripts, ``1_4``, signs, huge numbers, deep
nesting, control characters), and arbitrary Python values (None, bools, floats, huge ints,
nested lists, dicts, numpy scalars and arrays).

Every call must either return a valid architecture that round-trips
(``from_str(to_str(a)) == a``, ``is_valid(a)``; decisions and indices: real ints in range;
accepted strings: printable ASCII, no ``1_4``, ``+3`` or leading zeros) or raise the project's
own error (a ``NaslibZeroError`` with a message; ``decode`` may return None), within a second.
Counts per parser: inputs tried, accepted, rejected, crashes (other exceptions), accepted
invalid inputs and slow inputs (> 1 s); the first few of each failure are printed.

    python benchmarks/fuzz_parsers.py --examples 2000 --seed 0
"""

from __future__ import annotations

import argparse
import json
import numbers
import random
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script from anywhere

from naslib_zero.core.errors import NaslibZeroError  # noqa: E402
from search_spaces import get_space, list_spaces  # noqa: E402
from search_spaces.base import SearchSpace  # noqa: E402

SLOW_S = 1.0
HARD_LIMIT_S = 20  # an input still running after this is stopped and counted as a crash

# ------------------------------------------------------------------------------- the oracle

_LAX_TEXT = (
    (re.compile(r"[^\x20-\x7e\t\n\r]"), "a non-ASCII or control character"),
    (re.compile(r"(?<![0-9A-Za-z_])[0-9]+_[0-9]"), "an underscore inside a number"),
    (re.compile(r"(?<![eE0-9A-Za-z_])[+-][0-9]"), "a signed number"),
)
_LEADING_ZERO = re.compile(r"(?<![0-9A-Za-z_.+-])0[0-9]")  # not in names (conv_3x1_1x3), 1e-05


def text_problem(space: SearchSpace, text: str) -> str | None:
    """Why an accepted string is outside every space's printed grammar, or None."""
    for pattern, what in _LAX_TEXT:
        if pattern.search(text):
            return f"accepted {what}"
    if space.name != "nb101" and _LEADING_ZERO.search(text):  # NB101 rows are 0/1 digit runs
        return "accepted a number with a leading zero"
    return None


def arch_problem(space: SearchSpace, arch: Any) -> str | None:
    """Why an accepted architecture is not a valid, round-tripping value of ``space``."""
    if not space.is_valid(arch):
        return "returned an architecture that is_valid rejects"
    text = space.to_str(arch)
    again = space.from_str(text)
    if again != arch or space.to_str(again) != text:
        return f"does not round-trip through {text[:80]!r}"
    hash(arch)
    return None


def is_choice(v: Any, size: int) -> bool:
    return not isinstance(v, bool) and isinstance(v, numbers.Integral) and 0 <= v < size


def decisions_problem(space: SearchSpace, values: Any, arch: Any) -> str | None:
    sizes = space.decisions()
    if arch is None:
        return None
    if isinstance(values, str | bytes | dict) or len(values) != len(sizes) or not all(
            is_choice(v, n) for v, n in zip(values, sizes)):
        return "accepted a decision vector that is not one int in range per decision"
    return arch_problem(space, arch)


def index_problem(space: SearchSpace, i: Any, arch: Any) -> str | None:
    if not is_choice(i, space.size()):
        return "accepted an index that is not an int in [0, size)"
    if space.index(arch) != i:
        return "index(from_index(i)) != i"
    return arch_problem(space, arch)


def spec_problem(spec: str, space: Any) -> str | None:
    if not isinstance(space, SearchSpace):
        return f"returned {type(space).__name__}, not a search space"
    if get_space(space.ref.label) is not space:
        return f"its label {space.ref.label!r} does not give the same space back"
    return text_problem(space, spec)


# ------------------------------------------------------------------------ input generators

SPECIAL_TEXT = (
    "", " ", "\t", "\n", "\x00", "\x1c", "\u2003", "\u3000", "\ufeff", "١٤", "١", "٠", "۱۶",
    "१६", "１６", "1_4", "+1", "-1", "-0", "007", "0x10", "1e3", "1e400", "nan", "inf", "-inf",
    "True", "False", "None", "[]", "()", "{}", "{1}", "[[]]", "range(2, 1000000000000)",
    "range(2, 6)", "range(6)", "9" * 22, "9" * 5000, "[" * 3000 + "]" * 3000,
    "(" * 3000 + ")" * 3000, "Genotype(", ")", "'", '"', "\\", ",", ";", "=", ":", "|", "~",
    "+", "/", ".", "1.5", "0.9", "-0.5", "0.0", "1j", "b'x'", "...", "lambda: 0", "__import__",
    "'none'", "'sep_conv_3x3'", "('none', 0)", "['skip_connect', 1]", "é", "ß", "\U0001f600",
)


def rand_text(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return "".join(chr(rng.randrange(32, 127)) for _ in range(rng.randrange(40)))
    if kind == 1:
        return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(20)))
    if kind == 2:
        return "".join(rng.choice(SPECIAL_TEXT) for _ in range(rng.randrange(1, 4)))
    return rng.choice(SPECIAL_TEXT) * rng.choice((1, 2, 100, 10_000))


def mutate_text(rng: random.Random, text: str) -> str:
    """``text`` with 1-3 random edits (replace, delete, duplicate, insert, swap numbers)."""
    for _ in range(rng.randrange(1, 4)):
        if not text:
            return rand_text(rng)
        a = rng.randrange(len(text))
        b = min(len(text), a + rng.randrange(1, 12))
        kind = rng.randrange(6)
        if kind == 0:
            text = text[:a] + rng.choice(SPECIAL_TEXT) + text[b:]
        elif kind == 1:
            text = text[:a] + text[b:]
        elif kind == 2:
            text = text[:b] + text[a:b] * rng.choice((1, 2, 50)) + text[b:]
        elif kind == 3:
            text = text[:a] + chr(rng.randrange(32, 127)) + text[a + 1:]
        elif kind == 4:  # replace one number by a strange one
            numbers_at = [m.span() for m in re.finditer(r"[0-9]+(\.[0-9]+)?", text)]
            if numbers_at:
                x, y = rng.choice(numbers_at)
                text = text[:x] + rng.choice(
                    ("١٤", "1_4", "+1", "-1", "007", "9" * 22, "0", "1", "2", "3", "6", "8",
                     "14", "32", "48", "64", "1e3", "nan", "0.5", "2.0", "1000000000",
                     "١", "٣٢")) + text[y:]
        else:
            text = text[:a] + text[a:b].upper() + text[b:]
    return text


def weird_value(rng: random.Random, depth: int = 0) -> Any:
    """An arbitrary Python value (scalars, numpy values, text, nested containers)."""
    kind = rng.randrange(16 if depth < 3 else 11)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randrange(-3, 10)
    if kind == 3:
        return rng.choice((10**9, 2**63, -(2**63) - 1, 10**22, 10**4000, 10**5000))
    if kind == 4:
        return rng.choice((0.0, 0.9, -0.5, 1.0, 2.5, float("nan"), float("inf"), 1e308, -0.0))
    if kind == 5:
        return rng.choice((np.int64(1), np.int8(-1), np.uint8(3), np.float32(1.0),
                           np.bool_(True), np.int64(2**62), np.float64("nan")))
    if kind == 6:
        return rand_text(rng)
    if kind == 7:
        return rng.choice((b"abc", bytearray(b"1"), 1j, range(3), Ellipsis, object()))
    if kind == 8:
        return rng.choice(SPECIAL_TEXT)
    if kind == 9:
        return np.array(rng.choice(([0, 1], [[0.5]], [["a"]], [], [[1, 0], [0, 1]])))
    if kind == 10:
        return rng.choice(([[]] * 3, [[[[[]]]]], [0] * 100_000, list(range(50))))
    if kind <= 12:
        return [weird_value(rng, depth + 1) for _ in range(rng.randrange(6))]
    if kind == 13:
        return tuple(weird_value(rng, depth + 1) for _ in range(rng.randrange(6)))
    if kind == 14:
        return {rand_text(rng)[:10]: weird_value(rng, depth + 1)
                for _ in range(rng.randrange(4))}
    return rng.choice(({1, 2}, frozenset({1, 2})))


def mutate_value(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """``value`` (nested lists, tuples and dicts) with one element changed, removed, added
    or replaced by a weird value; the structure is copied, never changed in place."""
    if depth > 5 or rng.random() < 0.15:
        return weird_value(rng, depth)
    if isinstance(value, dict):
        out = dict(value)
        if not out or rng.random() < 0.1:
            out[rand_text(rng)[:8]] = weird_value(rng)
            return out
        key = rng.choice(list(out))
        if rng.random() < 0.15:
            del out[key]
        else:
            out[key] = mutate_value(rng, out[key], depth + 1)
        return out
    if isinstance(value, list | tuple):
        out = list(value)
        r = rng.random()
        if not out or r < 0.1:
            out.insert(rng.randrange(len(out) + 1), weird_value(rng, depth + 1))
        elif r < 0.2:
            del out[rng.randrange(len(out))]
        elif r < 0.25:
            out = out * rng.choice((2, 1000))
        else:
            k = rng.randrange(len(out))
            out[k] = mutate_value(rng, out[k], depth + 1)
        return tuple(out) if isinstance(value, tuple) and rng.random() < 0.8 else out
    if isinstance(value, str):
        return mutate_text(rng, value)
    if isinstance(value, bool | numbers.Number):
        return weird_value(rng, depth) if rng.random() < 0.5 else rng.choice(
            (value + 1 if not isinstance(value, bool) else value, -1, 0, float(value), True,
             np.int64(value) if isinstance(value, int) else value, str(value)))
    return weird_value(rng, depth)


# --------------------------------------------------------------------------------- targets


@dataclass
class Target:
    """One parser of one space: how to call it, draw an input and judge what it returned."""

    space: str
    parser: str
    call: Callable[[Any], Any]
    draw: Callable[[random.Random], Any]
    problem: Callable[[Any, Any], str | None]


def valid_samples(space: SearchSpace, n: int = 8) -> list:
    rng = np.random.default_rng(0)
    return [space.sample(rng) for _ in range(n)]


def targets_of(name: str) -> list[Target]:
    """The public parsers of the registered space ``name``."""
    space = get_space(name)
    archs = valid_samples(space)
    texts = [space.to_str(a) for a in archs]
    vectors = [space.to_decisions(a) for a in archs]
    out = [
        Target(name, "from_str", space.from_str,
               lambda r: (mutate_text(r, r.choice(texts)) if r.random() < 0.7 else
                          rand_text(r) if r.random() < 0.7 else weird_value(r)),
               lambda s, a: text_problem(space, s) or arch_problem(space, a)),
        Target(name, "from_decisions", space.from_decisions,
               lambda r: mutate_value(r, r.choice(vectors)) if r.random() < 0.85
               else weird_value(r),
               lambda v, a: decisions_problem(space, v, a)),
        Target(name, "decode", space.decode,
               lambda r: mutate_value(r, r.choice(vectors)) if r.random() < 0.85
               else weird_value(r),
               lambda v, a: decisions_problem(space, v, a)),
    ]
    if space.indexable:
        size = space.size()
        out.append(Target(
            name, "from_index", space.from_index,
            lambda r: r.choice((0, size - 1, size, -1, r.randrange(size), 10**30, -(10**30),
                                np.int64(r.randrange(size)), np.uint16(1), 1.0, True, None,
                                "3", float("nan"), np.float64(2.0), [1], 10**5000))
            if r.random() < 0.9 else weird_value(r),
            lambda i, a: index_problem(space, i, a)))
    if hasattr(space, "from_spec"):
        specs = [([list(row) for row in a.matrix], list(a.ops)) for a in archs]
        def draw_spec(r: random.Random) -> tuple[Any, Any]:
            matrix, ops = r.choice(specs)
            kind = r.randrange(4)
            if kind == 0:
                return mutate_value(r, matrix), ops
            if kind == 1:
                return matrix, mutate_value(r, ops)
            if kind == 2:
                return mutate_value(r, matrix), mutate_value(r, ops)
            return r.choice(((np.zeros((3000, 3000)), ["input"] * 3000),
                             ([[0] * 3000] * 3000, ["input"] * 3000), ([[0, 1], [0, 0]], "io"),
                             (np.array([[0, 1.0], [0, 0]]), ["input", "output"]),
                             ([[0, True], [0, 0]], ["input", "output"]),
                             (weird_value(r), weird_value(r))))

        out.append(Target(name, "from_spec", lambda x: space.from_spec(*x), draw_spec,
                          lambda x, a: arch_problem(space, a)))
    if hasattr(space, "from_compact"):
        compacts = [space.to_compact(a) for a in archs if "none" not in space.to_str(a)]
        if compacts:
            out.append(Target(
                name, "from_compact", space.from_compact,
                lambda r: (mutate_text(r, r.choice(compacts)) if r.random() < 0.5 else
                           mutate_value(r, json.loads(r.choice(compacts)))
                           if r.random() < 0.8 else weird_value(r)),
                lambda c, a: (text_problem(space, c) if isinstance(c, str) else None)
                or arch_problem(space, a)))
    if hasattr(space, "from_config"):
        configs = [space.to_config(a) for a in archs]
        out.append(Target(
            name, "from_config", space.from_config,
            lambda r: mutate_value(r, r.choice(configs)) if r.random() < 0.9
            else weird_value(r),
            lambda c, a: arch_problem(space, a)))
    return out


OPTION_NAMES = {"nb201": ("C", "N"), "darts": ("ops", "distinct_inputs", "preset", "channels",
                                                "layers", "auxiliary", "drop_path_prob"),
                "nb301": ("preset", "channels", "layers", "stem", "affine_ops")}
OPTION_VALUES = ("16", "8", "4", "1", "0", "-1", "{}", "[]", "[1, 2]", "{1: 2}", "{1}", "()",
                 "(16,)", "True", "None", "1.5", "1e400", "nan", "'x'", "\"16\"", "1_6", "١٦",
                 "9" * 22, "9" * 4000, "[" * 200 + "]" * 200, "[[[1]]]", "swap", "naslib",
                 "none|skip_connect", "none+skip_connect", "[['none']]", "0.2", "b'x'", "1j",
                 "'none', 'skip_connect'", "('none', 'skip_connect')", "")


def spec_target() -> Target:
    """``get_space("name:key=value,...")`` with strange names, keys and values."""
    names = list_spaces()

    def draw(r: random.Random) -> str:
        name = r.choice(names + ["", "nb999", " nb201 ", "NB201"])
        keys = OPTION_NAMES.get(name, ("C", "x"))
        items = [f"{r.choice(keys + ('', ' ', 'C C', '1'))}{r.choice(('=', '=', '', '=='))}"
                 f"{r.choice(OPTION_VALUES)}" for _ in range(r.randrange(4))]
        spec = name + r.choice((":", ":", "::", "")) + r.choice((",", ", ", ";")).join(items)
        return mutate_text(r, spec) if r.random() < 0.3 else spec

    return Target("(all)", "get_space", get_space, draw, spec_problem)


# ---------------------------------------------------------------------------------- runner


@dataclass
class Counts:
    tried: int = 0
    accepted: int = 0
    rejected: int = 0
    crashes: int = 0
    invalid: int = 0
    slow: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, kind: str, value: Any, what: str) -> None:
        if len(self.examples) < 3:
            try:
                shown = repr(value)
            except ValueError:  # an int too long to print
                shown = f"<{type(value).__name__} that repr refuses>"
            self.examples.append(f"{kind}: {shown[:160]} -> {what[:200]}")


class _Stuck(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Stuck()


def run_one(target: Target, value: Any, counts: Counts) -> None:
    counts.tried += 1
    start = time.perf_counter()
    elapsed = 0.0
    signal.alarm(HARD_LIMIT_S)
    try:
        try:
            result = target.call(value)
        finally:
            signal.alarm(0)
            elapsed = time.perf_counter() - start
    except NaslibZeroError as err:
        if str(err).strip():
            counts.rejected += 1
        else:
            counts.crashes += 1
            counts.note("empty message", value, type(err).__name__)
    except _Stuck:
        counts.crashes += 1
        counts.note("stuck", value, f"still running after {HARD_LIMIT_S} s")
    except Exception as err:  # noqa: BLE001  (what the fuzz is looking for)
        counts.crashes += 1
        counts.note("crash", value, f"{type(err).__name__}: {str(err)[:200]}")
    else:
        if result is None and target.parser == "decode":  # decode's way of rejecting
            counts.rejected += 1
        else:
            counts.accepted += 1
            try:
                problem = target.problem(value, result)
            except Exception as err:  # noqa: BLE001
                problem = f"checking the result raised {type(err).__name__}: {err}"
            if problem:
                counts.invalid += 1
                counts.note("accepted invalid", value, problem)
    if elapsed > SLOW_S:
        counts.slow += 1
        counts.note("slow", value, f"{elapsed:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="inputs per parser")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spaces", default="*", help="shell pattern of space names")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    targets = [t for name in list_spaces(args.spaces) for t in targets_of(name)]
    targets.append(spec_target())
    rows: list[tuple[Target, Counts, float]] = []
    start = time.perf_counter()
    for k, target in enumerate(targets):
        rng = random.Random(f"{args.seed}:{target.space}:{target.parser}")
        counts = Counts()
        t0 = time.perf_counter()
        for _ in range(args.examples):
            run_one(target, target.draw(rng), counts)
        rows.append((target, counts, time.perf_counter() - t0))
        print(f"[{k + 1}/{len(targets)}] {target.space}.{target.parser}: {counts.tried} tried, "
              f"{counts.crashes} crashes, {counts.invalid} accepted invalid, {counts.slow} slow",
              file=sys.stderr, flush=True)

    print(f"| space | parser | tried | accepted | rejected | crashes | accepted invalid | "
          f"slow (> {SLOW_S:g} s) | time (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    total = Counts()
    for target, c, seconds in rows:
        print(f"| {target.space} | {target.parser} | {c.tried} | {c.accepted} | {c.rejected} | "
              f"{c.crashes} | {c.invalid} | {c.slow} | {seconds:.1f} |")
        for name in ("tried", "accepted", "rejected", "crashes", "invalid", "slow"):
            setattr(total, name, getattr(total, name) + getattr(c, name))
    print(f"| **total** | {len(rows)} parsers | {total.tried} | {total.accepted} | "
          f"{total.rejected} | {total.crashes} | {total.invalid} | {total.slow} | "
          f"{time.perf_counter() - start:.1f} |")
    for target, c, _ in rows:
        for example in c.examples:
            print(f"{target.space}.{target.parser}: {example}")
    return 1 if total.crashes or total.invalid or total.slow else 0


if __name__ == "__main__":
    sys.exit(main())
