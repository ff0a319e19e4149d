"""The NAS-Bench-201 cell's vocabulary: ops, edges and the encoding's constants.

Shared by the encodings (:mod:`zcfast.spaces.nb201`) and the PyTorch network
(:mod:`zcfast.spaces.nb201._torch`), which therefore need not import each other.
"""

from __future__ import annotations

__all__ = ["EDGES", "NASLIB_OPS", "OPS", "SIZE", "STRING_EDGES", "Arch"]

Arch = tuple[int, int, int, int, int, int]

#: Official NB201 op names in the official search-space order.
OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: Op names indexed by the NASLib tuple's op index.
NASLIB_OPS: tuple[str, ...] = (
    "skip_connect",
    "none",
    "nor_conv_3x3",
    "nor_conv_1x1",
    "avg_pool_3x3",
)
#: Edges ``(from, to)`` (0-based nodes) in NASLib tuple order.
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
#: Edges in the order they appear in the official string.
STRING_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
#: Number of cells in the space.
SIZE = 5**6
