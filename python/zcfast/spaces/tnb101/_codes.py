"""TransNAS-Bench-101's encodings: micro cells and macro skeletons as NASLib 6-tuples.

Shared by the spaces (:mod:`zcfast.spaces.tnb101`) and the PyTorch networks
(:mod:`zcfast.spaces.tnb101._torch`); imports neither PyTorch nor the networks.

**Micro** (a cell searched inside a fixed skeleton): position ``k`` of the tuple is the op on
edge :data:`MICRO_EDGES` ``[k]`` of a 4-node cell, ``(0→1, 0→2, 1→2, 0→3, 1→3, 2→3)`` (node 0 =
the cell's input, node 3 = its output), with op indices :data:`MICRO_OPS`
``0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3``.  These are the digits of the
official TransNAS-Bench-101 string ``64-41414-a_bc_def`` in the same order (NASLib's builder
formats the tuple into that string unchanged).  All ``4**6 = 4096`` cells are in the space.

**Macro** (a skeleton of residual stages): position ``k`` is the code of stage ``k``
(:data:`MACRO_CODES`): ``1`` keeps resolution and width, ``2`` doubles the channels, ``3``
halves the resolution, ``4`` does both; ``0`` = no stage, only as trailing padding.  A skeleton
has 4 to 6 stages, 1 to 4 of them downsampling (codes 3, 4) and 1 to 3 of them doubling the
channels (codes 2, 4): 3,256 skeletons.  The official string is ``64-<codes>-basic``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from zcfast._messages import describe_value
from zcfast._params import fail, found_type
from zcfast.exceptions import ArgumentTypeError, ZcfastError

__all__ = [
    "MACRO_CODES",
    "MACRO_DOUBLINGS",
    "MACRO_DOWNSAMPLINGS",
    "MACRO_SIZE",
    "MACRO_STAGES",
    "MICRO_EDGES",
    "MICRO_OPS",
    "MICRO_SIZE",
    "MICRO_SKELETON",
    "Arch",
    "downsamplings",
    "macro_archs",
    "macro_problem",
    "macro_stages",
    "parse_macro",
    "parse_micro",
]

Arch = tuple[int, int, int, int, int, int]

#: Micro op names by op index (the digit of the official string).
MICRO_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
#: Micro cell edges ``(from, to)`` in tuple order (0 = cell input, 3 = cell output).
MICRO_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
#: Number of micro cells.
MICRO_SIZE = 4**6
#: The fixed skeleton of the micro space (stage codes, see :data:`MACRO_CODES`).
MICRO_SKELETON: tuple[int, ...] = (4, 1, 4, 1, 4)

#: Macro stage codes: what each stage does.
MACRO_CODES: dict[int, str] = {
    1: "keep resolution and channels",
    2: "double the channels",
    3: "halve the resolution",
    4: "halve the resolution and double the channels",
}
#: Allowed number of stages, of downsampling stages and of channel-doubling stages.
MACRO_STAGES = (4, 6)
MACRO_DOWNSAMPLINGS = (1, 4)
MACRO_DOUBLINGS = (1, 3)
#: Number of macro skeletons.
MACRO_SIZE = 3256

# ASCII digits only, six of them, in parentheses or brackets.
_TUPLE_RE = re.compile(r"^[\(\[]\s*[0-9](\s*,\s*[0-9]){5}\s*,?\s*[\)\]]$")
_MICRO_STR_RE = re.compile(r"^64-41414-([0-3])_([0-3]{2})_([0-3]{3})$")
_MACRO_STR_RE = re.compile(r"^64-([0-9]{1,8})-basic$")


def _shown(arch: Any) -> str:
    """``arch`` for a message: a short sequence in full (``describe_value`` stops at five
    items, one short of a tuple here), anything else as ``describe_value`` shows it."""
    if isinstance(arch, (tuple, list)) and len(arch) <= 8:
        inner = ", ".join(describe_value(v, 40) for v in arch)
        return f"({inner})" if isinstance(arch, tuple) else f"[{inner}]"
    return describe_value(arch, 120)


def _bad(space: str, arch: Any, why: str) -> ZcfastError:
    return fail("arch", f"a TransNAS-Bench-101 {space} architecture ({why})", _shown(arch))


def _as_int(v: Any) -> int | None:
    """``v`` as a Python int when it is an integer (NumPy integers too), else ``None``."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a core dependency
        return None
    if isinstance(v, np.integer) and not isinstance(v, np.bool_):
        return int(v)
    return None


def _six_ints(space: str, arch: Any) -> list[int]:
    """The six ints of a tuple/list/array/tuple string ``arch``, unchecked in range."""
    values: Any = arch
    if isinstance(arch, str):
        s = arch.strip()
        if not _TUPLE_RE.match(s) or s[0] + s[-1] not in ("()", "[]"):
            raise _bad(space, arch, "a 6-tuple string like '(1, 0, 0, 2, 1, 3)'")
        return [int(d) for d in re.findall(r"[0-9]", s)]
    try:
        import numpy as np

        if isinstance(arch, np.ndarray):
            values = arch.tolist() if arch.ndim == 1 else None
            if values is None:
                raise _bad(space, arch, f"a flat sequence of 6 ints, got {arch.ndim} dimensions")
    except ImportError:  # pragma: no cover
        pass
    if not isinstance(values, (tuple, list)):
        expected = "a 6-tuple of ints or its string"
        raise fail("arch", expected, found_type(arch), ArgumentTypeError)
    if len(values) != 6:
        raise _bad(space, arch, f"6 ints, got {len(values)}")
    out = []
    for v in values:
        i = _as_int(v)
        if i is None:
            raise _bad(space, arch, f"integer entries, got {describe_value(v)}")
        out.append(i)
    return out


