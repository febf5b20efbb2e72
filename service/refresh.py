"""Download new versions of the lists from their publishers and serve them, or keep what is
served and say why not.

A manifest entry with `urls` (file name -> address) is refreshed; one without is skipped. Each
refresh of a list:

1. downloads every file with a conditional request (`If-None-Match` / `If-Modified-Since` from
   the last good download, kept in `.refresh-state.json` next to the list's folder); when every
   file answers 304, or the bytes are the ones on disk, nothing else happens;
2. writes the files into a staging folder beside the list's folder, checking each download is
   whole (Content-Length) and loading the staging folder with the list's format loader;
3. swaps the staging folder in place of the list's folder (rename aside, rename in) and lets
   `Serving.reload()` publish it, where the store's shrink guard applies;
4. if anything fails, the old folder is put back, so the files on disk are always the version
   served, and the failure is recorded in the store and shown by /readyz and GET /v1/lists.

Refreshes are serialised across threads and processes by a lock file in the lists folder, so
the endpoint, the CLI and the schedule never swap the same folder at once.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import logging
import shutil
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Literal

from service.loaders.errors import ListLoadError
from service.loaders.registry import ListEntry, file_sha256, find_lists, load_list
from service.serving import Serving

log = logging.getLogger("service.refresh")

STATE_FILE = ".refresh-state.json"
LOCK_FILE = ".refresh.lock"
SCHEDULER_LOCK_FILE = "refresh-scheduler.lock"
CHUNK = 1 << 16

Status = Literal["not_modified", "updated", "failed", "skipped"]


@dataclass(frozen=True)
class RefreshResult:
    list: str
    status: Status
    version: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


class RefreshError(Exception):
    """A refresh step failed; the message is the reason shown to operators."""


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


def refresh_lists(serving: Serving) -> list[RefreshResult]:
    """Refresh every list of `serving.settings.lists_dir` that has download addresses."""
    lists_dir = serving.settings.lists_dir
    with _exclusive(lists_dir / LOCK_FILE):
        try:
            entries = find_lists(lists_dir)
        except ListLoadError as exc:
            message = f"list refresh: cannot read the lists of {lists_dir}: {exc}"
            serving.record_failure("*", message)
            return [RefreshResult("*", "failed", error=message)]
        results = [_refresh_one(serving, entry) for entry in entries]
    failures = [r.error for r in results if r.status == "failed" and r.error]
    if failures:
        # A later list's successful reload clears `last_error`; every failure of this run must
        # still show in /readyz and GET /v1/lists until a good load.
        serving.last_error = "; ".join(failures)
    return results


def _refresh_one(serving: Serving, entry: ListEntry) -> RefreshResult:
    if not entry.urls:
        return RefreshResult(
            entry.id,
            "skipped",
            _served_version(serving, entry.id),
            "no download addresses (`urls` in the manifest entry)",
        )
    try:
        status = _download_and_swap(serving, entry)
    except RefreshError as exc:
        served = _served_version(serving, entry.id)
        message = f"refresh of {entry.id} failed: {exc}; still serving version {served}"
        serving.record_failure(entry.id, message)
        return RefreshResult(entry.id, "failed", served, message)
    return RefreshResult(entry.id, status, _served_version(serving, entry.id))


def _download_and_swap(serving: Serving, entry: ListEntry) -> Status:
    folder = entry.path
    # Official files straight in LISTS_DIR (found by their names, no manifest): the files are
    # swapped one by one inside it, since the folder holds more than this list.
    in_place = folder.resolve() == serving.settings.lists_dir.resolve()
    home = folder if in_place else folder.parent
    state_path = home / STATE_FILE
    state = _read_state(state_path)
    timeout = serving.settings.refresh_timeout_seconds
    staging = home / f".{folder.name}.staging-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
        fetched: dict[str, Validators] = {}
        for name, url in entry.urls.items():
            current = folder / name
            # Validators only when the file they describe is still there to fall back on.
            known = state.get(url, Validators()) if current.is_file() else Validators()
            validators = _download(url, staging / name, known, timeout)
            if validators is None:
                shutil.copy2(current, staging / name)  # 304: the file on disk is current
            else:
                fetched[url] = validators
        if not fetched:
            return "not_modified"
        _keep_other_files(folder, staging, entry)
        if _same_files(folder, staging, entry):
            # Downloaded again (no validators honoured) but byte for byte what is served.
            _write_state(state_path, state | fetched)
            return "not_modified"
        try:
            load_list(replace(entry, path=staging))
        except (ListLoadError, OSError, ValueError) as exc:
            raise RefreshError(f"the downloaded files do not load: {exc}") from exc
        if in_place:
            _swap_files_and_publish(serving, folder, staging, list(entry.urls))
        else:
            _swap_in_and_publish(serving, folder, staging)
        _write_state(state_path, state | fetched)
        return "updated"
    except OSError as exc:
        raise RefreshError(f"file system: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in_and_publish(serving: Serving, folder: Path, staging: Path) -> None:
    """Put `staging` in place of `folder` and publish; on refusal, put the old files back."""
    aside = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
    had_folder = folder.exists()
    if had_folder:
        folder.rename(aside)
    try:
        staging.rename(folder)
    except OSError:
        if had_folder:
            aside.rename(folder)
        raise
    if serving.reload():
        shutil.rmtree(aside, ignore_errors=True)
        return
    reason = serving.last_error or "the new files were not published"
    # The refused files go back to staging (removed by the caller) so the disk holds what
    # is served, and a restart loads the same version.
    folder.rename(staging)
    if had_folder:
        aside.rename(folder)
    raise RefreshError(reason)


def _swap_files_and_publish(
    serving: Serving, folder: Path, staging: Path, names: list[str]
) -> None:
    """Put the staged `names` in place of those in `folder` (each an atomic rename) and
    publish; on refusal, put the old files back. The refresh lock keeps other refreshes out
    while the set is changing."""
    aside = staging.with_name(staging.name + ".old")
    aside.mkdir()
    moved: list[str] = []
    try:
        for name in names:
            if (folder / name).exists():
                (folder / name).replace(aside / name)
            moved.append(name)
            (staging / name).replace(folder / name)
    except OSError:
        _put_back(folder, aside, moved)
        raise
    if serving.reload():
        shutil.rmtree(aside, ignore_errors=True)
        return
    reason = serving.last_error or "the new files were not published"
    _put_back(folder, aside, moved)
    raise RefreshError(reason)


def _put_back(folder: Path, aside: Path, names: list[str]) -> None:
    for name in names:
        if (aside / name).exists():
            (aside / name).replace(folder / name)
        else:
            (folder / name).unlink(missing_ok=True)  # new with this refresh: not served
    shutil.rmtree(aside, ignore_errors=True)


def _download(url: str, target: Path, known: Validators, timeout: float) -> Validators | None:
    """Save `url` to `target`; None when the server answers 304 Not Modified."""
    request = urllib.request.Request(url, headers={"User-Agent": "vessel-screen list refresh"})
    if known.etag:
        request.add_header("If-None-Match", known.etag)
    if known.last_modified:
        request.add_header("If-Modified-Since", known.last_modified)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            with target.open("wb") as out:
                size = _copy(response, out)
            if expected is not None and expected.isdigit() and size != int(expected):
                raise RefreshError(
                    f"{url}: download cut short: {size} of {expected} bytes (Content-Length)"
                )
            return Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        raise RefreshError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise RefreshError(f"cannot reach {url}: {exc.reason}") from exc
    except http.client.IncompleteRead as exc:
        raise RefreshError(f"{url}: download cut short after {len(exc.partial)} bytes") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise RefreshError(f"{url}: download failed: {exc!r}") from exc


def _copy(response: IO[bytes], out: IO[bytes]) -> int:
    size = 0
    while chunk := response.read(CHUNK):
        out.write(chunk)
        size += len(chunk)
    return size


def _keep_other_files(folder: Path, staging: Path, entry: ListEntry) -> None:
    """Files of the folder that no URL replaces stay with the list (a hand-kept file)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.name not in entry.urls:
            shutil.copy2(path, staging / path.name)


