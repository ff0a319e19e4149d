"""Formulas as text: reading infix into postfix tokens, and naming columns so that what is
printed reads back.

A column name that is not a plain identifier (``grad norm``, ``1x``, ``3``, a keyword, a
function's name) is written between backticks, `` `grad norm` * nwot ``, and read back the same
way; names may not contain backticks. Names are matched exactly (no Unicode normalisation, unlike
Python identifiers). Reading is one left-to-right pass with explicit stacks (no recursion), so
any nesting that fits in :data:`MAX_FORMULA_LENGTH` characters reads back, in linear time.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterator, Sequence

from zcfast._messages import describe_value
from zcfast._params import fail, found_type
from zcfast.exceptions import ArgumentTypeError, UnknownNameError, ZcfastError

__all__ = ["MAX_FORMULA_LENGTH", "check_names", "parse_formula", "printable_name"]

#: Longest formula text accepted (a million characters; evolved formulas are far shorter).
MAX_FORMULA_LENGTH = 1_000_000
#: A bare column name: what :func:`printable_name` leaves without backticks and the reader
#: takes as one name.
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_SPACE = re.compile(r"\s*")
_TOKEN = re.compile(
    r"(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|`(?P<quoted>[^`]*)`"
    r"|(?P<pow>\*\*|\^)"
    r"|(?P<op>[-+*/(),])"
)
_BINARY = {"+": ("add", 1), "-": ("sub", 1), "*": ("mul", 2), "/": ("div", 2)}
#: Precedence of unary minus: below ``^2``, above ``*`` and ``/`` (as in Python).
_UNARY = 3


def printable_name(name: str, reserved: frozenset[str]) -> str:
    """``name`` as a formula writes it: bare if it is a plain identifier, else in backticks."""
    plain = (
        _IDENTIFIER.fullmatch(name) is not None
        and not keyword.iskeyword(name)
        and name not in reserved
    )
    return name if plain else f"`{name}`"


def check_names(names: object, arg: str = "feature_names") -> tuple[str, ...]:
    """Validated column names: a sequence (not a string, set or mapping; a 1-D NumPy array or
    a pandas Index is fine) of unique strings (or integers, taken as their text), none empty
    or containing a backtick."""
    if not isinstance(names, (str, bytes)) and hasattr(names, "tolist"):
        listed = names.tolist()  # NumPy arrays, pandas Index and Series, polars Series
        names = listed if isinstance(listed, list) else names
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise fail(arg, "a list of column names", describe_value(names), ArgumentTypeError)
    out = []
    for n in names:
        if isinstance(n, bool) or not isinstance(n, (str, int)):
            raise fail(arg, "names (str)", describe_value(n), ArgumentTypeError)
        text = str(n)
        if not text or "`" in text:
            raise fail(arg, "non-empty names without backticks", describe_value(text))
        out.append(text)
    if len(set(out)) != len(out):
        seen: set[str] = set()
        dupes = sorted({n for n in out if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
        raise fail(arg, "unique names", f"duplicates {dupes[:20]}")
    return tuple(out)


class _Syntax:
    """Raises the errors of one formula, naming the place where reading stopped."""

    def __init__(self, formula: str) -> None:
        self.formula = formula

    def error(
        self, what: str, found: str, pos: int | None = None, error: type[ZcfastError] | None = None
    ) -> ZcfastError:
        where = "" if pos is None else f" at position {pos}"
        text = f"{found}{where} in {self.formula[:200]!r}"
        return fail("formula", what, text) if error is None else fail("formula", what, text, error)

    def syntax(self, pos: int, wanted: str) -> ZcfastError:
        if pos >= len(self.formula):
            return self.error(f"an arithmetic expression ({wanted})", "the end of the formula")
        return self.error(
            f"an arithmetic expression ({wanted})", repr(self.formula[pos : pos + 20]), pos
        )


_OPERAND = "a number, a column name, a function call, '-' or '('"
_OPERATOR = "an operator + - * / ^2, ',' or ')'"


def _tokens(formula: str, syntax: _Syntax) -> Iterator[tuple[str, str, int]]:
    """``(kind, text, position)`` of each token: num, name, quoted, pow or op."""
    pos, n = 0, len(formula)
    while True:
        pos = _SPACE.match(formula, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return
        m = _TOKEN.match(formula, pos)
        if m is None:
            raise syntax.syntax(pos, "numbers, column names, + - * / ^2, function calls")
        kind = m.lastgroup or "op"
        yield kind, m.group(kind), pos
        pos = m.end()


def _number(text: str, syntax: _Syntax, pos: int) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise syntax.error("a finite number (one a float can hold)", repr(text[:50]), pos)
    return value


def _column(name: str, index: dict[str, int], shown: str) -> str:
    """The feature token of column ``name`` (``shown`` as the formula wrote it)."""
    if name not in index:
        expected = f"column names from feature_names {list(index)[:20]}"
        raise fail("formula", expected, shown, UnknownNameError)
    return f"x{index[name]}"


def parse_formula(formula: object, names: tuple[str, ...], arities: dict[str, int]) -> list[str]:
    """Postfix tokens of the infix ``formula`` over ``names`` with the functions ``arities``.

    The grammar is Python's for these operators: ``+ -`` below ``* /`` below unary ``-`` below
    ``^2`` (also written ``**2``), left-associative; a ``-`` written directly before a number
    (``-2.5``, not ``-(2.5)`` and not ``-2^2``) is part of that number.
    """
    if not isinstance(formula, str):
        raise fail("formula", "a str", found_type(formula), ArgumentTypeError)
    if len(formula) > MAX_FORMULA_LENGTH:
        expected = f"at most {MAX_FORMULA_LENGTH:,} characters"
        raise fail("formula", expected, f"{len(formula):,}")
    syntax = _Syntax(formula)
    index = {n: i for i, n in enumerate(names)}
    tokens = list(_tokens(formula, syntax))
    out: list[str] = []
    # Pending operators: ("bin", token, precedence), ("neg", "neg", _UNARY), ("paren", "", 0)
    # or ("call", name, position); argument counts of open calls in ``counts``.
    ops: list[tuple[str, str, int]] = []
    counts: list[int] = []
    operand = True  # whether an operand comes next
    i, n = 0, len(tokens)
    while i < n:
        kind, text, pos = tokens[i]
        i += 1
        if operand:
            if kind == "num":
                out.append(_constant(_number(text, syntax, pos)))
                operand = False
            elif kind == "quoted":
                out.append(_column(text, index, f"`{text}`"))
                operand = False
            elif kind == "name" and i < n and tokens[i][1] == "(":
                if text not in arities:
                    expected = f"functions or reductions from {sorted(arities)}"
                    raise syntax.error(expected, repr(text), error=UnknownNameError)
                ops.append(("call", text, pos))
                counts.append(1)
                i += 1
            elif kind == "name":
                out.append(_column(text, index, repr(text)))
                operand = False
            elif text == "-":
                literal = i < n and tokens[i][0] == "num"
                if literal and not (i + 1 < n and tokens[i + 1][0] == "pow"):
                    _, number, at = tokens[i]
                    out.append(_constant(-_number(number, syntax, at)))
                    operand = False
                    i += 1
                else:
                    ops.append(("neg", "neg", _UNARY))
            elif text == "+":
                pass  # unary plus writes nothing
            elif text == "(":
                ops.append(("paren", "", pos))
            else:
                raise syntax.syntax(pos, _OPERAND)
            continue
        if kind == "pow":
            if not (i < n and tokens[i][0] == "num" and float(tokens[i][1]) == 2.0):
                shown = repr(formula[pos : pos + 20])
                raise syntax.error("only the power 2 (square)", shown, pos)
            i += 1
            if i < n and tokens[i][0] == "pow":
                shown = repr(formula[tokens[i][2] : tokens[i][2] + 20])
                raise syntax.error(
                    "only the power 2 (square), once (write (a^2)^2)", shown, tokens[i][2]
                )
            out.append("square")  # binds tightest: its operand is complete
        elif kind == "op" and text in _BINARY:
            token, prec = _BINARY[text]
            while ops and ops[-1][0] in ("bin", "neg") and ops[-1][2] >= prec:
                out.append(ops.pop()[1])
            ops.append(("bin", token, prec))
            operand = True
        elif text in (",", ")"):
            while ops and ops[-1][0] in ("bin", "neg"):
                out.append(ops.pop()[1])
            if not ops:
                raise syntax.error(
                    "an arithmetic expression (no unmatched ')' or ',')", repr(text), pos
                )
            if text == ",":
                if ops[-1][0] != "call":
                    raise syntax.error("',' only between the arguments of a function", "','", pos)
                counts[-1] += 1
                operand = True
                continue
            group, name, _ = ops.pop()
            if group == "call":
                got = counts.pop()
                if got != arities[name]:
                    raise syntax.error(
                        f"{name} with {arities[name]} argument(s)", f"{got} argument(s)", pos
                    )
                out.append(name)
        else:
            raise syntax.syntax(pos, _OPERATOR)
    if operand:
        raise syntax.syntax(len(formula), _OPERAND)
    while ops:
        group, token, pos = ops.pop()
        if group in ("paren", "call"):
            raise syntax.error("a closing ')' for every '('", "one never closed", pos)
        out.append(token)
    return out


def _constant(value: float) -> str:
    return f"c{value!r}"