def _tuple(v: Sequence[int]) -> Arch:
    return (v[0], v[1], v[2], v[3], v[4], v[5])


def parse_micro(arch: Any) -> Arch:
    """The micro cell of ``arch`` as a 6-tuple of op indices.

    Accepts a tuple/list/array of six ints in ``0..3``, its string ``"(1, 0, 0, 2, 1, 3)"``,
    or the official TransNAS-Bench-101 string ``"64-41414-1_00_213"``.

    Example
    -------
    >>> parse_micro("64-41414-1_00_213")
    (1, 0, 0, 2, 1, 3)
    >>> parse_micro([3, 3, 3, 3, 3, 3])
    (3, 3, 3, 3, 3, 3)
    """
    if isinstance(arch, str):
        m = _MICRO_STR_RE.match(arch.strip())
        if m:
            return _tuple([int(d) for d in "".join(m.groups())])
        if arch.strip().startswith("64-"):
            raise _bad("micro", arch, "an official string '64-41414-a_bc_def' with digits 0..3")
    values = _six_ints("micro", arch)
    for v in values:
        if not 0 <= v <= 3:
            raise _bad("micro", arch, f"op indices in 0..3, got {describe_value(v)}")
    return _tuple(values)


def parse_macro(arch: Any) -> Arch:
    """The macro skeleton of ``arch`` as a 6-tuple of stage codes (trailing zeros pad).

    Accepts a tuple/list/array of six ints, its string ``"(1, 2, 4, 2, 0, 0)"``, or the
    official TransNAS-Bench-101 string ``"64-1242-basic"``; the codes must describe one of
    the 3,256 skeletons (see :mod:`zcfast.spaces.tnb101._codes`).

    Example
    -------
    >>> parse_macro("64-1242-basic")
    (1, 2, 4, 2, 0, 0)
    >>> parse_macro("(4, 1, 3, 2, 1, 1)")
    (4, 1, 3, 2, 1, 1)
    """
    if isinstance(arch, str):
        m = _MACRO_STR_RE.match(arch.strip())
        if m:
            digits = [int(d) for d in m.group(1)]
            lo, hi = MACRO_STAGES
            if not lo <= len(digits) <= hi:
                raise _bad("macro", arch, f"{lo} to {hi} stage codes, got {len(digits)}")
            return _check_macro(digits + [0] * (6 - len(digits)), arch)
        if arch.strip().startswith("64-"):
            raise _bad("macro", arch, "an official string '64-<4 to 6 codes in 1..4>-basic'")
    return _check_macro(_six_ints("macro", arch), arch)


def macro_problem(values: Sequence[int]) -> str | None:
    """Why six stage codes are not a macro skeleton of the space (``None``: they are).

    Example
    -------
    >>> macro_problem((1, 1, 1, 1, 0, 0))
    '1 to 4 downsampling stages (code 3 or 4), got 0'
    """
    for v in values:
        if not 0 <= v <= 4:
            return f"stage codes in 0..4 (0 = no stage), got {describe_value(v)}"
    n = len(values)
    while n and values[n - 1] == 0:
        n -= 1
    if 0 in values[:n]:
        return "code 0 (no stage) only after the last stage"
    lo, hi = MACRO_STAGES
    if not lo <= n <= hi:
        return f"{lo} to {hi} stages, got {n}"
    down = sum(v in (3, 4) for v in values)
    lo, hi = MACRO_DOWNSAMPLINGS
    if not lo <= down <= hi:
        return f"{lo} to {hi} downsampling stages (code 3 or 4), got {down}"
    double = sum(v in (2, 4) for v in values)
    lo, hi = MACRO_DOUBLINGS
    if not lo <= double <= hi:
        return f"{lo} to {hi} channel-doubling stages (code 2 or 4), got {double}"
    return None


def _check_macro(values: list[int], arch: Any) -> Arch:
    why = macro_problem(values)
    if why is not None:
        raise _bad("macro", arch, why)
    return _tuple(values)


def macro_stages(arch: Arch) -> tuple[int, ...]:
    """The stage codes of a parsed macro skeleton, without the padding.

    Example
    -------
    >>> macro_stages((1, 2, 4, 2, 0, 0))
    (1, 2, 4, 2)
    """
    return tuple(c for c in arch if c)


def downsamplings(stages: Sequence[int]) -> int:
    """Number of stages that halve the resolution (codes 3 and 4).

    Example
    -------
    >>> downsamplings(MICRO_SKELETON)
    3
    """
    return sum(c in (3, 4) for c in stages)


@lru_cache(maxsize=1)
def macro_archs() -> tuple[Arch, ...]:
    """Every macro skeleton, in lexicographic order of the 6-tuples.

    Example
    -------
    >>> archs = macro_archs()
    >>> len(archs), archs[0]
    (3256, (1, 1, 1, 1, 1, 4))
    """
    out = []
    lo, hi = MACRO_STAGES
    for n in range(lo, hi + 1):
        for codes in itertools.product(range(1, 5), repeat=n):
            arch = _tuple([*codes, *[0] * (6 - n)])
            if macro_problem(arch) is None:
                out.append(arch)
    out.sort()
    assert len(out) == MACRO_SIZE
    return tuple(out)
