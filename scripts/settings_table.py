"""Print the README's table of settings from ``zcfast.Settings`` (its single source).

python scripts/settings_table.py            # the Markdown table
``tests/test_readme.py`` checks that the README holds exactly this table.
"""

from __future__ import annotations

from zcfast import Settings


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


if __name__ == "__main__":
    print(settings_table())
