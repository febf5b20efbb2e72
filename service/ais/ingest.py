"""Raw AIS into the store: a file, a folder (AIS_DIR) or a posted body, read with the readers,
kept whole in one transaction, and known by the sha256 of its bytes so that the same file read
again (a restart, a second upload) is stored once.

A file is stored a chunk at a time as it is read, so memory stays flat whatever its length; it
counts (is read back, derived from) only once its last chunk is in.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from service.ais.model import Positions, ReadSummary, StaticReport
from service.ais.read import ais_files, read_ais
from service.loaders.registry import file_sha256
from service.store import Store
from service.store.ais_sql import AisIngest

log = logging.getLogger("service.ais")

# Told the messages (positions and static reports) read so far and the bytes taken.
IngestProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class IngestResult:
    summary: ReadSummary
    stored: AisIngest

    @property
    def new(self) -> bool:
        return self.stored.new


def ingest(
    store: Store,
    source: Path | bytes,
    name: str,
    progress: IngestProgress | None = None,
) -> IngestResult:
    """Read one AIS input and store it (AisFormatError when it is not AIS; StoreError when it
    is not stored). Bad lines are counted and reported in the summary, never fatal."""
    if isinstance(source, Path):
        sha = file_sha256(source)
        stream: Path | BinaryIO = source
    else:
        sha = hashlib.sha256(source).hexdigest()
        stream = io.BytesIO(source)
    known = store.ais_known(sha)
    if known is not None:  # these bytes are stored: nothing to read
        return IngestResult(ReadSummary(source=name, format="stored"), known)
    reader = read_ais(stream, name)

    def chunks() -> Iterator[tuple[Positions, list[StaticReport]]]:
        for positions, found in reader:
            yield positions, found
            if progress is not None:
                progress(reader.summary.accepted, reader.bytes_read)

    stored = store.save_ais(name, sha, chunks(), datetime.now(UTC), lambda: reader.summary.rejected)
    return IngestResult(reader.summary, stored)


def ingest_folder(store: Store, folder: Path) -> list[IngestResult]:
    """Every AIS file of `folder` not stored before; a file that cannot be read is logged and
    skipped, so one bad file never keeps the others out."""
    from service.ais.streams import AisFormatError
    from service.store import StoreError

    results = []
    for path in ais_files(folder):
        try:
            result = ingest(store, path, path.name)
        except (AisFormatError, OSError) as exc:
            log.error("AIS file %s not read: %s", path, exc)
            continue
        except StoreError as exc:
            log.error("AIS file %s not stored: %s", path, exc)
            continue
        if result.new:
            s = result.summary
            log.info(
                "AIS %s (%s): %d positions, %d static reports, %d rejected lines, %d outliers",
                path.name, s.format, s.positions, s.statics, s.rejected, s.outliers,
            )  # fmt: skip
        results.append(result)
    return results
