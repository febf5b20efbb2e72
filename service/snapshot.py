"""A snapshot of the parsed lists and their built index, so a restart on the same files is quick.

Parsing the list files and building the index is the whole of start-up: about 2 s on the real
OFAC and EU files, and most of a minute at 100,000 listed vessels. Lists change at most daily,
while the service restarts whenever it is deployed, scaled or replaced, so after building, the
result is kept in `<DATA_DIR>/snapshots/` under a key that covers everything it came from:
the bytes of every file in each list's folder, the manifest, and the service's own code. Any
change to any of them gives another key, and the files are parsed again. A snapshot that cannot
be read (cut short, from another Python) is ignored and the lists are parsed as usual.

The files are pickles written by the service into its own data folder; nothing else should
write there.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from service.index import ScreeningIndex
from service.loaders.registry import MANIFEST, file_sha256, find_lists
from service.model import LoadedList

log = logging.getLogger("service.snapshot")

FOLDER = "snapshots"
# Snapshots kept: the newest few, so a rollback to the previous lists is quick too.
KEEP = 2
_CODE = Path(__file__).resolve().parent


def key_of(lists_dir: Path) -> str:
    """What a snapshot of `lists_dir` depends on, as one digest; raises ListLoadError or
    OSError where the folder cannot be read (the caller then parses, and reports that)."""
    digest = hashlib.sha256(_code_digest().encode())
    manifest = lists_dir / MANIFEST
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    for entry in find_lists(lists_dir):
        digest.update(repr((entry.id, entry.format, entry.title, entry.source)).encode())
        folder = entry.path if entry.path.is_dir() else entry.path.parent
        for path in sorted(folder.iterdir()):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(file_sha256(path).encode())
    return digest.hexdigest()[:32]


def load(data_dir: Path, key: str) -> tuple[list[LoadedList], ScreeningIndex] | None:
    """The lists and index kept under `key`, with this moment as their load time; None when
    there is none or it cannot be read."""
    path = data_dir / FOLDER / f"{key}.pickle"
    try:
        with path.open("rb") as handle:
            loaded, index = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a snapshot is only ever a shortcut: parse instead
        log.warning("snapshot %s not usable, parsing the lists: %s", path, exc)
        return None
    if not isinstance(index, ScreeningIndex):
        return None
    now = datetime.now(UTC)
    loaded = [replace(lst, info=replace(lst.info, loaded_at=now)) for lst in loaded]
    index = replace(index, lists=tuple(lst.info for lst in loaded), loaded=tuple(loaded))
    return loaded, index


def save(data_dir: Path, key: str, loaded: list[LoadedList], index: ScreeningIndex) -> None:
    """Keep the lists and their index under `key` (written whole or not at all); a failure to
    write is logged, never raised: the service serves either way."""
    folder = data_dir / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((loaded, replace(index, memo={})), handle, pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{key}.pickle")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("snapshot not written to %s: %s", folder, exc)


def save_in_background(
    data_dir: Path, key: str, loaded: list[LoadedList], index: ScreeningIndex
) -> None:
    """`save` from a forked process, so that start-up does not wait for it (pickling 100,000
    vessels takes seconds). The child's memory is a copy of this moment's, so it writes exactly
    what is served; it forks once more and exits at once, so nobody has to reap the writer."""
    if not hasattr(os, "fork"):
        save(data_dir, key, loaded, index)
        return
    try:
        pid = os.fork()
    except OSError:
        save(data_dir, key, loaded, index)
        return
    if pid == 0:
        try:
            if os.fork() == 0:
                try:
                    save(data_dir, key, loaded, index)
                finally:
                    os._exit(0)
        finally:
            os._exit(0)
    with contextlib.suppress(ChildProcessError):  # gunicorn's master reaps children too
        os.waitpid(pid, 0)


def _code_digest() -> str:
    """The service's own files: a snapshot made by other code is never used."""
    digest = hashlib.sha256()
    for path in sorted(_CODE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(_CODE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
