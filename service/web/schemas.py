"""Marshmallow schemas: every request body is loaded, and every answer dumped, through these.

This module holds the fields they share, the screening request (one, a batch, a CSV upload's
options), the screening's answer and the problem; the lists, versions and vessel detail are in
`web/list_schemas.py`, the alerts and port-call pushes in `web/record_schemas.py`, AIS in
`web/ais_schemas.py`. They are also the source of `openapi.yaml` (see `web/openapi.py`), so the
contract and the code cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from service.limits import MAX_STRING
from service.limits import NOT_BLANK as NOT_BLANK  # for openapi.py and screen.py
from service.request_rules import NEEDS_AN_IDENTITY, TOO_LONG, WHOLE, has_identity, too_long
from service.web.ais_schemas import AisEventSchema

MAX_LISTS = 50


def json_integer(value: Any) -> int | None:
    """The value as an int if it is a JSON integer, else None.

    JSON Schema counts 5.0 as the integer 5, and so does this; 2.5, "5" and true are not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class JsonInteger(fields.Integer):
    """An integer as JSON Schema means it: no strings, no booleans, no fractions."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        number = json_integer(value)
        if number is None:
            raise self.make_error("invalid")
        return super()._deserialize(number, attr, data, **kwargs)


class StrOrInt(fields.Field):
    """A string or a JSON integer (not a fraction, not a boolean), kept as given."""

    default_error_messages = {"invalid": "Must be a string or an integer."}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            number = json_integer(value)
            if number is None:
                raise self.make_error("invalid")
            return number
        if too_long(value):
            raise ValidationError(TOO_LONG)
        return value


class StrictFloat(fields.Float):
    """A JSON number; unlike marshmallow's Float, a numeric string or a boolean is refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Dumped(dict[str, Any]):
    """A nested object already dumped by its own schema (and cached): passed through as is."""


class CachedNested(fields.Nested):
    """Nested, except that a `Dumped` value is not serialised a second time.

    Listed vessels do not change within a list version, so each is dumped by `VesselSchema`
    once and reused by every answer that names it; the document still shows the schema.
    """

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(value, Dumped):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


def _text(**kwargs: Any) -> fields.String:
    """A free-text field: `request_rules`' length limit, with its message (a Length validator,
    so the document shows the limit as maxLength)."""
    return fields.String(validate=validate.Length(max=MAX_STRING, error=TOO_LONG), **kwargs)


_ID_ONE_OF = [{"type": "string", "maxLength": MAX_STRING}, {"type": "integer"}, {"type": "null"}]


class ScreeningOptionsSchema(Schema):
    """How to screen, apart from what: the options a single screening, a batch item and a CSV
    upload (as query parameters or form fields) share."""

    class Meta:
        unknown = RAISE

    lists = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_STRING)),
        validate=validate.Length(min=1, max=MAX_LISTS),
        allow_none=True,
        metadata={"description": "Restrict to these list ids; default every loaded list."},
    )
    threshold = StrictFloat(
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=1),
        metadata={"description": "Lowest score returned; default from configuration."},
    )
    limit = JsonInteger(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Most matches returned; default 10."},
    )
    port_call_window_days = JsonInteger(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0, max=36500),
        metadata={"description": "Days of port-call history attached to each match; default 730."},
    )


