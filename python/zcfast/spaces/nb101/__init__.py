"""NAS-Bench-101: encodings, an isomorphism-invariant key, moves and the reference network.

A cell is a DAG of at most 7 vertices and 9 edges: vertex 0 is the input, the last vertex the
output, every other vertex carries one op (``conv3x3-bn-relu``, ``conv1x1-bn-relu``,
``maxpool3x3``), and edges only go from a lower to a higher vertex (a strictly
upper-triangular adjacency matrix).  As NAS-Bench-101's ``ModelSpec`` does, vertices that are
not on an input→output path are pruned, and a cell whose output is not reachable from its
input is invalid.  The 9-edge limit applies to the pruned cell, as in NAS-Bench-101.

zcfast's parsed form of a cell is **NASLib's flattened tuple** of the pruned cell, the form of
the keys of NAS-Bench-Suite-Zero's ``zc_nasbench101.json``: the ``n × n`` adjacency matrix
row by row, then one op index per vertex, ``n·n + n`` ints (56 for 7 vertices), with op
indices ``0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu``
(:data:`NASLIB_OPS`).  Parsing keeps the vertex order it is given (the network, and so its
exact parameter count, depends on it: see :func:`build`).

Accepted encodings (everywhere an ``arch`` is taken):

* a flattened tuple/list (or 1-D NumPy array) of ``n·n + n`` ints, ``n`` in 2..7, or its
  string ``"(0, 1, 0, 0, 0, 1)"``; NASLib's 56-number keys are the case ``n = 7``;
* ``(matrix, ops)``: a square 0/1 adjacency matrix (nested lists or a 2-D NumPy array) and a
  list of op names, ``["input", "conv3x3-bn-relu", ..., "output"]``;
* a dict ``{"matrix": ..., "ops": ...}`` (or NAS-Bench-101's ``{"module_adjacency": ...,
  "module_operations": ...}``), or any object with ``matrix`` and ``ops`` attributes (such as
  a ``nasbench.api.ModelSpec``).

**Keys** (:func:`key`) are isomorphism invariant, as NAS-Bench-101's graph hash is: two cells
that compute the same function (the same pruned graph up to a renumbering of the interior
vertices) have one key.  The key is the string of the cell's **canonical form**
(:func:`canonical`): of all the vertex orders that keep the matrix upper triangular (input
first, output last), the one whose flattened tuple is smallest.  It is an exact canonical
form (equal keys if and only if the cells are isomorphic), and :func:`parse` reads it back.

The network (:func:`build`) is NAS-Bench-101's: a 3×3 conv-BN-ReLU stem to 128 channels,
three stacks of three cells with 2×2 max pooling and channel doubling between stacks, global
average pooling and a linear classifier, as NASLib builds it for NAS-Bench-Suite-Zero.

Example
-------
>>> from zcfast.spaces import nb101
>>> cell = nb101.parse(([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
...                     ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]))
>>> cell
(0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 2, 1)
>>> nb101.to_spec(cell)["ops"]
['input', 'conv3x3-bn-relu', 'maxpool3x3', 'output']
>>> swapped = ([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
...            ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
>>> nb101.key(swapped) == nb101.key(cell)
True
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from random import Random
from typing import TYPE_CHECKING, Any

import numpy as np

from zcfast._messages import describe_value
from zcfast._params import Constraint, Int, check_all, fail, found_type
from zcfast.exceptions import ArgumentTypeError, ShapeError, UnknownNameError
from zcfast.spaces._contract import Space, check_rng
from zcfast.spaces._task import TaskSpec
from zcfast.spaces.nb101._cell import (
    CONV1X1,
    CONV3X3,
    INPUT,
    MAX_EDGES,
    MAX_VERTICES,
    MAXPOOL3X3,
    NASLIB_OPS,
    OPS,
    OUTPUT,
    Arch,
    flatten,
    unflatten,
    vertex_channels,
)

if TYPE_CHECKING:
    from zcfast.spaces.nb101._torch import NB101Network

__all__ = [
    "CONV1X1",
    "CONV3X3",
    "INPUT",
    "MAXPOOL3X3",
    "MAX_EDGES",
    "MAX_VERTICES",
    "NASLIB_OPS",
    "OPS",
    "OUTPUT",
    "TASKS",
    "Arch",
    "NB101Space",
    "analytic_counts",
    "build",
    "canonical",
    "key",
    "parse",
    "to_spec",
    "vertex_channels",
]

#: Largest stem width and cells per stack :func:`build` accepts (NB101: 128 and 3).
MAX_C = 1024
MAX_N = 100
#: Smallest stem width: the output's channels are split among up to 5 vertices.
MIN_C = MAX_VERTICES - 2

_OP_INDEX = {name: i for i, name in enumerate(NASLIB_OPS)}
_INTERIOR = tuple(_OP_INDEX[op] for op in OPS)  # NASLib indices of OPS, in OPS order
#: Flattened length ``n·n + n`` → ``n`` for the valid vertex counts.
_LENGTHS = {n * n + n: n for n in range(2, MAX_VERTICES + 1)}
_LENGTH_TEXT = ", ".join(str(length) for length in _LENGTHS)
# ASCII digits only (``\d`` would accept other scripts' digits).
_FLAT_RE = re.compile(r"^[\(\[]\s*[0-9]{1,6}\s*(,\s*[0-9]{1,6}\s*)*,?\s*[\)\]]$")
_DIGITS_RE = re.compile(r"[0-9]+")
_FLAT_EXAMPLE = "'(0, 1, 0, 0, 0, 1)'"


# ------------------------------------------------------------------------------- reading


def _found(arch: Any) -> str:
    return describe_value(arch, 120)


def _entry(value: Any, arch: Any) -> int:
    """An adjacency entry as 0 or 1 (ints, bools and integral floats are accepted)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if not isinstance(value, (int, np.integer, float, np.floating)):
        found = f"{found_type(value)} in {_found(arch)}"
        raise fail("arch", "0/1 adjacency entries", found, ArgumentTypeError)
    if value not in (0, 1):
        raise fail("arch", "0/1 adjacency entries", f"{describe_value(value)} in {_found(arch)}")
    return int(value)


