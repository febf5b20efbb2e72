"""POST /v1/screen/batch and POST /v1/screen/csv: many vessels in one request.

Both screen with the core's bulk path (`bulk.screen_requests`: `matcher.screen_many`, then
`screening.run` per item) and render each answer as `POST /v1/screen` does, so an item or a row
gets exactly the answer it would get alone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from flask import Blueprint, Response, g, request, stream_with_context
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from service.bulk import CsvAudit, RowOptions, bulk_processes, screen_file, screen_requests
from service.bulk_read import CSV_PROBLEM, CsvProblem, CsvSource, Limits, open_csv, spool, too_large
from service.bulk_write import Output, output_header
from service.index import ScreeningIndex
from service.problems import problem_body
from service.screening import Request
from service.store import StoreError
from service.web import audit, render
from service.web.access import scope
from service.web.errors import ApiProblem, validation_problem
from service.web.http import json_body, serving, state
from service.web.schemas import ScreeningOptionsSchema
from service.web.screen import check_lists, load_request, plain_request

log = logging.getLogger("service.web")

bp = Blueprint("bulk", __name__)

CSV_TYPES = ("text/csv", "application/csv")
NDJSON = "application/x-ndjson"
# Boundaries and part headers around the file in a multipart body, on top of CSV_MAX_BYTES.
MULTIPART_OVERHEAD = 64 * 1024


# --- Batch ---------------------------------------------------------------------------------------


def _batch_items(data: Any, max_batch: int) -> list[Any]:
    if not isinstance(data, dict):
        raise validation_problem({"_schema": ['The body must be {"queries": [...]}.']})
    unknown = sorted(key for key in data if key != "queries")
    errors: dict[str, list[str]] = {key: ["Unknown field."] for key in unknown}
    items = data.get("queries")
    if not isinstance(items, list):
        errors["queries"] = ["Must be a list of screening requests."]
    elif len(items) > max_batch:
        errors["queries"] = [f"At most {max_batch} queries in one batch (MAX_BATCH)."]
    if errors:
        raise validation_problem(errors)
    assert isinstance(items, list)
    return items


def _problem_body(problem: ApiProblem) -> dict[str, Any]:
    return problem_body(problem.status, problem.title, problem.detail, problem.type, problem.errors)


@bp.post("/v1/screen/batch")
@scope("screen")
def screen_batch() -> Response:
    data = json_body()
    state = serving()
    index = state.index
    assert index is not None
    loaded: list[Request | ApiProblem] = []
    for item in _batch_items(data, state.settings.max_batch):
        request_ = plain_request(item)
        if request_ is None:
            try:
                request_ = load_request(item, index)
            except ApiProblem as exc:  # answered in its place; the other items go on
                loaded.append(exc)
                continue
        loaded.append(request_)
    valid = [item for item in loaded if isinstance(item, Request)]
    outcomes = screen_requests(valid, state.context(index))
    # Each item's answer is encoded once: the same text is recorded and sent. Only the texts
    # and records are kept, each outcome let go once both are made. The texts are kept as str:
    # orjson's bytes cost about three times their length until freed (10,000 answers of 6 KB
    # held at once: 183 MB of RSS for 61 MB of bytes), their str copies their length.
    texts: list[str] = []
    records = []
    for item, raw in zip(loaded, data["queries"], strict=True):
        if not isinstance(item, Request):
            # Non-string keys: a bad item's `errors` may name a list element by its number, as
            # the problem answers of POST /v1/screen do (there Flask's encoder makes it a string).
            problem = {"error": _problem_body(item)}
            texts.append(orjson.dumps(problem, option=orjson.OPT_NON_STR_KEYS).decode())
            continue
        outcome = next(outcomes)
        text = orjson.dumps(render.screening(outcome, index)).decode()
        texts.append(text)
        records.extend(audit.records_for([(outcome, raw, text)], "batch"))
    # Every item is recorded, or the batch is a 503 with no result.
    audit.store(records)
    # Joined as bytes: a str join would be two or four bytes a character for the whole body
    # as soon as one answer holds a character outside Latin-1 (a Cyrillic name, say).
    body = b'{"results":[' + b",".join([t.encode() for t in texts]) + b"]}"
    return Response(body, mimetype="application/json")


# --- CSV -----------------------------------------------------------------------------------------


def _output_type() -> str:
    """text/csv unless the caller's Accept prefers NDJSON; 406 if it takes neither."""
    accept = request.accept_mimetypes
    if not accept:
        return "text/csv"
    best = accept.best_match(["text/csv", NDJSON])
    if best is None:
        raise ApiProblem(
            406,
            "Not Acceptable",
            f"The answer is text/csv or {NDJSON}; the Accept header takes neither.",
        )
    return best


def _flag(name: str) -> bool:
    raw = request.args.get(name)
    if raw is None or raw.lower() in ("false", "0", "no", ""):
        return False
    if raw.lower() in ("true", "1", "yes"):
        return True
    raise validation_problem({name: ["Must be true or false."]})


_OPTIONS = ("lists", "threshold", "limit", "port_call_window_days")
_CSV_PARAMETERS = frozenset((*_OPTIONS, "all_matches"))
_options_schema = ScreeningOptionsSchema()


