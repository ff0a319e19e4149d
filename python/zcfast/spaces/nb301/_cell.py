"""The DARTS cell's vocabulary: ops, shape of an architecture and the canonical form.

Shared by the encodings (:mod:`zcfast.spaces.nb301`) and the PyTorch networks
(:mod:`zcfast.spaces.nb301._torch`), which therefore need not import each other.
"""

from __future__ import annotations

__all__ = [
    "CONCAT",
    "CONFIGS",
    "EDGES_PER_CELL",
    "NODES",
    "NUM_OPS",
    "OPS",
    "Arch",
    "Cell",
    "Edge",
    "node_inputs",
]

#: One edge of a cell: ``(input, op)``.  Inputs ``0`` and ``1`` are the cell's two inputs (the
#: outputs of the cells two back and one back); ``k + 2`` is intermediate node ``k``.  ``op`` is
#: an index into :data:`OPS`.
Edge = tuple[int, int]
#: One cell: 8 edges, two per intermediate node (node ``k`` owns edges ``2k`` and ``2k + 1``).
Cell = tuple[Edge, Edge, Edge, Edge, Edge, Edge, Edge, Edge]
#: An architecture: ``(normal cell, reduction cell)``.
Arch = tuple[Cell, Cell]

#: DARTS op names by the op index of NASLib's compact encoding (NASLib's ``OPS`` list in
#: ``nasbench301/conversions.py``; it is DARTS's ``PRIMITIVES`` without ``none``).
OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
NUM_OPS = len(OPS)
#: Intermediate nodes per cell.
NODES = 4
EDGES_PER_CELL = 2 * NODES
#: Op sets of the networks: ``"naslib"`` (NASLib's ops, with which NAS-Bench-Suite-Zero
#: scored NB301) and ``"darts"`` (DARTS's evaluation ops).
CONFIGS: tuple[str, ...] = ("naslib", "darts")
#: The cell outputs that are concatenated: every intermediate node (states 2..5).
CONCAT: tuple[int, ...] = (2, 3, 4, 5)


def node_inputs(node: int) -> int:
    """Number of states intermediate node ``node`` (0-based) may read: the two cell inputs and
    the ``node`` earlier intermediate nodes."""
    return node + 2
