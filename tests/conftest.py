"""Shared test fixtures.

Tests that read the real published files in ../shared/data skip where that folder is absent (a
user's machine) and fail in CI (`CI=true`), where it must be present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
BUNDLED_LISTS = REPO_ROOT / "lists"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the test when it is absent, fails when CI=true."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"{path} is not here"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}, and CI=true needs the shared data", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def ofac_dir() -> Path:
    return shared_path("ofac")


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The service on its embedded default: the bundled sample lists and port calls."""
    from service import create_app

    return create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def ofac_app(ofac_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The service serving the real OFAC SDN files."""
    from service import create_app

    return create_app(lists_dir=ofac_dir, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture()
def client(sample_app):  # type: ignore[no-untyped-def]
    return sample_app.test_client()
