"""POST /v1/screen: HTTP in, `matcher.screen` on the serving index, HTTP out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from marshmallow import ValidationError

from service.index import ScreeningIndex
from service.matcher import Query
from service.request_rules import has_identity, too_long
from service.screening import Request, request_from_body, run
from service.web import audit, render
from service.web.access import scope
from service.web.errors import validation_problem
from service.web.http import json_body, serving
from service.web.schemas import ScreenRequestSchema

bp = Blueprint("screen", __name__)
_request_schema = ScreenRequestSchema()


def load_request(data: Any, index: ScreeningIndex) -> Request:
    """A screening request from a JSON body, or a 422 naming each bad field."""
    if not isinstance(data, dict):
        raise validation_problem({"_schema": ["The body must be a JSON object."]})
    try:
        body = _request_schema.load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise validation_problem(messages) from None
    check_lists(body.get("lists"), index)
    return request_from_body(body)


def check_lists(lists: list[str] | None, index: ScreeningIndex) -> None:
    """A 422 for list ids not served (a typo must not screen against nothing)."""
    if lists is None:
        return
    unknown = sorted(set(lists) - set(index.list_ids))
    if unknown:
        raise validation_problem(
            {"lists": [f"Unknown list id(s): {', '.join(unknown)}; see GET /v1/lists."]}
        )


_PLAIN_KEYS = frozenset(("name", "imo", "mmsi", "call_sign", "flag", "reference"))


def plain_request(item: Any) -> Request | None:
    """The request `load_request` would make of a plain item, without marshmallow; else None.

    Plain: an object with only name, imo, mmsi, call_sign, flag and reference, each a short
    string (imo and mmsi also an integer) or null, and one of name, imo, mmsi given. Loading a
    thousand items through the schema costs about a third of a batch; anything else goes
    through `load_request`, whose answer (and error) is the reference. tests/web/test_bulk.py
    checks the two agree. The usual single screening is plain too.
    """
    if type(item) is not dict or not item.keys() <= _PLAIN_KEYS:
        return None
    get = item.get
    name, imo, mmsi = get("name"), get("imo"), get("mmsi")
    call_sign, flag, reference = get("call_sign"), get("flag"), get("reference")
    for text in (name, call_sign, flag, reference):
        if text is not None and (type(text) is not str or too_long(text)):
            return None
    for number in (imo, mmsi):
        plain = number is None or type(number) is int
        if not plain and (type(number) is not str or too_long(number)):
            return None
    if not has_identity(item):
        return None
    query = Query(name=name, imo=imo, mmsi=mmsi, call_sign=call_sign, flag=flag)
    return Request(query, reference, None)


@bp.post("/v1/screen")
@scope("screen")
def screen_one() -> Response:
    data = json_body()
    state = serving()
    index = state.index
    assert index is not None
    outcome = run(plain_request(data) or load_request(data, index), state.context(index))
    # Rendered in the shape ScreenResponseSchema dumps, with values orjson writes as the schema
    # would (tests/test_bulk.py holds every field to the docs and to openapi.yaml): a marshmallow
    # dump here would be a third of the answer's time and change nothing.
    return audit.answer(outcome, data, render.screening(outcome, index), "single")
