"""A snapshot of the parsed lists and their built index, so a restart on the same files is quick.

Parsing the list files and building the index is the whole of start-up: about 2 s on the real
OFAC and EU files, and most of a minute at 100,000 listed vessels. Lists change at most daily,
while the service restarts whenever it is deployed, scaled or replaced, so after building, the
result is kept in `<DATA_DIR>/snapshots/` under a key that covers everything it came from:
the bytes of every file in each list's folder, the manifest, and the service's own code. Any
change to any of them gives another key, and the files are parsed again. A snapshot that cannot
be read (cut short, from another Python) is ignored and the lists are parsed as usual.

A snapshot is one file: a short header, a pickle (protocol 5) of the lists and the index, and
the index's numpy arrays out of band after it, each at a page boundary (`packed`). Loading maps
the file and hands those buffers back to the pickle, so the arrays are read from the mapping,
not copied: a warm start reads only the pickle's few objects, and the workers gunicorn forks
share the arrays in the page cache, each reading only the pages its queries need. After a cold
start the index just built is written and then served from its own file in the same way.

The files are written by the service into its own data folder, whole under their final name
(a new file, never one rewritten in place); nothing else should write there.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mmap
import os
import pickle
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from service.index import ScreeningIndex, build_index
from service.loaders.registry import MANIFEST, file_sha256, find_lists
from service.model import ListInfo, LoadedList

log = logging.getLogger("service.snapshot")

FOLDER = "snapshots"
# Snapshots kept: the newest few, so a rollback to the previous lists is quick too.
KEEP = 2
# The header: magic, the pickle's length and the number of buffers, then each buffer's offset
# and length in the file.
MAGIC = b"VSSNAP2\n"
_COUNTS = struct.Struct("<QQ")
_ALIGN = mmap.PAGESIZE
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
    there is none or it cannot be read. The index's arrays are read from the mapped file."""
    path = data_dir / FOLDER / f"{key}.pickle"
    try:
        loaded, index = _read(path)
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


def mapped(data_dir: Path, key: str, lists: Sequence[ListInfo]) -> ScreeningIndex | None:
    """The index kept under `key`, its arrays read from the mapped file rather than held in
    this process's memory, with `lists` as its list infos (those it was built from); None when
    it cannot be read."""
    kept = load(data_dir, key)
    if kept is None or tuple(lst.info.id for lst in kept[0]) != tuple(i.id for i in lists):
        return None
    index = kept[1]
    loaded = tuple(replace(lst, info=info) for lst, info in zip(index.loaded, lists, strict=True))
    return replace(index, lists=tuple(lists), loaded=loaded)


def build_apart(data_dir: Path, key: str, loaded: Sequence[LoadedList]) -> bool:
    """Build the index of `loaded` in a forked process that writes it under `key` and exits:
    whether it was written. Meanwhile this process only waits (its other threads, storing the
    list versions, have a core to themselves), and the memory the build takes is the child's
    and goes with it. False where there is no `fork` or the child failed (build here then)."""
    if not hasattr(os, "fork"):
        return False
    path = data_dir / FOLDER / f"{key}.pickle"
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # the child: build, write, exit without running anything of the parent's
        code = 1
        try:
            index = build_index(loaded)
            code = 0 if save(data_dir, key, list(index.loaded), index) else 1
        except BaseException:
            log.exception("building the index apart failed")
        finally:
            os._exit(code)
    # gunicorn's master reaps any child on SIGCHLD, so the file says whether it was written.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    return path.is_file()


def _read(path: Path) -> tuple[list[LoadedList], ScreeningIndex]:
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < len(MAGIC) + _COUNTS.size:
            raise ValueError("too short")
        # The mapping outlives the file object: the arrays made from it hold it.
        view = memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
    if view[: len(MAGIC)] != MAGIC:
        raise ValueError("not a snapshot of this format")
    at = len(MAGIC)
    length, count = _COUNTS.unpack_from(view, at)
    at += _COUNTS.size
    places = [_COUNTS.unpack_from(view, at + i * _COUNTS.size) for i in range(count)]
    at += count * _COUNTS.size
    if at + length > size or any(o + n > size for o, n in places):
        raise ValueError("cut short")
    buffers = [view[o : o + n] for o, n in places]
    loaded, index = pickle.loads(view[at : at + length], buffers=buffers)
    return list(loaded), index


def save(data_dir: Path, key: str, loaded: list[LoadedList], index: ScreeningIndex) -> bool:
    """Keep the lists and their index under `key` (written whole or not at all); whether it was
    written. A failure to write is logged, never raised: the service serves either way."""
    folder = data_dir / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        buffers: list[pickle.PickleBuffer] = []
        data = pickle.dumps(
            (loaded, index), protocol=5, buffer_callback=buffers.append
        )
        raws = [b.raw() for b in buffers]
        at = len(MAGIC) + _COUNTS.size * (1 + len(raws)) + len(data)
        places = []
        for raw in raws:
            at += -at % _ALIGN
            places.append((at, raw.nbytes))
            at += raw.nbytes
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(MAGIC + _COUNTS.pack(len(data), len(raws)))
                handle.write(b"".join(_COUNTS.pack(o, n) for o, n in places))
                handle.write(data)
                for (place, _), raw in zip(places, raws, strict=True):
                    handle.write(b"\0" * (place - handle.tell()))
                    handle.write(raw)
            os.replace(tmp, folder / f"{key}.pickle")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("snapshot not written to %s: %s", folder, exc)
        return False
    return True


def _code_digest() -> str:
    """The service's own files: a snapshot made by other code is never used."""
    digest = hashlib.sha256()
    for path in sorted(_CODE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(_CODE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