class ScreenRequestSchema(ScreeningOptionsSchema):
    name = _text(
        allow_none=True,
        metadata={"description": "Vessel name in any script, case or style (prefixes like M/V)."},
    )
    imo = StrOrInt(
        allow_none=True,
        metadata={
            "oneOf": _ID_ONE_OF,
            "description": 'IMO: 9161003, "IMO 9161003" or "IMO9161003"; check digit verified.',
        },
    )
    mmsi = StrOrInt(
        allow_none=True,
        metadata={"oneOf": _ID_ONE_OF, "description": "MMSI, 9 digits."},
    )
    call_sign = _text(allow_none=True)
    flag = _text(
        allow_none=True,
        metadata={
            "description": "ISO 3166 alpha-2 or alpha-3 code, or a country name in English or "
            "another language (Russia, Россия, 북한)."
        },
    )
    reference = _text(allow_none=True, metadata={"description": "Caller's own id, echoed back."})
    owner = _text(allow_none=True, metadata={"description": "The ship's registered owner."})
    manager = _text(allow_none=True, metadata={"description": "The ship's manager."})
    operator = _text(allow_none=True, metadata={"description": "The ship's operator."})

    @validates_schema
    def _needs_an_identity(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not has_identity(data):
            raise ValidationError(NEEDS_AN_IDENTITY, field_name=WHOLE)


class QueryEchoSchema(Schema):
    name = fields.String(allow_none=True)
    name_normalized = fields.String(allow_none=True)
    imo = fields.String(allow_none=True)
    imo_valid = fields.Boolean(allow_none=True)
    mmsi = fields.String(allow_none=True)
    mmsi_valid = fields.Boolean(allow_none=True)
    mmsi_flag = fields.String(
        allow_none=True, metadata={"description": "Flag state named by the MMSI's MID."}
    )
    call_sign = fields.String(allow_none=True)
    flag = fields.String(allow_none=True, metadata={"description": "ISO 3166 alpha-2."})
    flag_recognized = fields.Boolean(
        allow_none=True, metadata={"description": "Null when no flag was sent."}
    )


class SetAsideSchema(Schema):
    entity_id = fields.String(required=True)
    list = fields.String(required=True)
    name = fields.String(required=True)
    imo = fields.String(allow_none=True)
    name_score = fields.Float(required=True)
    reason = fields.String(required=True)


class ImoSuggestionSchema(Schema):
    imo = fields.String(required=True)
    entity_id = fields.String(required=True)
    list = fields.String(required=True)
    name = fields.String(required=True)


class ListRefSchema(Schema):
    id = fields.String(required=True)
    version = fields.String(required=True)
    loaded_at = fields.DateTime(required=True)
    entries = fields.Integer(required=True)


class VesselSchema(Schema):
    name = fields.String(required=True)
    aliases = fields.List(fields.String(), required=True)
    former_names = fields.List(fields.String(), required=True)
    imo = fields.String(allow_none=True)
    mmsi = fields.String(allow_none=True)
    call_sign = fields.String(allow_none=True)
    flags = fields.List(fields.String(), required=True)
    former_flags = fields.List(fields.String(), required=True)
    vessel_type = fields.String(allow_none=True)
    build_year = fields.Integer(allow_none=True)
    tonnage = fields.Integer(allow_none=True)
    gross_registered_tonnage = fields.Integer(allow_none=True)
    owner = fields.String(allow_none=True)
    programs = fields.List(fields.String(), required=True)
    listed_on = fields.String(allow_none=True)


class ExplanationSchema(Schema):
    name = fields.Float(allow_none=True, metadata={"description": "Best name similarity, 0..1."})
    imo = fields.String(
        required=True, validate=validate.OneOf(["exact", "mismatch", "absent", "invalid"])
    )
    mmsi = fields.String(required=True, validate=validate.OneOf(["exact", "mismatch", "absent"]))
    call_sign = fields.String(
        required=True, validate=validate.OneOf(["exact", "mismatch", "absent"])
    )
    flag = fields.String(required=True, validate=validate.OneOf(["match", "mismatch", "absent"]))
    matched_name_kind = fields.String(
        allow_none=True, validate=validate.OneOf(["primary", "aka", "fka", "nka"])
    )
    notes = fields.List(fields.String(), required=True)


class PortCallSchema(Schema):
    port = fields.String(required=True)
    locode = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    arrived_at = fields.DateTime(required=True)
    departed_at = fields.DateTime(allow_none=True)
    source = fields.String(required=True)
    note = fields.String(allow_none=True)
    confidence = fields.Float(allow_none=True)
    risk = fields.List(fields.String(), required=True)


class RiskFlagSchema(Schema):
    code = fields.String(required=True)
    reason = fields.String(required=True)


class ListingSchema(Schema):
    entity_id = fields.String(required=True)
    list = fields.String(required=True)
    name = fields.String(required=True)
    programs = fields.List(fields.String(), required=True)
    listed_on = fields.String(allow_none=True)
    score = fields.Float(required=True)


class MatchSchema(Schema):
    entity_id = fields.String(required=True)
    list = fields.String(required=True)
    score = fields.Float(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["match", "review"]))
    matched_name = fields.String(required=True)
    vessel = CachedNested(VesselSchema, required=True)
    lists = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Every list this ship (by IMO) is on."},
    )
    listings = fields.List(
        fields.Nested(ListingSchema),
        required=True,
        metadata={"description": "Each listing of the ship: list, entry, name and programs."},
    )
    explanation = fields.Nested(ExplanationSchema, required=True)
    port_calls = fields.List(fields.Nested(PortCallSchema), required=True)
    port_calls_before_window = fields.Integer(
        required=True,
        metadata={"description": "Calls on record older than the window, not listed here."},
    )
    risk_flags = fields.List(fields.String(), required=True)
    risk_details = fields.List(fields.Nested(RiskFlagSchema), required=True)
    events = fields.List(
        fields.Nested(AisEventSchema),
        required=True,
        metadata={"description": "What the ship's AIS shows within the window (see /v1/ais)."},
    )


class PartyMatchSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(["owner", "manager", "operator"]))
    query_name = fields.String(required=True)
    entity_id = fields.String(required=True)
    list = fields.String(required=True)
    name = fields.String(required=True)
    matched_name = fields.String(required=True)
    kind = fields.String(required=True)
    imo_company_number = fields.String(allow_none=True)
    programs = fields.List(fields.String(), required=True)
    score = fields.Float(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["match", "review"]))


class ScreenResponseSchema(Schema):
    screening_id = fields.UUID(required=True)
    screened_at = fields.DateTime(required=True)
    reference = fields.String(allow_none=True)
    query = fields.Nested(QueryEchoSchema, required=True)
    lists = fields.List(fields.Nested(ListRefSchema), required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["match", "review", "clear"]))
    matches = fields.List(fields.Nested(MatchSchema), required=True)
    party_matches = fields.List(
        fields.Nested(PartyMatchSchema),
        required=True,
        metadata={"description": "Listed companies the owner, manager or operator may be."},
    )
    risk_flags = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "owner_listed, manager_listed, operator_listed."},
    )
    warnings = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "What in the query was not understood (unknown flag ...)."},
    )
    decision_reason = fields.String(
        allow_none=True,
        metadata={
            "description": "Why `decision` is `review` although nothing matched: an IMO number "
            "whose check digit fails or a malformed MMSI could not be screened."
        },
    )
    set_aside = fields.List(
        fields.Nested(SetAsideSchema),
        required=True,
        metadata={
            "description": "Listed ships whose name reached the threshold but that are not "
            "matches, and why (a valid IMO that differs from the one sent: another ship)."
        },
    )
    imo_suggestions = fields.List(
        fields.Nested(ImoSuggestionSchema),
        required=True,
        metadata={
            "description": "Listed ships whose valid IMO differs by one digit from an IMO sent "
            "with a failing check digit."
        },
    )


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        metadata={"description": "For validation errors: each bad field and what is wrong."}
    )
    request_id = fields.String()


class BatchRequestSchema(Schema):
    """`POST /v1/screen/batch`: documents the body; the route loads each item on its own, so a
    bad item is answered in its place instead of failing the batch."""

    class Meta:
        unknown = RAISE

    queries = fields.List(
        fields.Nested(ScreenRequestSchema),
        required=True,
        metadata={
            "description": "Screening requests, at most MAX_BATCH (default 1,000); answered in "
            "this order."
        },
    )


class BatchItemErrorSchema(Schema):
    error = fields.Nested(
        "ProblemSchema",
        required=True,
        metadata={"description": "Why this item was not screened (status 422, `errors`)."},
    )


class BatchResponseSchema(Schema):
    results = fields.List(
        fields.Raw(
            metadata={
                "oneOf": [
                    {"$ref": "#/components/schemas/ScreenResponse"},
                    {"$ref": "#/components/schemas/BatchItemError"},
                ]
            }
        ),
        required=True,
        metadata={"description": "One per query, in the order of `queries`."},
    )
