"""The NAS-Bench-101 cell's vocabulary: ops, limits, the flattened encoding and vertex widths.

Shared by the encodings (:mod:`zcfast.spaces.nb101`) and the PyTorch network
(:mod:`zcfast.spaces.nb101._torch`), which therefore need not import each other.  Nothing here
imports PyTorch or NumPy.

A cell of ``n`` vertices is stored as NASLib stores it (``convert_spec_to_tuple``): the
``n × n`` adjacency matrix flattened row by row, then one op index per vertex, ``n·n + n``
ints in all (56 for 7 vertices), op indices from :data:`NASLIB_OPS`.
"""

from __future__ import annotations

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
    "Arch",
    "flatten",
    "unflatten",
    "vertex_channels",
]

#: A cell in NASLib's flattened form: ``n·n`` adjacency entries (row-major), then ``n`` op
#: indices of :data:`NASLIB_OPS`.
Arch = tuple[int, ...]

INPUT = "input"
OUTPUT = "output"
CONV3X3 = "conv3x3-bn-relu"
CONV1X1 = "conv1x1-bn-relu"
MAXPOOL3X3 = "maxpool3x3"

#: The ops an interior vertex can carry, in NAS-Bench-101's own order (``available_ops``).
OPS: tuple[str, ...] = (CONV3X3, CONV1X1, MAXPOOL3X3)
#: Op names indexed by the op indices of NASLib's flattened encoding (``all_ops`` of NASLib's
#: ``nasbench101/conversions.py``): 0 input, 1 output, 2 maxpool3x3, 3 conv1x1, 4 conv3x3.
NASLIB_OPS: tuple[str, ...] = (INPUT, OUTPUT, MAXPOOL3X3, CONV1X1, CONV3X3)
#: Most vertices of a cell, input and output included.
MAX_VERTICES = 7
#: Most edges of a (pruned) cell.
MAX_EDGES = 9


def unflatten(arch: Arch) -> tuple[int, list[list[int]], list[int]]:
    """``(n, matrix, op_indices)`` of a flattened cell (no checks: ``arch`` is parsed).

    Example
    -------
    >>> unflatten((0, 1, 0, 0, 0, 1))
    (2, [[0, 1], [0, 0]], [0, 1])
    """
    n = _vertices(len(arch))
    matrix = [list(arch[i * n : (i + 1) * n]) for i in range(n)]
    return n, matrix, list(arch[n * n :])


def flatten(matrix: list[list[int]], ops: list[int]) -> Arch:
    """The flattened form of a matrix and its op indices.

    Example
    -------
    >>> flatten([[0, 1], [0, 0]], [0, 1])
    (0, 1, 0, 0, 0, 1)
    """
    return (*(v for row in matrix for v in row), *ops)


def _vertices(length: int) -> int:
    """``n`` with ``n·n + n == length`` (``0`` when there is none in ``1..MAX_VERTICES``)."""
    for n in range(1, MAX_VERTICES + 1):
        if n * n + n == length:
            return n
    return 0


def vertex_channels(c_in: int, c_out: int, matrix: list[list[int]]) -> list[int]:
    """Output channels of every vertex of a pruned cell, as NAS-Bench-101 assigns them.

    The input vertex has ``c_in`` and the output ``c_out`` channels.  The output concatenates
    the interior vertices that feed it, so ``c_out`` is split evenly among them, the remainder
    going one channel each to the first ones (in vertex order); every other interior vertex has
    the largest width of the vertices it feeds (a wider input is cut to a narrower vertex).

    Example
    -------
    >>> vertex_channels(128, 128, [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
    [128, 64, 64, 128]
    >>> vertex_channels(64, 128, [[0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
    [64, 64, 64, 128]
    """
    n = len(matrix)
    channels = [0] * n
    channels[0], channels[-1] = c_in, c_out
    if n == 2:
        return channels
    feeding = [v for v in range(1, n - 1) if matrix[v][n - 1]]
    share, extra = divmod(c_out, len(feeding))
    for k, v in enumerate(feeding):
        channels[v] = share + (1 if k < extra else 0)
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            channels[v] = max(channels[d] for d in range(v + 1, n - 1) if matrix[v][d])
    return channels