def _csv_options(index: ScreeningIndex) -> RowOptions:
    """The options every row is screened with, from query parameters or (multipart) form
    fields, checked by the schema `POST /v1/screen` checks them with; any other parameter is
    refused, so a misspelt `threshhold` never screens a file with the default."""
    given: dict[str, list[str]] = {}
    sources = [request.args]
    if request.mimetype == "multipart/form-data":
        sources.append(request.form)
    for values in sources:
        for key in values:
            given.setdefault(key, []).extend(values.getlist(key))
    errors: dict[str, list[str]] = {
        key: ["Unknown parameter."] for key in sorted(set(given) - _CSV_PARAMETERS)
    }
    raw: dict[str, Any] = {}
    for key in _OPTIONS:
        if key not in given:
            continue
        if key == "lists":
            raw[key] = [part.strip() for v in given[key] for part in v.split(",") if part.strip()]
        else:
            raw[key] = _number(given[key][-1])
    try:
        loaded = _options_schema.load(raw)
    except ValidationError as exc:
        errors.update(exc.messages if isinstance(exc.messages, dict) else {})
    if errors:
        raise validation_problem(errors)
    lists = loaded.get("lists")
    check_lists(lists, index)
    return RowOptions(
        lists=tuple(lists) if lists else None,
        threshold=loaded.get("threshold"),
        limit=loaded.get("limit"),
        window_days=loaded.get("port_call_window_days"),
    )


def _number(text: str) -> int | float | str:
    """A parameter's text as the number it spells; left as text for the schema to refuse."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _problem(exc: CsvProblem) -> ApiProblem:
    return ApiProblem(exc.status, exc.title, exc.detail, CSV_PROBLEM, exc.errors)


def _upload(limits: Limits) -> tuple[IO[bytes], int]:
    """The CSV of this request spooled to a temporary file of our own, and its line breaks.

    Spooled whole before answering, for three reasons: Flask closes an uploaded file before a
    streamed answer starts; the size and row limits are then known before any output; and a
    client that sends its whole body before reading (most do) cannot deadlock with a server
    that would otherwise write answers while the body is still coming. Over the size limit is
    a 413 at once when the body's length is declared, else as soon as the limit is passed.
    """
    length = request.content_length
    multipart = request.mimetype == "multipart/form-data"
    if not multipart and request.mimetype not in CSV_TYPES:
        raise ApiProblem(
            415,
            "Unsupported Media Type",
            "Send the CSV as multipart/form-data (a part named `file`) or as a text/csv body, "
            f"not {request.mimetype or 'nothing'}.",
        )
    allowed = limits.max_bytes + (MULTIPART_OVERHEAD if multipart else 0)
    if length is not None and length > allowed:
        raise too_large(limits)
    request.max_content_length = allowed
    try:
        if not multipart:
            return spool(request.stream, limits)
        upload = request.files.get("file")
        if upload is None:
            raise ApiProblem(
                422,
                "Invalid request",
                "Send the CSV file in a multipart part named `file`.",
                CSV_PROBLEM,
                {"file": ["Missing."]},
            )
        with upload.stream as stream:
            return spool(stream, limits)
    except RequestEntityTooLarge:  # a body of undeclared length that went past the limit
        raise too_large(limits) from None


@bp.post("/v1/screen/csv")
@scope("screen")
def screen_csv() -> Response:
    state = serving()
    index = state.index
    assert index is not None
    settings = state.settings
    limits = Limits(settings.csv_max_bytes, settings.csv_max_rows)
    media_type = _output_type()
    all_matches = _flag("all_matches")
    try:
        stream, line_breaks = _upload(limits)
    except CsvProblem as exc:
        raise _problem(exc) from None
    try:
        source = open_csv(stream, limits, line_breaks)
    except CsvProblem as exc:
        stream.close()
        raise _problem(exc) from None
    except BaseException:
        stream.close()
        raise
    try:
        options = _csv_options(index)
    except ApiProblem:
        stream.close()
        raise
    output = Output(ndjson=media_type == NDJSON, all_matches=all_matches, render=render.screening)
    job = CsvAudit(str(uuid.uuid4()), _caller_id(), state.recorder.record, render.screening)
    try:
        state.store.start_job(job.job_id, job.caller, _filename(), datetime.now(UTC))
    except StoreError as exc:
        stream.close()
        raise ApiProblem(
            503, "Service Unavailable", "The upload could not be recorded; nothing was screened."
        ) from exc
    body = screen_file(
        source,
        state.context(index),
        output,
        bulk_processes(settings),
        audit=job,
        options=options,
    )
    response = Response(
        stream_with_context(_guarded(body, stream, source, output, job)),
        content_type=output.media_type,
    )
    response.headers["X-Job-Id"] = job.job_id
    extension = "ndjson" if output.ndjson else "csv"
    response.headers["Content-Disposition"] = f'attachment; filename="screening.{extension}"'
    return response


def _caller_id() -> str | None:
    caller = g.get("caller")
    return caller.key_id if caller is not None else None


def _filename() -> str | None:
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    return upload.filename if upload is not None else None


def _guarded(
    body: Iterator[bytes], stream: IO[bytes], source: CsvSource, output: Output, job: CsvAudit
) -> Iterator[bytes]:
    """The answer, and the spooled upload closed after it; the job closed in the store.

    Once output has started no status can change, so a failure mid-way ends the answer with a
    line that says so, rather than a truncated file that looks complete.
    """
    error: str | None = None
    try:
        yield from body
    except Exception as exc:
        log.exception("bulk screening failed mid-answer")
        detail = (
            "The audit trail could not record the next rows, so they were not answered; "
            "the rows above are all that were screened."
            if isinstance(exc, StoreError)
            else "The service failed while screening; the rows above are all that were screened."
        )
        error = detail
        if not output.ndjson:
            width = len(output_header(source.header, output.all_matches))
            yield ("," * (width - 1) + detail + "\r\n").encode()
        else:
            yield b'{"error": {"title": "Internal Server Error", "status": 500, "detail": "'
            yield detail.encode() + b'"}}\n'
    finally:
        stream.close()
        try:
            state().store.finish_job(job.job_id, job.rows, datetime.now(UTC), error)
        except (StoreError, LookupError):
            log.exception("CSV job %s could not be closed in the store", job.job_id)
