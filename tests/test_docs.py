"""The docs say what the service does now: the configuration page matches the settings, the
README stays a five-minute read, and no page narrates past runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from service.settings import SETTINGS

REPO = Path(__file__).resolve().parent.parent
CONFIG_PAGE = REPO / "docs" / "configuration.md"


def _settings_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "settings_table", REPO / "scripts" / "settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_page_table_is_the_one_the_settings_give() -> None:
    generator = _settings_table()
    page = CONFIG_PAGE.read_text()
    assert generator.page_table(page) == generator.table(), (
        "docs/configuration.md's table differs from service/settings.py: run "
        ".venv/bin/python scripts/settings_table.py --write"
    )
    for setting in SETTINGS.values():
        rows = [line for line in page.splitlines() if line.startswith(f"| `{setting.env}` |")]
        assert len(rows) == 1, f"{setting.env} is not in docs/configuration.md once"
        assert setting.documented_default in rows[0], f"{setting.env}'s default is not in its row"


def test_readme_is_short_and_points_to_the_configuration_page() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    assert "docs/configuration.md" in readme
    assert not any(
        line.startswith(f"| `{s.env}` |") for s in SETTINGS.values() for line in readme.splitlines()
    ), "the configuration table lives in docs/configuration.md"


def test_every_docs_page_is_in_the_nav() -> None:
    nav = (REPO / "mkdocs.yml").read_text()
    for page in (REPO / "docs").glob("*.md"):
        assert f" {page.name}" in nav, f"docs/{page.name} is not in mkdocs.yml's nav"
