"""The port-call files' parsed form kept in DATA_DIR, so that a start on the same files reads
the index's arrays back rather than parsing every row again.

Parsing is nearly all that reading the port data costs (seconds for the 242,000 calls of
100,000 listed vessels; reading the arrays back takes a few tens of milliseconds). The cache is
one file, `DATA_DIR/port-calls.cache`: an uncompressed `.npz` of the index's arrays
(`PackedCalls`), the files' summaries as JSON (their counts and rejected rows, exactly as the
parse gave them) and the key it was made under. The key covers everything the parse depends on:
each file's path, size, modification and change times and inode; the port table the ports were
resolved against (a digest of its ports); the code that parses and the packages it uses. Any
change gives another key, and the files are parsed again and the cache written over.

A cache that is missing, made under another key, cut short or damaged (the zip's CRC, the
arrays' shapes and ranges) is parsed over, never an error; an `.npz` read without pickles runs
no code of its own. It is written whole to a new file that then takes its name (`os.replace`),
and only from a parse that read every file (a file that could not be opened may open next time)
and during which no file changed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from service.portcalls.call_files import call_file_paths, read_call_files
from service.portcalls.calls import CallFileSummary, PortCallIndex, Rejected
from service.portcalls.packed_calls import PackedCalls
from service.portcalls.ports import PortTable

__all__ = ["FILE", "cache_key", "load_port_calls_cached"]

log = logging.getLogger(__name__)

FILE = "port-calls.cache"
# The layout of the file itself; the code digest covers the rest.
_FORMAT = b"port-calls cache 1\n"
_SERVICE = Path(__file__).resolve().parent.parent
# What parsing a row and packing it run: these modules, and the packages they call.
_CODE = (*sorted(Path(__file__).resolve().parent.glob("*.py")), _SERVICE / "identifiers.py")
_CODE += (_SERVICE / "packed.py",)
_PACKAGES = ("numpy", "pycountry", "babel", "anyascii")


def load_port_calls_cached(
    folder: Path, ports: PortTable, data_dir: Path
) -> tuple[PortCallIndex, list[CallFileSummary]]:
    """What `call_files.load_port_calls_dir(folder, ports)` gives, read from the cache in
    `data_dir` when it was made from the same files, ports and code; else parsed, and kept."""
    paths = call_file_paths(folder)
    if not paths:
        return PortCallIndex(), []
    files = _files_digest(paths)
    key = None if files is None else cache_key(files, ports)
    path = data_dir / FILE
    if key is not None:
        kept = _read(path, key)
        if kept is not None:
            log.info("port calls: %d from %s (%d files unchanged)", len(kept[0]), path, len(paths))
            return kept
    index, summaries, whole = read_call_files(paths, ports)
    packed = index.packed
    if key is not None and whole and packed is not None and _files_digest(paths) == files:
        _write(data_dir, key, packed, summaries)
    return index, summaries


def cache_key(files: str, ports: PortTable) -> str:
    """The key of the files' parse (`files`: their digest) against `ports` by this code."""
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(files.encode())
    # repr holds every field of every port (names, country, sources...), in the table's order:
    # all that resolving a port reads.
    digest.update(repr(tuple(ports)).encode("utf-8", "backslashreplace"))
    return digest.hexdigest()[:32]


def _files_digest(paths: Sequence[Path]) -> str | None:
    """Each file's path, size, times and inode; None when one cannot be looked at."""
    try:
        stats = [(str(p), os.stat(p)) for p in paths]
    except OSError:
        return None
    described = [
        (name, s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino, s.st_dev) for name, s in stats
    ]
    return hashlib.sha256(repr(described).encode("utf-8", "backslashreplace")).hexdigest()


@cache
def _code_digest() -> str:
    """The code that parses as this process runs it (read once), and the packages' versions."""
    digest = hashlib.sha256(_FORMAT)
    digest.update(sys.version.encode())
    for path in _CODE:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for package in _PACKAGES:
        try:
            digest.update(f"{package} {importlib.metadata.version(package)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package} -".encode())
    return digest.hexdigest()


def _read(path: Path, key: str) -> tuple[PortCallIndex, list[CallFileSummary]] | None:
    try:
        with np.load(path, allow_pickle=False) as kept:
            if kept["key"].tobytes() != key.encode():
                log.info("port-call cache %s is of other files: parsing them", path)
                return None
            arrays = {name: kept[name] for name in kept.files}
        summaries = _summaries(json.loads(arrays.pop("summaries").tobytes()))
        del arrays["key"]
        packed = PackedCalls.from_arrays(arrays)
    except FileNotFoundError:
        return None
    except Exception as exc:  # the cache is only ever a shortcut: parse instead
        log.warning("port-call cache %s not usable, parsing the files: %s", path, exc)
        return None
    return PortCallIndex.of_packed(packed), summaries


def _write(data_dir: Path, key: str, packed: PackedCalls, summaries: list[CallFileSummary]) -> None:
    """Write the cache whole or not at all; a failure is logged, never raised."""
    described = [
        [s.file, s.format, s.accepted, [[r.line, r.reason] for r in s.rejected]] for s in summaries
    ]
    arrays = {
        "key": _bytes(key.encode()),
        "summaries": _bytes(json.dumps(described).encode()),
        **packed.arrays(),
    }
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=f".{FILE}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, allow_pickle=False, **arrays)
            os.replace(tmp, data_dir / FILE)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.warning("port-call cache not written to %s: %s", data_dir, exc)


def _bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def _summaries(value: Any) -> list[CallFileSummary]:
    """The summaries as `_write` described them; ValueError where they are not."""
    found = []
    for file, format, accepted, rejected in value:
        if not (isinstance(file, str) and format in ("csv", "jsonl") and type(accepted) is int):
            raise ValueError("a file summary of another shape")
        rows = []
        for line, reason in rejected:
            if type(line) is not int or not isinstance(reason, str):
                raise ValueError("a rejected row of another shape")
            rows.append(Rejected(line, reason))
        found.append(CallFileSummary(file, format, accepted, tuple(rows)))
    return found
