"""The tree says why the code is as it is now, never how it got there: no comment, docstring,
test name or page narrates earlier runs, numbered rounds of work or what was tried before.

History belongs in the commit log, where it is dated and tied to the change it explains.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Phrases that only narrate the past of the work; words like "no longer named" describe what the
# service does (a retired list) and stay allowed.
NARRATION = re.compile(
    r"\bstops? (?:\d+|N)\b|\bthis stop\b|recording-history|\bwas tried\b|\bwe tried\b"
    r"|\bround \d+\b|\bbefore the fix\b|\bin an earlier run\b|\bused to be\b",
    re.IGNORECASE,
)

SUFFIXES = {".py", ".md", ".sh", ".cfg", ".toml", ".yaml", ".yml", ".txt"}


def _files() -> list[Path]:
    found = [REPO / "README.md"]
    for top in ("service", "tests", "benchmarks", "docs"):
        found += (p for p in (REPO / top).rglob("*") if p.suffix in SUFFIXES and p.is_file())
    me = Path(__file__).resolve()
    return sorted(p for p in found if p.resolve() != me and "fixtures" not in p.parts)


def test_nothing_in_the_tree_narrates_past_work() -> None:
    hits = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if NARRATION.search(line)
    ]
    assert not hits, "say why the code is as it is now:\n" + "\n".join(hits)


def test_the_pattern_tells_narration_from_behaviour() -> None:
    assert NARRATION.search("Stop 2 made this faster")
    assert NARRATION.search("as was tried before")
    assert not NARRATION.search("a list no longer named is retired")
    assert not NARRATION.search("stopping it takes no longer than it must")
