"""Reading and writing NB301 architectures: NASLib's compact encoding and DARTS's genotypes.

Both encodings are parsed to one canonical form (:data:`~zcfast.spaces.nb301._cell.Arch`): a
pair of cells, each a tuple of 8 ``(input, op)`` edges, two per intermediate node, each node's
two edges ordered by input.  Nothing here imports PyTorch.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any, NamedTuple

from zcfast._messages import describe_value
from zcfast._params import fail, found_type
from zcfast.exceptions import ArgumentTypeError, ZcfastError
from zcfast.spaces.nb301._cell import (
    CONCAT,
    EDGES_PER_CELL,
    NODES,
    NUM_OPS,
    OPS,
    Arch,
    Cell,
    Edge,
    node_inputs,
)

__all__ = ["CELL_NAMES", "Genotype", "genotype", "parse", "to_genotype", "to_key"]

#: The two cells, in the order of both encodings.
CELL_NAMES = ("normal", "reduce")
_OP_INDEX = {name: i for i, name in enumerate(OPS)}
_FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")
#: The start of a genotype text: ``Genotype(``, optionally ``module.Genotype(`` and optionally
#: after ``NAME =`` (a line copied from DARTS's ``genotypes.py``).
_GENOTYPE_START = re.compile(r"^(?:([A-Za-z_]\w*)\s*=\s*)?(?:[A-Za-z_]\w*\.)*Genotype\s*\(")
#: Longest architecture text :func:`parse` reads (a genotype is about 450 characters).
MAX_TEXT = 10_000


class Genotype(NamedTuple):
    """DARTS's ``Genotype`` (``genotypes.py``): ``normal``/``reduce`` are 8 ``(op name,
    input)`` pairs, two per node; ``*_concat`` the states concatenated (``[2, 3, 4, 5]``).

    Its ``repr`` is the text DARTS prints and ``genotypes.py`` holds.
    """

    normal: list[tuple[str, int]]
    normal_concat: list[int]
    reduce: list[tuple[str, int]]
    reduce_concat: list[int]


def _bad(arch: Any, why: str) -> ZcfastError:
    return fail("arch", f"an NB301 (DARTS) architecture ({why})", describe_value(arch, 120))


def _int(value: Any) -> int | None:
    """``value`` as an int when it is one (numpy integers too; bools are not ints here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a core dependency
        return None
    if isinstance(value, np.integer) and not isinstance(value, np.bool_):
        return int(value)
    return None


def _edge_name(cell: int, e: int) -> str:
    return f"{CELL_NAMES[cell]} cell, node {e // 2} (edge {e})"


def _check_cell(edges: list[tuple[int, int]], cell: int, original: Any) -> Cell:
    """Validated, canonically ordered cell from 8 ``(input, op)`` pairs of ints."""
    out: list[Edge] = []
    for node in range(NODES):
        pair = edges[2 * node : 2 * node + 2]
        for e, (src, op) in enumerate(pair, start=2 * node):
            if not 0 <= op < NUM_OPS:
                raise _bad(
                    original, f"{_edge_name(cell, e)}: op index in 0..{NUM_OPS - 1}, got {op}"
                )
            if not 0 <= src < node_inputs(node):
                raise _bad(
                    original,
                    f"{_edge_name(cell, e)}: input in 0..{node + 1} (the two cell inputs and"
                    f" earlier nodes), got {src}",
                )
        if pair[0][0] == pair[1][0]:
            raise _bad(
                original,
                f"{CELL_NAMES[cell]} cell, node {node}: two different inputs, got input"
                f" {pair[0][0]} twice",
            )
        out.extend(sorted(pair))
    return (out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7])


