"""vessel-screen: the command line face of the service."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from service.settings import Settings

if TYPE_CHECKING:
    from service.screening import Context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vessel-screen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("openapi", help="print the OpenAPI document built from the schemas")
    sub.add_parser("config", help="print the effective configuration")
    one = sub.add_parser(
        "screen-one",
        help="screen one vessel offline and print the answer POST /v1/screen gives",
        description=(
            "Screen one vessel with the lists of --lists (or LISTS_DIR) and the port files, as "
            "POST /v1/screen does, and print its JSON answer. Exit 0 when screened, 2 when the "
            "query is not valid (the API's 422, printed as its problem document)."
        ),
    )
    for name in ("name", "imo", "mmsi", "call-sign", "flag", "owner", "manager", "operator"):
        one.add_argument(f"--{name}")
    one.add_argument("--reference")
    one.add_argument("--lists", type=Path, help="folder of lists (default LISTS_DIR)")
    _add_options(one)
    bulk = sub.add_parser(
        "screen",
        help="screen every row of a CSV file offline, as POST /v1/screen/csv does",
        description=(
            "Screen every row of a CSV file (header row naming name, imo, mmsi, call_sign, flag, "
            "reference or their synonyms) with the same code as POST /v1/screen/csv. Exit 0 when "
            "screened, 2 when the file cannot be screened (the API's message), 1 on any other "
            "failure. A progress bar shows on stderr when it is a terminal."
        ),
    )
    bulk.add_argument("file", type=Path, metavar="FILE.csv")
    bulk.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    bulk.add_argument("--lists", type=Path, help="folder of lists (default LISTS_DIR)")
    bulk.add_argument("--ndjson", action="store_true", help="JSON lines instead of CSV")
    bulk.add_argument("--all-matches", action="store_true", help="a line per match")
    _add_options(bulk)
    lists_cmd = sub.add_parser("lists", help="manage the served lists")
    lists_sub = lists_cmd.add_subparsers(dest="lists_command", required=True)
    refresh = lists_sub.add_parser(
        "refresh",
        help="download the lists with `urls` in their manifest entry, check and publish them",
        description=(
            "Download every list whose manifest entry has `urls` (conditional requests), check "
            "and publish new versions to the store, which running workers then serve. Prints a "
            "line per list; exit 0 when none failed, 1 otherwise."
        ),
    )
    refresh.add_argument("--lists", type=Path, help="folder of lists (default LISTS_DIR)")
    ais_cmd = sub.add_parser("ais", help="raw AIS: ingest files into the store")
    ais_sub = ais_cmd.add_subparsers(dest="ais_command", required=True)
    ais_ingest = ais_sub.add_parser(
        "ingest",
        help="read AIS files (NMEA, MarineCadastre or DMA CSV, gzip or plain) into the store",
        description=(
            "Read each file and keep it in the store of DATA_DIR / DATABASE_URL, where a "
            "running service derives its ships' behaviour from it. Prints a line per file; "
            "exit 0 when every file was read, 2 when one is not AIS, 1 when the store fails. A "
            "progress bar shows on stderr when it is a terminal."
        ),
    )
    ais_ingest.add_argument("files", type=Path, nargs="+", metavar="FILE")
    keys = sub.add_parser("keys", help="manage API keys (held as hashes in KEYS_FILE)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key; it is printed once, never stored")
    create.add_argument("name", help="who the key is for, e.g. the calling system")
    create.add_argument(
        "--scopes", default="screen,read", help="comma-separated: screen, read, admin"
    )
    keys_sub.add_parser("list", help="list keys: id, name, scopes, created, revoked")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its id (every worker, at once)")
    revoke.add_argument("key_id")
    args = parser.parse_args(argv)

    if args.command == "openapi":
        from service.web.openapi import spec_yaml

        sys.stdout.write(spec_yaml())
        return 0
    if args.command == "config":
        for key, value in Settings.from_env().public().items():
            print(f"{key}={value}")
        return 0
    if args.command == "screen-one":
        return _screen_one(args)
    if args.command == "screen":
        return _screen_file(args)
    if args.command == "keys":
        return _keys(args)
    if args.command == "lists":
        return _refresh_lists(args)
    if args.command == "ais":
        return _ais_ingest(args)
    return 2


def _add_options(parser: argparse.ArgumentParser) -> None:
    """The screening options POST /v1/screen takes beside the vessel."""
    parser.add_argument("--only-lists", help="comma-separated list ids to screen against")
    parser.add_argument("--threshold", type=float, help="lowest score returned")
    parser.add_argument("--limit", type=int, help="most matches returned (1-100)")
    parser.add_argument("--window-days", type=int, help="days of port-call history per match")


def _options_body(args: argparse.Namespace) -> dict[str, object]:
    body: dict[str, object] = {}
    if args.only_lists:
        body["lists"] = [part.strip() for part in args.only_lists.split(",") if part.strip()]
    for key, value in (
        ("threshold", args.threshold),
        ("limit", args.limit),
        ("port_call_window_days", args.window_days),
    ):
        if value is not None:
            body[key] = value
    return body


def _invalid(errors: dict[str, object]) -> int:
    """A request the API would refuse with 422: its problem document on stderr, exit 2."""
    from service.problems import VALIDATION_TYPE, problem_body, validation_detail

    body = problem_body(422, "Invalid request", validation_detail(errors), VALIDATION_TYPE, errors)
    print(json.dumps(body, ensure_ascii=False), file=sys.stderr)
    return 2


def _offline(settings: Settings, folder: Path | None, only: list[str] | None) -> Context | int:
    """The offline screening context, or the exit code when it cannot be had: 1 when the lists
    do not load, 2 (with the API's problem) when `only` names a list they do not hold."""
    from service.loaders.errors import ListLoadError
    from service.sources import offline_context

    try:
        ctx = offline_context(settings, folder)
    except (ListLoadError, OSError) as exc:
        print(f"vessel-screen: lists not loaded: {exc}", file=sys.stderr)
        return 1
    unknown = sorted(set(only or ()) - set(ctx.index.list_ids))
    if unknown:
        return _invalid(
            {"lists": [f"Unknown list id(s): {', '.join(unknown)}; see GET /v1/lists."]}
        )
    return ctx


def _refresh_lists(args: argparse.Namespace) -> int:
    """`vessel-screen lists refresh`: the code of POST /v1/lists/refresh, publishing to the
    store of DATA_DIR / DATABASE_URL, so a running service follows the new versions."""
    import dataclasses
    import threading

    from service.refresh import refresh_lists
    from service.serving import Serving
    from service.store import StoreError, open_store

    settings = Settings.from_env()
    if args.lists:
        settings = dataclasses.replace(settings, lists_dir=args.lists)
    try:
        store = open_store(settings)
        store.migrate()
    except StoreError as exc:
        print(f"vessel-screen: the store does not answer: {exc}", file=sys.stderr)
        return 1
    try:
        results = refresh_lists(Serving.from_settings(settings, store))
        # Publishing starts re-screening in a daemon thread; let it finish before exiting.
        for thread in threading.enumerate():
            if thread.name.startswith("rescreen-"):
                thread.join()
    finally:
        store.close()
    for r in results:
        detail = r.error if r.status in ("failed", "skipped") else f"version {r.version}"
        print(f"{r.list}\t{r.status}\t{detail}")
    return 1 if any(r.status == "failed" for r in results) else 0


def _ais_ingest(args: argparse.Namespace) -> int:
    """`vessel-screen ais ingest FILE...`: the reader and store `POST /v1/ais` uses."""
    from service.ais.ingest import ingest
    from service.ais.streams import AisFormatError
    from service.store import StoreError, open_store

    settings = Settings.from_env()
    try:
        store = open_store(settings)
        store.migrate()
    except StoreError as exc:
        print(f"vessel-screen: the store does not answer: {exc}", file=sys.stderr)
        return 1
    status = 0
    try:
        for path in args.files:
            try:
                size = path.stat().st_size
            except OSError as exc:
                print(f"vessel-screen: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
                status = 2
                continue
            bar = _IngestProgress(path.name, size, sys.stderr) if sys.stderr.isatty() else None
            try:
                result = ingest(store, path, path.name, bar)
            except AisFormatError as exc:
                print(f"vessel-screen: {path}: {exc.reason}", file=sys.stderr)
                status = 2
                continue
            finally:
                if bar is not None:
                    bar.end()
            s = result.summary
            if not result.new:
                print(f"{path}\talready stored (ingest {result.stored.ingest_id})")
                continue
            print(
                f"{path}\t{s.format}\t{s.positions} positions, {s.statics} static reports, "
                f"{s.rejected} rejected lines, {s.outliers} outliers, {s.duplicates} duplicates"
            )
            for r in s.first_rejections[:5]:
                print(f"  line {r.line}: {r.reason}", file=sys.stderr)
    except StoreError as exc:
        print(f"vessel-screen: not stored: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return status


class _IngestProgress:
    """Messages read, messages per second and time left (from the bytes read), on one line."""

    def __init__(self, name: str, size: int, out: TextIO) -> None:
        self.name, self.size, self.out = name, max(size, 1), out
        self.started = self.drawn = time.monotonic()

    def __call__(self, messages: int, bytes_read: int) -> None:
        now = time.monotonic()
        if now - self.drawn < 0.2:
            return
        self.drawn = now
        elapsed = max(now - self.started, 1e-9)
        done = min(bytes_read / self.size, 1.0)
        left = _clock(elapsed * (1 - done) / done) if done > 0 else "?"
        line = (
            f"{self.name}: {messages:,} messages, {messages / elapsed:,.0f}/s, "
            f"{done:.0%}, {left} left"
        )
        self.out.write(f"\r{line:<78}")
        self.out.flush()

    def end(self) -> None:
        self.out.write("\n")
        self.out.flush()


def _keys(args: argparse.Namespace) -> int:
    from service.auth import KeyRing

    ring = KeyRing(Settings.from_env().keys_path)
    if args.keys_command == "create":
        scopes = tuple(s.strip() for s in args.scopes.split(",") if s.strip())
        try:
            record, secret = ring.create(args.name, scopes)
        except ValueError as exc:
            print(f"vessel-screen: {exc}", file=sys.stderr)
            return 2
        print(secret)
        print(
            f"key {record.id} for {record.name} ({', '.join(record.scopes)}); "
            "this is the only time it is shown",
            file=sys.stderr,
        )
        return 0
    if args.keys_command == "list":
        for k in ring.all_keys():
            state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
            print(f"{k.id}\t{k.name}\t{','.join(k.scopes)}\t{k.created_at}\t{state}")
        return 0
    try:
        record = ring.revoke(args.key_id)
    except KeyError:
        print(f"vessel-screen: no key has the id {args.key_id!r}", file=sys.stderr)
        return 2
    print(f"key {record.id} ({record.name}) revoked {record.revoked_at}")
    return 0


def _screen_one(args: argparse.Namespace) -> int:
    """`vessel-screen screen-one`: `POST /v1/screen`'s validation, screening and answer, on
    the files alone (nothing recorded; calls pushed to a running service are not seen)."""
    import orjson
    from marshmallow import ValidationError

    from service.screening import request_from_body, run
    from service.web import render
    from service.web.schemas import ScreenRequestSchema

    fields = ("name", "imo", "mmsi", "call_sign", "flag", "owner", "manager", "operator")
    body: dict[str, object] = {f: getattr(args, f) for f in fields if getattr(args, f)}
    if args.reference is not None:
        body["reference"] = args.reference
    body |= _options_body(args)
    try:
        loaded = ScreenRequestSchema().load(body)
    except ValidationError as exc:
        return _invalid(
            exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        )
    ctx = _offline(Settings.from_env(), args.lists, loaded.get("lists"))
    if isinstance(ctx, int):
        return ctx
    outcome = run(request_from_body(loaded), ctx)
    answer = render.screening(outcome, ctx.index)
    sys.stdout.write(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _screen_file(args: argparse.Namespace) -> int:
    """`vessel-screen screen`: the CSV endpoint's code on a file, offline.

    Offline means: lists from --lists (or LISTS_DIR) and port calls from PORT_CALLS_DIR, read
    here; nothing is recorded, and calls pushed to a running service are not seen.
    """
    from marshmallow import ValidationError

    from service import bulk, bulk_read
    from service.bulk_write import Output
    from service.web import render
    from service.web.schemas import ScreeningOptionsSchema

    try:
        loaded = ScreeningOptionsSchema().load(_options_body(args))
    except ValidationError as exc:
        return _invalid(
            exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        )
    settings = Settings.from_env()
    limits = bulk_read.Limits(settings.csv_max_bytes, settings.csv_max_rows)
    try:
        stream = args.file.open("rb")
    except OSError as exc:
        print(f"vessel-screen: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with stream:
        try:
            if os.fstat(stream.fileno()).st_size > limits.max_bytes:
                raise bulk_read.too_large(limits)
            line_breaks = bulk_read.count_line_breaks(stream)
            source = bulk_read.open_csv(stream, limits, line_breaks)
        except bulk_read.CsvProblem as exc:
            print(f"vessel-screen: {args.file}: {exc.detail}", file=sys.stderr)
            return 2
        ctx = _offline(settings, args.lists, loaded.get("lists"))
        if isinstance(ctx, int):
            return ctx
        lists = loaded.get("lists")
        options = bulk.RowOptions(
            lists=tuple(lists) if lists else None,
            threshold=loaded.get("threshold"),
            limit=loaded.get("limit"),
            window_days=loaded.get("port_call_window_days"),
        )
        output = Output(ndjson=args.ndjson, all_matches=args.all_matches, render=render.screening)
        progress = _Progress(line_breaks, sys.stderr, draw=sys.stderr.isatty())
        chunks = bulk.screen_file(
            source, ctx, output, bulk.bulk_processes(settings), progress, options=options
        )
        try:
            if args.output is None:
                _write_all(chunks, sys.stdout.buffer)
            else:
                with args.output.open("wb") as out:
                    _write_all(chunks, out)
        except BrokenPipeError:  # the reader went away (| head): nothing left to tell
            progress.finish(complete=False)
            return 1
        except Exception as exc:
            progress.finish(complete=False)
            print(f"vessel-screen: screening failed: {exc}", file=sys.stderr)
            return 1
        progress.finish(complete=True)
    return 0


def _write_all(chunks: Iterator[bytes], out: BinaryIO) -> None:
    for chunk in chunks:
        out.write(chunk)
    out.flush()


class _Progress:
    """Rows done, rows per second and time left, redrawn on one line of a terminal, and a
    summary line at the end (terminal or not): rows by decision and the time taken.

    The expected row count is the file's line breaks less the header: exact unless quoted
    fields hold line breaks, so the time left is an estimate and the bar stops at 100%.
    """

    def __init__(self, line_breaks: int, out: TextIO, draw: bool = True) -> None:
        self.total = max(line_breaks - 1, 1)
        self.out = out
        self.draw = draw
        self.done = 0
        self.counts: dict[str, int] = {}
        self.started = self.drawn = time.monotonic()

    def __call__(self, rows: int, counts: dict[str, int]) -> None:
        self.done += rows
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        now = time.monotonic()
        if self.draw and now - self.drawn >= 0.2:
            self.drawn = now
            self._draw(now, final=False)

    def finish(self, complete: bool) -> None:
        """End the bar's line and say what was screened; `complete` False: it stopped early."""
        now = time.monotonic()
        if self.draw:
            if complete:
                self.total = self.done
            self._draw(now, final=True)
            self.out.write("\n")
        by_decision = ", ".join(
            f"{self.counts.get(k, 0):,} {k}" for k in ("match", "review", "clear", "error")
        )
        state = "screened" if complete else "stopped after"
        self.out.write(
            f"{state} {self.done:,} rows in {_clock(now - self.started)}: {by_decision}\n"
        )
        self.out.flush()

    def _draw(self, now: float, final: bool) -> None:
        rate = self.done / max(now - self.started, 1e-9)
        done = min(self.done, self.total)
        left = "" if final or not rate else f", {_clock((self.total - done) / rate)} left"
        bar = "#" * int(30 * done / self.total) if self.total else ""
        line = f"[{bar:<30}] {done:,}/{self.total:,} rows, {rate:,.0f} rows/s{left}"
        self.out.write(f"\r{line:<78}")
        self.out.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


if __name__ == "__main__":
    raise SystemExit(main())