def _same_files(folder: Path, staging: Path, entry: ListEntry) -> bool:
    return all(
        (folder / name).is_file() and file_sha256(folder / name) == file_sha256(staging / name)
        for name in entry.urls
    )


def _served_version(serving: Serving, list_id: str) -> str | None:
    index = serving.index
    if index is None:
        return None
    return next((i.version for i in index.lists if i.id == list_id), None)


def _read_state(path: Path) -> dict[str, Validators]:
    """A missing or damaged state file only costs a full download, so it is not an error."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {
            url: Validators(v.get("etag"), v.get("last_modified"))
            for url, v in raw.items()
            if isinstance(v, dict)
        }
    except (OSError, ValueError, AttributeError):
        return {}


def _write_state(path: Path, state: dict[str, Validators]) -> None:
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}")
    temporary.write_text(
        json.dumps({url: asdict(v) for url, v in state.items()}, indent=2), encoding="utf-8"
    )
    temporary.replace(path)  # atomic: a crash leaves the old state or the new, never half


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (waiting for it): one refresh at a time, whichever
    thread or process runs it (separate opens conflict even within one process)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class RefreshScheduler:
    """Refresh every `interval` seconds in a daemon thread, in one process only.

    Started in every gunicorn worker (post_worker_init), it runs only in the worker that wins a
    lock file in DATA_DIR and holds it for life; when that worker exits, the lock is released
    and the worker gunicorn starts in its place takes it over.
    """

    def __init__(self, serving: Serving, interval: float) -> None:
        self.serving = serving
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_handle: IO[str] | None = None

    def start(self) -> bool:
        """Start the thread if this process wins the lock; True when it did."""
        handle = (self.serving.settings.data_dir / SCHEDULER_LOCK_FILE).open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock_handle = handle
        self._thread = threading.Thread(target=self._run, name="list-refresh", daemon=True)
        self._thread.start()
        log.info("scheduled list refresh every %.0f s in this process", self.interval)
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._lock_handle is not None:
            self._lock_handle.close()  # closing releases the lock

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self) -> None:
        try:
            for result in refresh_lists(self.serving):
                if result.status == "failed":
                    log.error("scheduled refresh: %s", result.error)
                else:
                    log.info("scheduled refresh: %s %s", result.list, result.status)
        except Exception:  # the schedule must outlive any one bad run
            log.exception("scheduled list refresh failed")
