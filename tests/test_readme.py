"""The README's settings table is the one zcfast.Settings describes."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_settings_table_is_generated_from_settings() -> None:
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "scripts" / "settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- settings-table:[^\n]*-->\n(.*?)\n<!-- /settings-table -->", readme, re.S
    )
    assert block is not None, "README lost its settings-table markers"
    assert block.group(1) == module.settings_table(), (
        "run: python scripts/settings_table.py --write"
    )
