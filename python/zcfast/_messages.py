"""Pieces of error messages shared by every module that checks input."""

from __future__ import annotations

import numpy as np

__all__ = ["describe_value"]


def describe_value(value: object, limit: int = 80) -> str:
    """A short text for a value a message says was found: huge integers as ``2**70`` or
    ``1e+30`` (their digits can be too many for ``str``), sequences item by item, anything
    else by its ``repr`` cut at ``limit`` characters."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        v = int(value)
        if abs(v) < 10**15:
            return str(v)
        sign, m = ("-" if v < 0 else ""), abs(v)
        if m & (m - 1) == 0:
            return f"{sign}2**{m.bit_length() - 1}"
        if m.bit_length() < 1000:
            return f"{v:.6g}"
        return f"{sign}an integer of {m.bit_length()} bits"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe_value(v, limit) for v in value[:5])
        single = len(value) == 1 and isinstance(value, tuple)
        inner += ", ..." if len(value) > 5 else ("," if single else "")
        text = f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
        return text if len(text) <= limit else text[: limit - 3] + "..."
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."
