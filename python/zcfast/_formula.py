"""Formulas as text: reading infix into postfix tokens, and naming columns so that what is
printed reads back.

A column name that is not a plain identifier (``grad norm``, ``1x``, ``3``, a keyword, a
function's name) is written between backticks, `` `grad norm` * nwot ``, and read back the same
way; names may not contain backticks. Reading is iterative, so deeply nested formulas meet a
clear limit instead of Python's recursion limit.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Sequence
from typing import Any

from zcfast.exceptions import ArgumentTypeError, InvalidValueError, UnknownNameError

__all__ = ["MAX_FORMULA_LENGTH", "check_names", "parse_formula", "printable_name"]

#: Longest formula text accepted (a million characters; evolved formulas are far shorter).
MAX_FORMULA_LENGTH = 1_000_000
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}
_QUOTED = re.compile(r"`([^`]*)`")


def printable_name(name: str, reserved: frozenset[str]) -> str:
    """``name`` as a formula writes it: bare if it is a plain identifier, else in backticks."""
    plain = name.isidentifier() and not keyword.iskeyword(name) and name not in reserved
    return name if plain and not name.startswith("__zc") else f"`{name}`"


def check_names(names: object, arg: str = "feature_names") -> tuple[str, ...]:
    """Validated column names: a sequence (not a string or mapping) of unique strings (or
    integers, taken as their text), none empty or containing a backtick."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise ArgumentTypeError(f"{arg}: expected a list of column names, found {names!r:.80}")
    out = []
    for n in names:
        if isinstance(n, bool) or not isinstance(n, (str, int)):
            raise ArgumentTypeError(f"{arg}: expected names (str), found {n!r:.80}")
        text = str(n)
        if not text or "`" in text:
            raise InvalidValueError(
                f"{arg}: expected non-empty names without backticks, found {text!r}"
            )
        out.append(text)
    if len(set(out)) != len(out):
        dupes = sorted({n for n in out if out.count(n) > 1})
        raise InvalidValueError(f"{arg}: expected unique names, found duplicates {dupes}")
    return tuple(out)


def parse_formula(formula: object, names: tuple[str, ...], arities: dict[str, int]) -> list[str]:
    """Postfix tokens of the infix ``formula`` over ``names`` with the functions ``arities``."""
    if not isinstance(formula, str):
        raise ArgumentTypeError(f"formula: expected a str, found {type(formula).__name__}")
    if len(formula) > MAX_FORMULA_LENGTH:
        raise InvalidValueError(
            f"formula: expected at most {MAX_FORMULA_LENGTH:,} characters, found {len(formula):,}"
        )
    text = _unquote(formula, names)
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval").body
    except SyntaxError as exc:
        raise InvalidValueError(
            f"formula: expected an arithmetic expression, found {formula!r:.200} ({exc.msg})"
        ) from None
    except (RecursionError, MemoryError):
        raise InvalidValueError(
            f"formula: expected an expression Python's parser can nest, found one nested too"
            f" deeply ({len(formula):,} characters)"
        ) from None
    return _postfix(tree, names, arities, formula)


def _unquote(formula: str, names: tuple[str, ...]) -> str:
    """Backticked names replaced by placeholders that ``_postfix`` maps to columns."""
    index = {n: i for i, n in enumerate(names)}

    def placeholder(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in index:
            raise UnknownNameError(
                f"formula: expected column names from feature_names {list(names)[:20]},"
                f" found `{name}`"
            )
        return f"__zc{index[name]}__"

    return _QUOTED.sub(placeholder, formula)


def _postfix(
    root: ast.AST, names: tuple[str, ...], arities: dict[str, int], formula: str
) -> list[str]:
    """Postfix tokens by an explicit post-order walk (no recursion)."""
    out: list[str] = []
    # Entries: a node still to read, or (after its operands) the operator token to write.
    stack: list[ast.AST | str] = [root]
    index = {n: i for i, n in enumerate(names)}
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        leaf, children, op = _read(item, index, names, arities, formula)
        if leaf is not None:
            out.append(leaf)
            continue
        if op is not None:
            stack.append(op)
        stack.extend(reversed(children))
    return out


def _read(
    node: ast.AST,
    index: dict[str, int],
    names: tuple[str, ...],
    arities: dict[str, int],
    formula: str,
) -> tuple[str | None, list[ast.AST], str | None]:
    """One node: ``(leaf token, [], None)``, or ``(None, operands, operator token or None)``
    (None for unary plus, which writes only its operand)."""

    def fail(what: str) -> InvalidValueError:
        shown = ast.unparse(node) if len(formula) < 10_000 else type(node).__name__
        return InvalidValueError(
            f"formula: expected {what}, found {shown[:200]!r} in {formula[:200]!r}"
        )

    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            if not (isinstance(node.right, ast.Constant) and node.right.value == 2):
                raise fail("only the power 2 (square)")
            return None, [node.left], "square"
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise fail("one of + - * / **2")
        return None, [node.left, node.right], op
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return _constant(-_number(node.operand, fail)), [], None
        return None, [node.operand], "neg" if isinstance(node.op, ast.USub) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name not in arities or node.keywords:
            raise UnknownNameError(
                f"formula: expected functions or reductions from {sorted(arities)},"
                f" found {name!r} in {formula[:200]!r}"
            )
        if len(node.args) != arities[name]:
            raise fail(f"{name} with {arities[name]} argument(s)")
        return None, list(node.args), name
    if isinstance(node, ast.Name):
        if node.id.startswith("__zc") and node.id.endswith("__") and node.id[4:-2].isdigit():
            return f"x{int(node.id[4:-2])}", [], None
        if node.id not in index:
            raise UnknownNameError(
                f"formula: expected column names from feature_names {list(names)[:20]},"
                f" found {node.id!r}"
            )
        return f"x{index[node.id]}", [], None
    if isinstance(node, ast.Constant):
        return _constant(_number(node, fail)), [], None
    raise fail("numbers, column names, + - * / and function calls")


def _number(node: ast.Constant, fail: Any) -> float:
    if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
        raise fail("a number")
    try:
        value = float(node.value)
    except OverflowError:
        raise fail("a number a float can hold") from None
    if not math.isfinite(value):
        raise fail("a finite number")
    return value


def _constant(value: float) -> str:
    return f"c{value!r}"