def _from_compact(value: Any, original: Any) -> Arch:
    """Canonical form of NASLib's compact encoding (nested sequences of ints)."""
    if not _is_seq(value) or len(value) != 2:
        raise _bad(original, "2 cells (normal, reduce) of 8 (input, op) pairs")
    cells: list[Cell] = []
    for c, cell in enumerate(value):
        if not _is_seq(cell) or len(cell) != EDGES_PER_CELL:
            n = len(cell) if _is_seq(cell) else type(cell).__name__
            raise _bad(original, f"{CELL_NAMES[c]} cell: 8 (input, op) pairs, got {n}")
        edges: list[tuple[int, int]] = []
        for e, pair in enumerate(cell):
            if not _is_seq(pair) or len(pair) != 2:
                raise _bad(original, f"{_edge_name(c, e)}: an (input, op) pair of ints")
            src, op = _int(pair[0]), _int(pair[1])
            if src is None or op is None:
                if isinstance(pair[1], str):
                    raise _bad(
                        original,
                        f"{_edge_name(c, e)}: an op index in 0..{NUM_OPS - 1} (op names go in a"
                        " DARTS Genotype)",
                    )
                raise _bad(original, f"{_edge_name(c, e)}: an (input, op) pair of ints")
            edges.append((src, op))
        cells.append(_check_cell(edges, c, original))
    return (cells[0], cells[1])


