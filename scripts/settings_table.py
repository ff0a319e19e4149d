"""Print the README's table of settings from ``zcfast.Settings`` (its single source).

python scripts/settings_table.py            # the Markdown table
python scripts/settings_table.py --write    # replace the README's table with it
``tests/test_readme.py`` checks that the README holds exactly this table.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from zcfast import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- settings-table:[^\n]*-->\n)(.*?)(\n<!-- /settings-table -->)", re.S)


def settings_table() -> str:
    """One Markdown row per setting: name, default, meaning."""
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for name, (default, doc) in Settings.describe().items():
        shown = (
            " ".join(default)
            if isinstance(default, tuple) and name in ("functions", "reducers")
            else default
        )
        rows.append(f"| `{name}` | `{shown}` | {doc} |")
    return "\n".join(rows)


def write_readme() -> None:
    text = README.read_text()
    if not BLOCK.search(text):
        raise SystemExit("README.md lost its settings-table markers")
    README.write_text(BLOCK.sub(lambda m: m.group(1) + settings_table() + m.group(3), text))


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write_readme()
    else:
        print(settings_table())
