"""An AIS folder (AIS_DIR) as a screening reads it: its files, and the bundled sample plan
(`sample/voyages.json`), rendered with times relative to the moment it is read."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from service.ais.model import Positions, StaticReport
from service.ais.read import ais_files, read_all
from service.ais.sample import load_sample, sample_source
from service.ais.streams import AisFormatError

log = logging.getLogger("service.ais")

SAMPLE_PLAN = Path("sample") / "voyages.json"

# Positions, static reports and the names of what they came from.
FolderAis = tuple[list[Positions], list[StaticReport], list[str]]


def read_sample(folder: Path) -> FolderAis:
    """The folder's sample plan rendered now; nothing when it has none or it is malformed."""
    plan = folder / SAMPLE_PLAN
    if not plan.is_file():
        return [], [], []
    try:
        positions, statics = load_sample(plan, datetime.now(UTC))
    except (ValueError, OSError) as exc:
        log.error("AIS sample %s not loaded: %s", plan, exc)
        return [], [], []
    return [positions], statics, [sample_source(plan)]


def read_folder(folder: Path) -> FolderAis:
    """Every AIS file of the folder and its sample, read into memory (nothing stored): the
    command line's offline screening. A file that is not AIS is logged and left out."""
    batches: list[Positions] = []
    statics: list[StaticReport] = []
    names: list[str] = []
    for path in ais_files(folder):
        try:
            positions, found, _ = read_all(path, path.name)
        except (AisFormatError, OSError) as exc:
            log.error("AIS file %s not read: %s", path, exc)
            continue
        batches.append(positions)
        statics.extend(found)
        names.append(path.name)
    # Files first, then the sample: the order a service reads them in (store, then sample).
    sample = read_sample(folder)
    return [*batches, *sample[0]], [*statics, *sample[1]], [*names, *sample[2]]
