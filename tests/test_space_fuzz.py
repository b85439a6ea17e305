"""Malformed input to every public parser of every registered space.

Each input either gives an architecture that is valid and round-trips (``from_str(to_str(a))
== a``) or raises the project's own error (a ``NaslibZeroError`` with a message), within a
second; accepted strings use only the grammar spaces print (ASCII, numbers without sign,
underscore or leading zero), accepted decision vectors and indices are real ints in range.
The property tests are small and derandomized for CI; ``benchmarks/fuzz_parsers.py`` runs the
long version. The regression tests below pin the cases of the issue that found the bugs.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naslib_zero.core.errors import (
    InvalidArchitectureError,
    InvalidArgumentError,
    NaslibZeroError,
)
from search_spaces import get_space, list_spaces
from search_spaces.base import SearchSpace
from search_spaces.darts_genotype import read_genotype
from search_spaces.nds import FAMILIES
from search_spaces.nds_cells import CELL_FAMILIES, DEPTHS, WIDTHS

SPACES = {name: get_space(name) for name in list_spaces()}
NAMES = sorted(SPACES)
GENOTYPE_SPACES = ["darts", "nb301", *sorted(CELL_FAMILIES)]
FUZZ = settings(max_examples=15, deadline=1000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REJECTED = object()


# --------------------------------------------------------------------------------- oracle


def outcome(call: Callable[[Any], Any], value: Any) -> Any:
    """``call(value)``, or REJECTED when it raised a NaslibZeroError with a message; any other
    exception fails the test, and so does a call of more than a second."""
    start = time.perf_counter()
    try:
        result = call(value)
    except NaslibZeroError as err:
        assert str(err).strip(), f"{type(err).__name__} without a message"
        result = REJECTED
    assert time.perf_counter() - start < 1.0, "a parser took more than a second"
    return result


def assert_valid(space: SearchSpace, arch: Any) -> None:
    assert space.is_valid(arch)
    text = space.to_str(arch)
    again = space.from_str(text)
    assert again == arch and space.to_str(again) == text
    hash(arch)


_LAX = [re.compile(p) for p in (r"[^\x20-\x7e\t\n\r]", r"(?<![0-9A-Za-z_])[0-9]+_[0-9]",
                                r"(?<![eE0-9A-Za-z_])[+-][0-9]")]
_LEADING_ZERO = re.compile(r"(?<![0-9A-Za-z_.+-])0[0-9]")


def assert_printed_grammar(space: SearchSpace, text: str) -> None:
    """An accepted string has no non-ASCII or control character, no ``1_4``, no ``+3``, and
    (outside NB101's 0/1 rows) no leading zero."""
    for pattern in _LAX:
        assert not pattern.search(text), f"accepted {text!r} ({pattern.pattern})"
    if space.name != "nb101":
        assert not _LEADING_ZERO.search(text), f"accepted a leading zero in {text!r}"


def is_choice(value: Any, size: int) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_) \
        and 0 <= value < size


# ----------------------------------------------------------------------------- strategies

SPECIAL = ["", " ", "\t", "\n", "\x00", "\x1c", "\u2003", "\ufeff", "١٤", "١", "۱۶", "１６",
           "1_4", "+1", "-1", "-0", "007", "0x10", "1e3", "1e400", "nan", "inf", "True", "None",
           "[]", "()", "{}", "range(2, 1000000000000)", "range(2, 6)", "9" * 22, "9" * 5000,
           "[" * 3000 + "]" * 3000, "Genotype(", ")", "'", '"', ",", ";", "=", ":", "|", "~",
           "+", "/", ".", "1.5", "0.9", "-0.5", "1j", "é", "\U0001f600"]
