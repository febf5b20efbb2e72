"""The two commands, the image and the settings keep the README's promises.

The configuration table is checked against the settings in tests/test_docs.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service.settings import Settings

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def test_readme_leads_with_the_two_commands() -> None:
    head = README[:1500]
    assert "make run" in head and "make test" in head


def test_settings_read_the_environment_and_refuse_nonsense() -> None:
    s = Settings.from_env({"PORT": "9001", "MATCH_THRESHOLD": "0.95"})
    assert (s.port, s.match_threshold) == (9001, 0.95)
    with pytest.raises(ValueError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})
    with pytest.raises(ValueError, match="REVIEW_THRESHOLD"):
        Settings.from_env({"REVIEW_THRESHOLD": "0.95", "MATCH_THRESHOLD": "0.9"})


def test_makefile_has_run_and_test_and_ci_calls_make_test() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_dockerfile_is_lint_clean_non_root_with_a_health_check() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root|0\b)", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "EXPOSE 8000" in dockerfile
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_prints_the_openapi_document_and_the_config() -> None:
    from service.cli import main

    assert main(["config"]) == 0
    assert main(["openapi"]) == 0
