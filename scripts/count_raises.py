"""Count the hand-written raises of zcfast's own errors in ``python/zcfast``.

A *hand-written raise* is a ``raise SomeError(<message>)`` of a :mod:`zcfast.exceptions` class
whose message is composed at the raise site (a string, an f-string or a concatenation).  Checks
declared as data (``zcfast._params``: ``check(name, value, Int(1, 10))``) and errors built by a
shared constructor with the one message template are not counted: the point of the count is that
an argument's constraint is written once, as data, and every message has one grammar.

python scripts/count_raises.py [--files]     # the total (and per file)
"""

from __future__ import annotations

import argparse
import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "zcfast"
#: The ceiling tests/test_raises.py holds the package to.
LIMIT = 150


def _error_classes() -> set[str]:
    tree = ast.parse((PACKAGE / "exceptions.py").read_text())
    return {n.name for n in tree.body if isinstance(n, ast.ClassDef)}


def _composed(node: ast.expr) -> bool:
    """Whether ``node`` is a message written here: a str constant, an f-string, or ``+``/``%``
    of such."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.BinOp):
        return _composed(node.left) or _composed(node.right)
    return False


def count(package: Path = PACKAGE) -> Counter[str]:
    """Hand-written raises per file (paths relative to the repository root)."""
    classes = _error_classes()
    found: Counter[str] = Counter()
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = ""
            if isinstance(func, ast.Name):
                name = func.id
            elif isinstance(func, ast.Attribute) and ast.unparse(func.value).endswith("exceptions"):
                # ``exceptions.X``; not another module's class of the same name, such as
                # ``argparse.ArgumentTypeError``
                name = func.attr
            if name in classes and node.exc.args and _composed(node.exc.args[0]):
                found[str(path.relative_to(ROOT))] += 1
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--files", action="store_true", help="per file, most first")
    args = ap.parse_args()
    found = count()
    if args.files:
        for path, n in found.most_common():
            print(f"{n:5d}  {path}")
    print(f"{sum(found.values())} hand-written raises (limit {LIMIT})")


if __name__ == "__main__":
    main()