def _is_seq(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _from_genotype(fields: dict[str, Any], original: Any) -> Arch:
    """Canonical form of a genotype's four fields."""
    cells: list[Cell] = []
    for c, name in enumerate(CELL_NAMES):
        concat = fields[f"{name}_concat"]
        try:
            got = (
                [_int(v) for v in islice(concat, len(CONCAT) + 1)]
                if isinstance(concat, Iterable)
                else None
            )
        except TypeError:  # pragma: no cover - an iterable that fails while iterating
            got = None
        if got != list(CONCAT):
            raise _bad(
                original,
                f"{name}_concat [2, 3, 4, 5] (NB301 concatenates every node), got"
                f" {describe_value(concat)}",
            )
        pairs = fields[name]
        if not _is_seq(pairs) or len(pairs) != EDGES_PER_CELL:
            n = len(pairs) if _is_seq(pairs) else type(pairs).__name__
            raise _bad(original, f"{name}: 8 (op name, input) pairs, got {n}")
        edges: list[tuple[int, int]] = []
        for e, pair in enumerate(pairs):
            if not _is_seq(pair) or len(pair) != 2 or _int(pair[1]) is None:
                raise _bad(original, f"{_edge_name(c, e)}: an (op name, input) pair")
            op, src = pair[0], _int(pair[1])
            assert src is not None
            if not isinstance(op, str) or op not in _OP_INDEX:
                extra = " ('none' is not an op of NB301)" if op == "none" else ""
                raise _bad(
                    original,
                    f"{_edge_name(c, e)}: an op name in {', '.join(OPS)}{extra}, got"
                    f" {describe_value(op)}",
                )
            edges.append((src, _OP_INDEX[op]))
        cells.append(_check_cell(edges, c, original))
    return (cells[0], cells[1])


def _literal(node: ast.expr, text: str) -> Any:
    """Python value of a literal (``range(a, b)`` included) in a genotype text."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and not node.keywords
    ):
        bounds = [_literal(a, text) for a in node.args]
        if 1 <= len(bounds) <= 3 and all(_int(b) is not None for b in bounds):
            return list(range(*bounds))
        raise _bad(text, "range(...) of int bounds")
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _bad(text, f"a literal, got {ast.unparse(node)[:60]!r}") from None


def _genotype_text(text: str) -> dict[str, Any]:
    """The four fields of ``Genotype(normal=..., normal_concat=..., reduce=...,
    reduce_concat=...)`` (keywords or positional, as DARTS's namedtuple takes them)."""
    s = text.strip()
    match = _GENOTYPE_START.match(s)
    if match and match.group(1):  # "NAME = Genotype(...)": the expression after "="
        s = s[s.index("=") + 1 :].strip()
    try:
        call = ast.parse(s, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise _bad(text, "Genotype(normal=[...], normal_concat=[...], ...) text") from None
    func = getattr(call, "func", None)
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if not isinstance(call, ast.Call) or name != "Genotype":
        raise _bad(text, "Genotype(normal=[...], normal_concat=[...], ...) text")
    if len(call.args) > 4 or any(isinstance(a, ast.Starred) for a in call.args):
        raise _bad(text, "Genotype with the fields normal, normal_concat, reduce, reduce_concat")
    fields: dict[str, Any] = {}
    for field, arg in zip(_FIELDS, call.args):
        fields[field] = _literal(arg, text)
    for kw in call.keywords:
        if kw.arg not in _FIELDS or kw.arg in fields:
            raise _bad(
                text,
                "Genotype with the fields normal, normal_concat, reduce, reduce_concat once each,"
                f" got {'**' if kw.arg is None else kw.arg!r}",
            )
        fields[kw.arg] = _literal(kw.value, text)
    missing = [f for f in _FIELDS if f not in fields]
    if missing:
        raise _bad(text, f"Genotype with {', '.join(missing)}")
    return fields


def _compact_text(text: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _bad(
            text, "a compact string like '[[(0, 3), (1, 3), ...], [...]]' or a Genotype text"
        ) from None


def parse(arch: Any) -> Arch:
    """The canonical form of ``arch`` (any accepted encoding).

    Parameters
    ----------
    arch:
        NASLib's compact encoding: 2 cells (normal, reduce) of 8 ``(input, op index)`` pairs,
        as nested lists/tuples or their string; a DARTS ``Genotype``: its text
        (``"Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], ...)"``,
        ``range(2, 6)`` allowed, as is a ``NAME = Genotype(...)`` line of DARTS's
        ``genotypes.py``) or any object with the attributes ``normal``,
        ``normal_concat``, ``reduce`` and ``reduce_concat`` (DARTS's namedtuple).

    Raises
    ------
    InvalidValueError
        Malformed text, wrong lengths, an op outside the 7 ops, a node reading a later node or
        the same input twice, a concat other than ``[2, 3, 4, 5]``.
    ArgumentTypeError
        Any other type.

    Example
    -------
    >>> parse("[[(1, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)],"
    ...       " [(0, 0), (1, 0), (0, 0), (2, 2), (1, 0), (2, 2), (0, 0), (2, 2)]]")[0][:2]
    ((0, 3), (1, 3))
    """
    if isinstance(arch, str):
        if len(arch) > MAX_TEXT:
            raise _bad(arch, f"a text of at most {MAX_TEXT:,} characters, got {len(arch):,}")
        s = arch.strip()
        if _GENOTYPE_START.match(s):
            return _from_genotype(_genotype_text(s), arch)
        return _from_compact(_compact_text(s), arch)
    if all(hasattr(arch, f) for f in _FIELDS):
        return _from_genotype({f: getattr(arch, f) for f in _FIELDS}, arch)
    if isinstance(arch, (list, tuple)):
        return _from_compact(arch, arch)
    try:
        import numpy as np

        if isinstance(arch, np.ndarray):
            return _from_compact(arch.tolist(), arch)
    except ImportError:  # pragma: no cover
        pass
    expected = (
        "NASLib's compact encoding (nested lists/tuples or their string) or a DARTS Genotype"
        " (object or text)"
    )
    raise fail("arch", expected, found_type(arch), ArgumentTypeError)


def to_key(arch: Any) -> str:
    """The canonical key of ``arch``: its compact encoding, each node's edges by input, written
    as NASLib writes it (``[[(input, op) × 8], [(input, op) × 8]]``).

    Example
    -------
    >>> to_key([[(1, 3), (0, 3)] * 4, [(1, 0), (0, 0)] * 4])
    '[[(0, 3), (1, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 3), (1, 3)], [(0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0)]]'
    """  # noqa: E501
    cells = parse(arch)
    return "[" + ", ".join(_cell_text(cell) for cell in cells) + "]"


def _cell_text(cell: Sequence[Edge]) -> str:
    return "[" + ", ".join(f"({src}, {op})" for src, op in cell) + "]"


def to_genotype(arch: Any) -> Genotype:
    """DARTS's ``Genotype`` of ``arch`` (each node's edges by input).

    Example
    -------
    >>> to_genotype([[(0, 3), (1, 3)] * 4, [(0, 0), (1, 0)] * 4]).normal[:2]
    [('sep_conv_3x3', 0), ('sep_conv_3x3', 1)]
    """
    normal, reduce = parse(arch)
    return Genotype(
        normal=[(OPS[op], src) for src, op in normal],
        normal_concat=list(CONCAT),
        reduce=[(OPS[op], src) for src, op in reduce],
        reduce_concat=list(CONCAT),
    )


def genotype(arch: Any) -> str:
    """The DARTS ``Genotype(...)`` text of ``arch``: what ``genotypes.py`` holds (paste it there
    to train the architecture with DARTS's ``train.py``); :func:`parse` reads it back.

    Example
    -------
    >>> genotype([[(0, 3), (1, 3)] * 4, [(0, 0), (1, 0)] * 4])[:60]
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ("
    """
    return repr(to_genotype(arch))