HUGE = [10**22, 2**63, -(2**63) - 1, 10**4000]  # 10**5000 (repr refuses it) in tests below

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 40), st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL),
    st.text(max_size=8), st.sampled_from([np.int64(1), np.int8(-1), np.float32(1.0),
                                          np.bool_(True), np.float64("nan")]),
    st.binary(max_size=4), st.just(frozenset({1})),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def edited_text(draw: st.DrawFn, texts: list[str]) -> str:
    """A valid string with 1-3 edits (insert, delete, replace a span, swap a number)."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 3))):
        a = draw(st.integers(0, len(text)))
        b = min(len(text), a + draw(st.integers(0, 10)))
        piece = draw(st.sampled_from(SPECIAL) | st.text(max_size=3))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "number"]))
        if kind == "insert":
            text = text[:a] + piece + text[a:]
        elif kind == "delete":
            text = text[:a] + text[b:]
        elif kind == "replace":
            text = text[:a] + piece + text[b:]
        else:
            spans = [m.span() for m in re.finditer(r"[0-9]+(\.[0-9]+)?", text)]
            if spans:
                x, y = draw(st.sampled_from(spans))
                text = text[:x] + draw(st.sampled_from(
                    ["١٤", "1_4", "+1", "-1", "007", "9" * 22, "0", "2", "6", "14", "32", "64",
                     "1e3", "nan", "0.5", "1000000000"])) + text[y:]
    return text


@st.composite
def edited_value(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` (nested lists, tuples, dicts) with one element replaced, dropped or added
    somewhere inside; the original is not changed."""
    if depth > 4 or draw(st.integers(0, 9)) == 0:
        return draw(junk)
    if isinstance(value, dict) and value:
        out = dict(value)
        key = draw(st.sampled_from(sorted(out)))
        action = draw(st.sampled_from(["edit", "edit", "drop", "add"]))
        if action == "drop":
            del out[key]
        elif action == "add":
            out[draw(st.text(max_size=6))] = draw(junk)
        else:
            out[key] = draw(edited_value(out[key], depth + 1))
        return out
    if isinstance(value, list | tuple) and value:
        out = list(value)
        k = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["edit", "edit", "edit", "drop", "add"]))
        if action == "drop":
            del out[k]
        elif action == "add":
            out.insert(k, draw(junk))
        else:
            out[k] = draw(edited_value(out[k], depth + 1))
        return tuple(out) if isinstance(value, tuple) else out
    if isinstance(value, str):
        return draw(edited_text([value]))
    return draw(junk)


def samples(space: SearchSpace, n: int = 6) -> list:
    rng = np.random.default_rng(0)
    return [space.sample(rng) for _ in range(n)]


# ------------------------------------------------------------------------ property tests


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_from_str(name: str, data: st.DataObject) -> None:
    space = SPACES[name]
    texts = [space.to_str(a) for a in samples(space)]
    text = data.draw(edited_text(texts) | st.text(max_size=60) | st.sampled_from(SPECIAL)
                     | junk)
    arch = outcome(space.from_str, text)
    if arch is not REJECTED:
        assert_printed_grammar(space, text)
        assert_valid(space, arch)


@pytest.mark.parametrize("parser", ["from_decisions", "decode"])
@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_decisions(name: str, parser: str, data: st.DataObject) -> None:
    space = SPACES[name]
    vectors = [space.to_decisions(a) for a in samples(space)]
    values = data.draw(st.sampled_from(vectors).flatmap(edited_value) | junk)
    arch = outcome(getattr(space, parser), values)
    if arch is not REJECTED and arch is not None:
        sizes = space.decisions()
        assert len(values) == len(sizes) and all(is_choice(v, n) for v, n in zip(values, sizes))
        assert_valid(space, arch)


@pytest.mark.parametrize("name", [n for n in NAMES if SPACES[n].indexable])
@FUZZ
@given(data=st.data())
def test_from_index(name: str, data: st.DataObject) -> None:
    space = SPACES[name]
    size = space.size()
    i = data.draw(st.integers(-2, size + 2) | st.sampled_from(
        [0, size - 1, size, np.int64(3), np.uint8(1), 1.0, True, "3", None, *HUGE]) | junk)
    arch = outcome(space.from_index, i)
    if arch is not REJECTED:
        assert is_choice(i, size) and space.index(arch) == i
        assert_valid(space, arch)