def _op_index(value: Any, arch: Any) -> int:
    """An op index of the flattened form (an int in 0..4)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        found = f"{found_type(value)} in {_found(arch)}"
        raise fail("arch", "int op indices in the flattened cell", found, ArgumentTypeError)
    v = int(value)
    if not 0 <= v < len(NASLIB_OPS):
        expected = (
            f"op indices in 0..{len(NASLIB_OPS) - 1} (0 input, 1 output, 2 maxpool3x3,"
            " 3 conv1x1-bn-relu, 4 conv3x3-bn-relu)"
        )
        raise fail("arch", expected, f"{v} in {_found(arch)}")
    return v


def _read_flat(values: Sequence[Any], arch: Any) -> tuple[list[list[int]], list[int]]:
    n = _LENGTHS.get(len(values))
    if n is None:
        expected = (
            f"a flattened cell of n·n + n numbers for n = 2..{MAX_VERTICES} vertices"
            f" ({_LENGTH_TEXT})"
        )
        raise fail("arch", expected, f"{len(values)} numbers", ShapeError)
    flat = [_entry(v, arch) for v in values[: n * n]]
    matrix = [flat[i * n : (i + 1) * n] for i in range(n)]
    return matrix, [_op_index(v, arch) for v in values[n * n :]]


def _read_string(text: str) -> tuple[list[list[int]], list[int]]:
    s = text.strip()
    if not _FLAT_RE.match(s) or s[0] + s[-1] not in ("()", "[]"):
        expected = f"a flattened NB101 cell string like {_FLAT_EXAMPLE} (or a (matrix, ops) pair)"
        raise fail("arch", expected, _found(text))
    return _read_flat([int(d) for d in _DIGITS_RE.findall(s)], text)


def _read_matrix(matrix: Any, arch: Any) -> list[list[int]]:
    if isinstance(matrix, np.ndarray):
        if matrix.ndim != 2:
            found = f"an array of shape {tuple(matrix.shape)}"
            raise fail("arch", "a 2-D adjacency matrix", found, ShapeError)
        rows: list[Any] = matrix.tolist()
    elif isinstance(matrix, (list, tuple)):
        rows = []
        for row in matrix:
            if isinstance(row, np.ndarray) and row.ndim == 1:
                row = row.tolist()
            nested = isinstance(row, (list, tuple)) and any(
                isinstance(v, (list, tuple, np.ndarray)) for v in row
            )
            if not isinstance(row, (list, tuple)) or nested:
                expected = "a 2-D adjacency matrix (a list of rows of 0/1)"
                found = f"a row {describe_value(row)} in {_found(arch)}"
                raise fail("arch", expected, found, ShapeError)
            rows.append(list(row))
    else:
        expected = "an adjacency matrix (nested lists or a 2-D NumPy array)"
        raise fail("arch", expected, found_type(matrix), ArgumentTypeError)
    n = len(rows)
    if any(len(row) != n for row in rows):
        found = f"{n} rows of lengths {describe_value([len(row) for row in rows])}"
        raise fail("arch", "a square adjacency matrix", found, ShapeError)
    if not 2 <= n <= MAX_VERTICES:
        expected = f"an adjacency matrix of 2 to {MAX_VERTICES} vertices"
        raise fail("arch", expected, str(n), ShapeError)
    return [[_entry(v, arch) for v in row] for row in rows]


def _read_ops(ops: Any, n: int, arch: Any) -> list[int]:
    if isinstance(ops, np.ndarray):
        ops = ops.tolist()
    if isinstance(ops, (str, bytes)) or not isinstance(ops, (list, tuple)):
        raise fail("arch", "a list of op names", found_type(ops), ArgumentTypeError)
    if len(ops) != n:
        expected = f"one op per vertex ({n} ops for the {n}×{n} matrix)"
        raise fail("arch", expected, f"{len(ops)} ops {describe_value(ops)}", ShapeError)
    out = []
    for op in ops:
        if not isinstance(op, str):
            found = f"{found_type(op)} in {describe_value(ops)}"
            raise fail("arch", "op names (str)", found, ArgumentTypeError)
        if op not in _OP_INDEX:
            expected = f"op names from {', '.join(NASLIB_OPS)}"
            raise fail("arch", expected, describe_value(op), UnknownNameError)
        out.append(_OP_INDEX[op])
    return out


def _read_pair(matrix: Any, ops: Any, arch: Any) -> tuple[list[list[int]], list[int]]:
    rows = _read_matrix(matrix, arch)
    return rows, _read_ops(ops, len(rows), arch)


def _read(arch: Any) -> tuple[list[list[int]], list[int]]:
    """``(matrix, op indices)`` of ``arch`` in any accepted encoding (shapes and types
    checked; structure not yet)."""
    if isinstance(arch, str):
        return _read_string(arch)
    if isinstance(arch, Mapping):
        for m, o in (("matrix", "ops"), ("module_adjacency", "module_operations")):
            if m in arch and o in arch:
                return _read_pair(arch[m], arch[o], arch)
        expected = (
            "a dict with keys 'matrix' and 'ops' (or 'module_adjacency' and 'module_operations')"
        )
        raise fail("arch", expected, f"keys {describe_value(sorted(map(str, arch)))}")
    if isinstance(arch, np.ndarray):
        if arch.ndim != 1:
            expected = "a flattened cell (a 1-D array) or a (matrix, ops) pair"
            found = f"an array of shape {tuple(arch.shape)}"
            raise fail("arch", expected, found, ShapeError)
        return _read_flat(arch.tolist(), arch)
    if isinstance(arch, (tuple, list)):
        if len(arch) == 2:  # no flattened cell has two numbers
            return _read_pair(arch[0], arch[1], arch)
        return _read_flat(arch, arch)
    if hasattr(arch, "matrix") and hasattr(arch, "ops") and not isinstance(arch, type):
        if arch.matrix is None or arch.ops is None:
            found = (
                f"a {type(arch).__name__} without a matrix (NAS-Bench-101 marks a cell invalid"
                " that way)"
            )
            raise fail("arch", "a valid cell", found)
        return _read_pair(arch.matrix, arch.ops, arch)
    expected = "a flattened NB101 cell (tuple, list or string), a (matrix, ops) pair or a dict"
    raise fail("arch", expected, found_type(arch), ArgumentTypeError)


# ----------------------------------------------------------------------------- structure


def _prune(matrix: list[list[int]], ops: list[int]) -> tuple[list[list[int]], list[int]]:
    """The cell without the vertices that are not on an input→output path; ``matrix`` must
    be upper triangular and the output reachable."""
    n = len(matrix)
    forward = [True] + [False] * (n - 1)
    for j in range(1, n):
        forward[j] = any(forward[i] and matrix[i][j] for i in range(j))
    backward = [False] * (n - 1) + [True]
    for i in range(n - 2, -1, -1):
        backward[i] = any(backward[j] and matrix[i][j] for j in range(i + 1, n))
    keep = [v for v in range(n) if forward[v] and backward[v]]
    if len(keep) == n:
        return matrix, ops
    return [[matrix[i][j] for j in keep] for i in keep], [ops[v] for v in keep]


def _finish(matrix: list[list[int]], ops: list[int], arch: Any) -> Arch:
    """The parsed (pruned, flattened) cell, after the structural checks."""
    n = len(matrix)
    for i in range(n):
        for j in range(i + 1):
            if matrix[i][j]:
                expected = "a strictly upper-triangular adjacency matrix (edges i→j only for i < j)"
                raise fail("arch", expected, f"an edge {i}→{j} in {_found(arch)}")
    names = [NASLIB_OPS[o] for o in ops]
    if names[0] != INPUT or names[-1] != OUTPUT:
        expected = f"the first vertex to be {INPUT!r} and the last {OUTPUT!r}"
        raise fail("arch", expected, f"{names[0]!r} and {names[-1]!r}")
    for v, name in enumerate(names[1:-1], start=1):
        if name not in OPS:
            expected = f"interior vertices with ops from {', '.join(OPS)}"
            raise fail("arch", expected, f"{name!r} at vertex {v}")
    if not _reaches_output(matrix):
        expected = "a cell whose output is reachable from its input"
        raise fail("arch", expected, f"no input→output path in {_found(arch)}")
    matrix, ops = _prune(matrix, ops)
    edges = sum(map(sum, matrix))
    if edges > MAX_EDGES:
        expected = f"at most {MAX_EDGES} edges on input→output paths"
        raise fail("arch", expected, f"{edges} in {_found(arch)}")
    return flatten(matrix, ops)


def _reaches_output(matrix: list[list[int]]) -> bool:
    n = len(matrix)
    reached = [True] + [False] * (n - 1)
    for j in range(1, n):
        reached[j] = any(reached[i] and matrix[i][j] for i in range(j))
    return reached[-1]


def parse(arch: Any) -> Arch:
    """The flattened tuple of the pruned cell ``arch`` (any accepted encoding).

    Vertices keep the order they are given in (pruning removes some); use :func:`canonical`
    or :func:`key` for a form that is the same for every numbering of the same cell.

    Parameters
    ----------
    arch:
        A flattened tuple/list/1-D array of ``n·n + n`` ints or its string, a ``(matrix,
        ops)`` pair, a dict ``{"matrix", "ops"}``, or an object with ``matrix`` and ``ops``.

    Raises
    ------
    ShapeError
        Not ``n·n + n`` numbers, a matrix that is not square or has more than 7 (fewer than
        2) vertices, a number of ops that is not the number of vertices.
    InvalidValueError
        Entries other than 0/1, an edge on or below the diagonal, first op not ``input`` or
        last not ``output``, an interior ``input``/``output``, no input→output path, more than
        9 edges after pruning, a malformed string.
    UnknownNameError
        An op name that is not one of NAS-Bench-101's.
    ArgumentTypeError
        Any other type (of ``arch``, an entry or an op).

    Example
    -------
    >>> parse("(0, 1, 0, 0, 0, 1)")                  # input → output
    (0, 1, 0, 0, 0, 1)
    >>> parse({"matrix": [[0, 1, 1], [0, 0, 0], [0, 0, 0]],   # vertex 1 is a dead end
    ...        "ops": ["input", "maxpool3x3", "output"]})
    (0, 1, 0, 0, 0, 1)
    """
    matrix, ops = _read(arch)
    return _finish(matrix, ops, arch)


def _topological_orders(n: int, matrix: list[list[int]]) -> Iterator[list[int]]:
    """Every order of the vertices of a pruned cell that keeps its edges pointing forward
    (input first, output last)."""
    preds = [[i for i in range(1, n - 1) if matrix[i][j]] for j in range(n)]
    order = [0]
    placed = [False] * n
    placed[0] = True

    def extend() -> Iterator[list[int]]:
        if len(order) == n - 1:
            yield [*order, n - 1]
            return
        for v in range(1, n - 1):
            if not placed[v] and all(placed[p] for p in preds[v]):
                placed[v] = True
                order.append(v)
                yield from extend()
                order.pop()
                placed[v] = False

    yield from extend()


@lru_cache(maxsize=8192)
def _canonical(arch: Arch) -> Arch:
    n, matrix, ops = unflatten(arch)
    best: Arch | None = None
    for order in _topological_orders(n, matrix):
        code = (
            *(matrix[a][b] for a in order for b in order),
            *(ops[a] for a in order),
        )
        if best is None or code < best:
            best = code
    assert best is not None  # the identity order is topological
    return best


def canonical(arch: Any) -> Arch:
    """The canonical form of ``arch``: the same tuple for every cell that computes the same
    function (the same pruned graph up to a renumbering of its interior vertices).

    Of every vertex order that keeps the edges pointing forward, the canonical form takes the
    one whose flattened tuple is smallest (lexicographically).  Isomorphic cells have the same
    set of such tuples, so the same smallest one, and cells with the same canonical form are
    renumberings of one graph: the key is exact, with no hash collisions.

    Example
    -------
    >>> a = ([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
    ...      ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "output"])
    >>> b = ([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
    ...      ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"])
    >>> canonical(a) == canonical(b)
    True
    >>> canonical(a)[-4:]
    (0, 3, 4, 1)
    """
    return _canonical(parse(arch))


def key(arch: Any) -> str:
    """The canonical string key of ``arch``: the string of :func:`canonical`, which
    :func:`parse` reads back.

    Example
    -------
    >>> key(([[0, 1], [0, 0]], ["input", "output"]))
    '(0, 1, 0, 0, 0, 1)'
    >>> key(key(([[0, 1], [0, 0]], ["input", "output"])))
    '(0, 1, 0, 0, 0, 1)'
    """
    return str(canonical(arch))


def to_spec(arch: Any) -> dict[str, Any]:
    """``{"matrix": rows, "ops": names}`` of the pruned cell (NAS-Bench-101's spec form).

    Example
    -------
    >>> to_spec((0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 3, 1))
    {'matrix': [[0, 1, 1], [0, 0, 1], [0, 0, 0]], 'ops': ['input', 'conv1x1-bn-relu', 'output']}
    """
    _, matrix, ops = unflatten(parse(arch))
    return {"matrix": matrix, "ops": [NASLIB_OPS[o] for o in ops]}


# --------------------------------------------------------------------------------- moves


def _moved(matrix: list[list[int]], ops: list[int]) -> Arch | None:
    """The parsed cell of a candidate move (``None`` when it is not a valid cell)."""
    if not _reaches_output(matrix):
        return None
    matrix, ops = _prune(matrix, ops)
    if sum(map(sum, matrix)) > MAX_EDGES:
        return None
    return flatten(matrix, ops)


def _op_moves(arch: Arch) -> Iterator[Arch | None]:
    """Every interior vertex (in order) set to each of its two other ops (in OPS order)."""
    n, matrix, ops = unflatten(arch)
    for v in range(1, n - 1):
        for op in _INTERIOR:
            if op != ops[v]:
                yield _moved(matrix, [*ops[:v], op, *ops[v + 1 :]])


def _edge_moves(arch: Arch) -> Iterator[Arch | None]:
    """Every edge ``i→j`` (``i < j``, row by row) flipped: added when absent, else removed."""
    n, matrix, ops = unflatten(arch)
    for i in range(n - 1):
        for j in range(i + 1, n):
            flipped = [row[:] for row in matrix]
            flipped[i][j] = 1 - flipped[i][j]
            yield _moved(flipped, ops)


def _vertex_moves(arch: Arch) -> Iterator[Arch | None]:
    """A new vertex ``w`` with one edge ``u→w`` and one edge ``w→v``, for each ``u < v``
    (row by row) and each op (in OPS order); none when the cell has 7 vertices already."""
    n, matrix, ops = unflatten(arch)
    if n >= MAX_VERTICES:
        return
    for u in range(n - 1):
        for v in range(u + 1, n):
            for op in _INTERIOR:
                # w takes index v; v and the vertices after it move up by one
                grown = [[*row[:v], 0, *row[v:]] for row in matrix]
                grown.insert(v, [0] * (n + 1))
                grown[u][v] = 1
                grown[v][v + 1] = 1
                yield _moved(grown, [*ops[:v], op, *ops[v:]])


_MOVES = (_op_moves, _edge_moves, _vertex_moves)


# ----------------------------------------------------------------------------- counting


def _check_network_args(num_classes: Any, input_size: Any, C: Any, N: Any) -> None:
    args = {"num_classes": num_classes, "input_size": input_size, "C": C, "N": N}
    check_all(args, _NETWORK_ARGS)


#: What :func:`build` takes (``input_size``: two 2×2 poolings need at least 4).
_NETWORK_ARGS: dict[str, Constraint[Any]] = {
    "num_classes": Int(1),
    "input_size": Int(4),
    "C": Int(MIN_C, MAX_C),
    "N": Int(1, MAX_N),
}


def analytic_counts(
    arch: Any, num_classes: int = 10, *, input_size: int = 32, C: int = 128, N: int = 3
) -> tuple[int, int]:
    """``(params, flops)`` of the NB101 network, from per-module formulas (no PyTorch).

    Walks the modules :func:`build` creates and applies the FLOP convention of
    :mod:`zcfast.metrics` (tensorwatch's) to each: conv ``k²·C_in·C_out·H·W``, BN ``2·C·H·W``,
    ReLU ``C·H·W``, max pooling ``k²`` per output element, classifier ``C·K``; additions,
    concatenations, channel cuts and the global average pooling count 0 (NASLib's network
    pools with ``torch.mean``, which tensorwatch does not see).  FLOPs are per sample at
    ``input_size`` × ``input_size``; params count every parameter.

    Example
    -------
    >>> analytic_counts("(0, 1, 0, 0, 0, 1)")          # input → output only
    (882570, 140416000)
    """
    n, matrix, ops = unflatten(parse(arch))
    _check_network_args(num_classes, input_size, C, N)
    side = input_size
    hw = side * side
    params = 27 * C + 2 * C  # stem conv 3x3 (3 -> C) + BN
    flops = 27 * C * hw + 3 * C * hw  # conv + BN + ReLU
    c_in = c_out = C
    for stack in range(3):
        if stack > 0:  # max pool 2x2, stride 2
            side //= 2
            hw = side * side
            flops += 4 * c_in * hw
            c_out *= 2
        for _cell in range(N):
            channels = vertex_channels(c_in, c_out, matrix)
            for v in range(1, n - 1):
                c = channels[v]
                if NASLIB_OPS[ops[v]] == MAXPOOL3X3:
                    flops += 9 * c * hw
                else:
                    k2 = 9 if NASLIB_OPS[ops[v]] == CONV3X3 else 1
                    params += k2 * c * c + 2 * c
                    flops += k2 * c * c * hw + 3 * c * hw
            for v in range(1, n):
                if matrix[0][v]:  # 1x1 projection of the cell input
                    c = channels[v]
                    params += c_in * c + 2 * c
                    flops += c_in * c * hw + 3 * c * hw
            c_in = c_out
    params += c_out * num_classes + num_classes
    flops += c_out * num_classes
    return params, flops


def build(
    arch: Any, num_classes: int = 10, *, input_size: int = 32, C: int = 128, N: int = 3
) -> NB101Network:
    """A freshly initialised NB101 network (PyTorch default init, train mode).

    The network is NAS-Bench-101's, as NASLib builds it (``nasbench_pytorch``): a 3×3
    conv-BN-ReLU stem to ``C`` channels; three stacks of ``N`` cells, the first cell of the
    second and third stack after a 2×2 max pooling and doubling the channels; global average
    pooling; a linear classifier.  In a cell, each vertex sums its inputs (wider ones cut to
    its width), the cell input reaches a vertex through a 1×1 conv-BN-ReLU projection to the
    vertex's width, the output concatenates the vertices that feed it and adds the projected
    input when the input feeds it directly (see :func:`vertex_channels`).  Convolutions are
    conv-BN-ReLU without bias, max pooling is 3×3 with stride 1.

    How the output's channels are split depends on the vertex order, so two numberings of one
    cell can differ by a few parameters: the network is built in the order of ``arch`` as
    :func:`parse` reads it (the canonical order is ``build(canonical(arch))``).

    Parameters
    ----------
    arch:
        Any accepted encoding (see :func:`parse`).
    num_classes:
        Classifier outputs (10 for CIFAR-10).
    input_size:
        Side of the square input images (32 for CIFAR-10), kept as ``model.input_shape``; at
        least 4 (two 2×2 poolings).
    C, N:
        Stem channels and cells per stack (NB101: 128 and 3).

    Example
    -------
    >>> net = build("(0, 1, 0, 0, 0, 1)")
    >>> net(torch.randn(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """
    t = parse(arch)
    _check_network_args(num_classes, input_size, C, N)
    from zcfast.spaces.nb101._torch import NB101Network

    return NB101Network(t, num_classes, input_shape=(3, input_size, input_size), C=C, N=N)


def __getattr__(name: str) -> Any:
    if name in ("NB101Network", "NB101Cell", "ConvBnRelu", "GlobalAvgPool"):
        from zcfast.spaces.nb101 import _torch

        return getattr(_torch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: NAS-Bench-101's one task: CIFAR-10 at 32×32.  The network pools with a parameter-free
#: ``GlobalAvgPool`` module (``global_pooling``), whose input zen reads.
TASKS: dict[str, TaskSpec] = {
    "cifar10": TaskSpec.classification(
        "cifar10",
        10,
        (3, 32, 32),
        feature_module="global_pooling",
        description="CIFAR-10 (NAS-Bench-101 trains on 40k images and validates on 10k)",
    ),
}


class NB101Space(Space):
    """NAS-Bench-101 as a :class:`zcfast.spaces.SearchSpace`.

    Parsed architectures are NASLib's flattened tuples of pruned cells (see :func:`parse`);
    keys are isomorphism invariant (:func:`key`).  The space has about 423k cells and is not
    enumerable here; :meth:`sample` draws with :meth:`random`.

    FLOPs follow the default (tensorwatch) convention of :mod:`zcfast.metrics` unchanged: the
    network's global average pooling is a parameter-free mean over space, as in NASLib's
    network (``torch.mean``), which the convention counts as 0 like the reference did.  With
    it, ``count_params`` and ``count_flops`` reproduce the ``params`` and ``flops`` of every
    row of NAS-Bench-Suite-Zero's ``zc_nasbench101.json``.

    Moves are of three kinds: change the op of one interior vertex, flip one edge (add or
    remove it), or add one vertex joined by an edge from an existing vertex and an edge to a
    later one.  (Without the third kind, a search could never leave a cell of fewer than 7
    vertices for a larger one: NASLib keeps unpruned 7-vertex specs, whose dead-end vertices
    one edge flip can join to the cell; in pruned form that is this move.)  Every valid move
    changes the key.

    Example
    -------
    >>> from random import Random
    >>> space = NB101Space()
    >>> space.key(([[0, 1], [0, 0]], ["input", "output"]))
    '(0, 1, 0, 0, 0, 1)'
    >>> len(space.sample(5, seed=0))
    5
    >>> cell = space.random(Random(0))
    >>> space.key(space.mutate(cell, Random(1))) != space.key(cell)
    True
    """

    name = "nb101"
    TASKS = TASKS
    flops_convention = "tensorwatch"

    def parse(self, arch: Any) -> Arch:
        """Flattened tuple of the pruned cell (see :func:`parse`)."""
        return parse(arch)

    def key(self, arch: Any) -> str:
        """Isomorphism-invariant key, the string of :func:`canonical` (see :func:`key`)."""
        return key(arch)

    def canonical(self, arch: Any) -> Arch:
        """Canonical form (see :func:`canonical`)."""
        return canonical(arch)

    def to_spec(self, arch: Any) -> dict[str, Any]:
        """``{"matrix", "ops"}`` of the pruned cell (see :func:`to_spec`)."""
        return to_spec(arch)

    def random(self, rng: Random) -> Arch:
        """A cell drawn as NAS-Bench-101 and NASLib draw one: each of the 21 edges of a
        7-vertex cell present with probability 1/2 and each interior op uniform, redrawn
        until the pruned cell is valid (output reachable, at most 9 edges); returned pruned.
        (Uniform over 7-vertex specs, not over the distinct cells.)"""
        rng = check_rng(rng)
        n = MAX_VERTICES
        while True:
            matrix = [[0] * n for _ in range(n)]
            for i in range(n - 1):
                for j in range(i + 1, n):
                    matrix[i][j] = rng.randrange(2)
            ops = [0, *(rng.choice(_INTERIOR) for _ in range(n - 2)), 1]
            cell = _moved(matrix, ops)
            if cell is not None:
                return cell

    def mutate(self, arch: Any, rng: Random) -> Arch:
        """A random valid cell one move from ``arch`` (see the class docs): a kind of move
        drawn uniformly among those with a valid move, then one of its valid moves uniformly.
        Always a different key."""
        t = parse(arch)
        rng = check_rng(rng)
        kinds = list(_MOVES)
        rng.shuffle(kinds)
        for kind in kinds:
            moves = [m for m in kind(t) if m is not None]
            if moves:
                return moves[rng.randrange(len(moves))]
        # a cell with an interior vertex has op moves; one without has vertex moves
        raise AssertionError(f"no valid move from {t}")  # pragma: no cover

    def neighbours(self, arch: Any) -> list[Arch]:
        """Every valid cell one move from ``arch``, one per key, in a fixed order: op changes
        (vertex by vertex, ops in :data:`OPS` order), edge flips (row by row), added vertices
        (by the edges' ends, then op)."""
        t = parse(arch)
        seen = {str(_canonical(t))}
        out: list[Arch] = []
        for kind in _MOVES:
            for m in kind(t):
                if m is not None:
                    k = str(_canonical(m))
                    if k not in seen:
                        seen.add(k)
                        out.append(m)
        return out

    def network(self, arch: Any, task: TaskSpec) -> NB101Network:
        """The NB101 network of a parsed cell for a classification ``task`` on (3, H, W)
        images (see :func:`build`)."""
        if not task.is_classification or len(task.input_shape) != 3 or task.input_shape[0] != 3:
            expected = "a classification task on (3, H, W) images for NB101"
            raise fail("task", expected, f"{task.output} outputs on {task.input_shape}")
        if min(task.input_shape[1:]) < 4:
            expected = "images of at least 4×4 for NB101 (two 2×2 poolings)"
            raise fail("task", expected, str(task.input_shape))
        from zcfast.spaces.nb101._torch import NB101Network

        return NB101Network(parse(arch), task.num_outputs, input_shape=task.input_shape)