@FUZZ
@given(data=st.data())
def test_nb101_from_spec(data: st.DataObject) -> None:
    space = SPACES["nb101"]
    specs = [([list(r) for r in a.matrix], list(a.ops)) for a in samples(space)]
    matrix, ops = data.draw(st.sampled_from(specs))
    which = data.draw(st.sampled_from(["matrix", "ops", "both"]))
    if which != "ops":
        matrix = data.draw(edited_value(matrix) | st.just(np.zeros((3000, 3000))))
    if which != "matrix":
        ops = data.draw(edited_value(ops))
    arch = outcome(lambda spec: space.from_spec(*spec), (matrix, ops))
    if arch is not REJECTED:
        assert_valid(space, arch)


@pytest.mark.parametrize("matrix, ops", [
    ([[0, 1], [0, "9" * 10**7]], ["input", "output"]),  # numpy would make a 7x7 of 40 MB each
    ([[0] * 3000] * 3000, ["input"] * 3000),
    (np.zeros((3000, 3000)), ["input", "output"]),
    ("0" * 10**7, ["input", "output"]),
    ([[0, 1], [0, 0]], ["input", "x" * 10**7]),
    ([[0, 1], [0, 0]], ["input"] * 10**6),
])
def test_nb101_specs_are_checked_before_numpy_copies_them(matrix: Any, ops: Any) -> None:
    assert outcome(lambda spec: SPACES["nb101"].from_spec(*spec), (matrix, ops)) is REJECTED


@pytest.mark.parametrize("name", ["darts", "nb301"])
@FUZZ
@given(data=st.data())
def test_from_compact(name: str, data: st.DataObject) -> None:
    space = SPACES[name]
    compacts = [space.to_compact(a) for a in samples(space) if "none" not in space.to_str(a)]
    value = data.draw(edited_text(compacts) | st.sampled_from(compacts).map(json.loads).flatmap(
        edited_value) | junk)
    arch = outcome(space.from_compact, value)
    if arch is not REJECTED:
        if isinstance(value, str):
            assert_printed_grammar(space, value)
        assert_valid(space, arch)


@pytest.mark.parametrize("name", [n for n in NAMES if hasattr(SPACES[n], "from_config")])
@FUZZ
@given(data=st.data())
def test_from_config(name: str, data: st.DataObject) -> None:
    space = SPACES[name]
    configs = [space.to_config(a) for a in samples(space)]
    value = data.draw(st.sampled_from(configs).flatmap(edited_value) | junk)
    arch = outcome(space.from_config, value)
    if arch is not REJECTED:
        assert_valid(space, arch)


OPTION_KEYS = ["C", "N", "ops", "preset", "channels", "layers", "auxiliary", "distinct_inputs",
               "drop_path_prob", "stem", "x", "1", "C C", ""]
OPTION_VALUES = ["16", "4", "0", "-1", "{}", "[]", "[1, 2]", "{1}", "()", "True", "None", "1.5",
                 "1e400", "nan", "'x'", '"16"', "1_6", "+16", "016", "9" * 22, "9" * 4000,
                 "[" * 200 + "]" * 200, "swap", "naslib", "none|skip_connect",
                 "('none', 'skip_connect')", "0.2", "b'x'", "1j", "", "١٦"]


@FUZZ
@given(data=st.data())
def test_get_space_option_strings(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from([*NAMES, "", "nb999", " nb201 "]))
    items = data.draw(st.lists(st.tuples(st.sampled_from(OPTION_KEYS),
                                         st.sampled_from(["=", "", "=="]),
                                         st.sampled_from(OPTION_VALUES)), max_size=3))
    spec = name + data.draw(st.sampled_from([":", "::", ""])) + ",".join(
        k + s + v for k, s, v in items)
    if data.draw(st.booleans()):
        spec = data.draw(edited_text([spec]))
    space = outcome(get_space, spec)
    if space is not REJECTED:
        assert isinstance(space, SearchSpace)
        assert get_space(space.ref.label) is space
        assert_printed_grammar(space, spec)


# ---------------------------------------------------------------------- regression cases

VALID_GENOTYPE = ("Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 0),"
                  " ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), "
                  "('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat={c}, "
                  "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
                  "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), "
                  "('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


def cell_text(name: str, arch_text: str | None = None, **fields: str) -> str:
    """A valid string of NDS cell space ``name`` with some ``key=value`` fields replaced."""
    text = arch_text or SPACES[name].to_str(samples(SPACES[name], 1)[0])
    for key, value in fields.items():
        text = re.sub(rf"{key}=[^;]*", f"{key}={value}", text, count=1)
    return text


@pytest.mark.parametrize("concat", ["range(2, 1000000000000)", "range(2, 1234567890123456789012)",
                                    "[2, 3, 4, 1234567890123456789012]", "range(2, 6, 0)",
                                    "range(2, 100000)"])
def test_genotype_bounds_are_checked_before_anything_is_built(concat: str) -> None:
    assert SPACES["darts"].from_str(VALID_GENOTYPE.format(c="range(2, 6)"))
    for name in ("darts", "nb301"):
        assert outcome(SPACES[name].from_str, VALID_GENOTYPE.format(c=concat)) is REJECTED
        with pytest.raises(InvalidArchitectureError, match="concat|not a DARTS genotype"):
            SPACES[name].from_str(VALID_GENOTYPE.format(c=concat))


@pytest.mark.parametrize("name", GENOTYPE_SPACES)
@pytest.mark.parametrize("text", ["[" * 3000 + "]" * 3000, "(" * 3000 + ")" * 3000,
                                  VALID_GENOTYPE.format(c="[" * 3000 + "]" * 3000),
                                  VALID_GENOTYPE.format(c="[2, 3, 4, 5]") * 100,
                                  "Genotype(" + "[" * 100_000])
def test_deep_or_long_genotype_text_is_rejected(name: str, text: str) -> None:
    space = SPACES[name]
    parse = space.from_str if name in ("darts", "nb301") else \
        (lambda t: space.rules.from_parts(*read_genotype(t)))
    assert outcome(parse, text) is REJECTED
    if name in ("darts", "nb301"):
        assert outcome(space.from_compact, text) is REJECTED


def test_compact_rejects_huge_and_deep_numbers() -> None:
    space = SPACES["nb301"]
    good = space.to_compact(samples(space, 1)[0])
    assert space.from_compact(good) == space.from_compact(eval(good))
    first = re.compile(r"[0-9]+")
    for bad in (first.sub("9" * 5000, good, 1), good[:-1] + ", " + "9" * 5000 + "]",
                first.sub("-0", good, 1), first.sub("00", good, 1), first.sub("1_0", good, 1),
                "[[[0, 1.0]], []]", "[[[0, true]], []]", "[[[0, 1]], [[0, 1]]]" + " " * 20_000):
        assert outcome(space.from_compact, bad) is REJECTED
    with pytest.raises(InvalidArchitectureError):
        space.from_compact([[[10**5000, 1]] * 8, [[0, 1]] * 8])


@pytest.mark.parametrize("spec, message", [
    ("nb201:C={}", "C must be a positive int"),
    ("nb201:C=16,C=8", "given twice"),
    ("nb201:C=[{}]", "C must be a positive int"),
    ("nb201:C=1_6", "C must be a positive int"),
    ("nb201:C=" + "9" * 500, "C must be a positive int"),
    ("nb201:C=" + "9" * 5000, "at most 1000 printable ASCII"),
    ("nb201:C=" + "[" * 50 + "]" * 50, "nested more than"),
    ("nb201:C=4096000", "at most"),
    ("darts:channels=" + "9" * 30, "channels must be a positive int"),
    ("nb201:C\u2003=16", "printable ASCII"),
])
def test_bad_space_option_strings(spec: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        get_space(spec)


def test_space_options_must_be_hashable_values() -> None:
    with pytest.raises(InvalidArgumentError, match="must be a number, string, bool"):
        get_space("nb201", C={})
    with pytest.raises(InvalidArgumentError, match="given both"):
        get_space("nb201:C=8", C=8)
    space = get_space("darts:ops=('none', 'skip_connect', 'sep_conv_3x3'),channels=8")
    assert get_space(space.ref.label) is space
    assert get_space("nb201:C=8") is get_space("nb201", C=8)


@pytest.mark.parametrize("name", sorted(FAMILIES))
@pytest.mark.parametrize("bad", ["floats", "negative floats", "strings", "bools", "out of range",
                                 "float array", "short", "text"])
def test_anynet_decisions_take_only_ints_in_range(name: str, bad: str) -> None:
    space = SPACES[name]
    good = space.to_decisions(samples(space, 1)[0])
    n = len(good)
    values = {"floats": [0.9] * n, "negative floats": [-0.5] * n, "strings": ["0"] * n,
              "bools": [False] * n, "out of range": [10**30] * n,
              "float array": np.zeros(n), "short": good[:-1], "text": "0" * n}[bad]
    with pytest.raises(InvalidArchitectureError):
        space.from_decisions(values)
    assert space.decode(values) is None
    assert space.from_decisions(np.array(good, dtype=np.int64)) == space.from_decisions(good)


@pytest.mark.parametrize("name", sorted(CELL_FAMILIES))
@pytest.mark.parametrize("fields", [{"depth": "1000000000"}, {"width": "2"}, {"depth": "١٤"},
                                    {"depth": "1_4"}, {"depth": "+14"}, {"depth": "014"},
                                    {"depth": "14.0"}, {"width": "9" * 5000},
                                    {"drop_prob": "nan"}, {"drop_prob": "0_0"},
                                    {"drop_prob": "-0.0"}, {"drop_prob": "١"}, {"aux": "1"}])
def test_nds_cell_strings_take_the_printed_grammar_and_ranges(name: str,
                                                                fields: dict[str, str]) -> None:
    space = SPACES[name]
    assert space.from_str(cell_text(name, depth="14", width="48")).depth == 14
    with pytest.raises(InvalidArchitectureError):
        space.from_str(cell_text(name, **fields))


@pytest.mark.parametrize("name", sorted(CELL_FAMILIES))
def test_nds_cell_configs_take_the_ranges(name: str) -> None:
    space = SPACES[name]
    config = space.to_config(samples(space, 1)[0])
    for key, value in (("depth", 10**9), ("width", 2), ("depth", 8), ("width", 33),
                       ("depth", 14.0), ("depth", True), ("drop_prob", 10**5000)):
        bad = copy.deepcopy(config) | {key: value}
        with pytest.raises(InvalidArchitectureError, match=key):
            space.from_config(bad)
    negative_zero = space.from_config(copy.deepcopy(config) | {"drop_prob": -0.0})
    assert space.from_str(space.to_str(negative_zero)) == negative_zero
    assert {a.depth for a in samples(space, 40)} <= set(DEPTHS)
    assert {a.width for a in samples(space, 40)} <= set(WIDTHS)
    with pytest.raises(InvalidArchitectureError, match="not a DARTS genotype string"):
        space.from_str(cell_text(name).split("Genotype")[0] + "[[[0, 1]], []]")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("text", ["\u2003" + "x", "x" * 2_000_000, "1_4", "١٤"])
def test_every_space_rejects_foreign_or_huge_text(name: str, text: str) -> None:
    space = SPACES[name]
    valid = space.to_str(samples(space, 1)[0])
    for bad in (text, valid + text, text + valid, "\u3000" + valid):
        assert outcome(space.from_str, bad) is REJECTED


@pytest.mark.parametrize("name", NAMES)
def test_huge_ints_in_values_give_project_errors(name: str) -> None:
    space = SPACES[name]
    n = len(space.decisions())
    for values in ([10**5000] * n, 10**5000, range(10**30), None, 3, "0" * n):
        assert outcome(space.from_decisions, values) is REJECTED
        assert outcome(space.decode, values) in (None, REJECTED)
    if space.indexable:
        for i in (10**5000, -(10**5000), 1.0, np.float64(2.0), "3"):
            assert outcome(space.from_index, i) is REJECTED
