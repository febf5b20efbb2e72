"""Schemas of the lists as served: each list and its versions, the diff between two versions,
a refresh's results, one listed vessel in full, and the health and readiness answers.

Part of the contract `openapi.yaml` is built from (see `web/openapi.py`); the shared fields and
the screening's own schemas are in `web/schemas.py`.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.web.ais_schemas import AisEventSchema, TrackSummarySchema
from service.web.schemas import ListRefSchema, PortCallSchema, RiskFlagSchema, VesselSchema


class ListInfoSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    source = fields.String(allow_none=True)
    format = fields.String(required=True)
    version = fields.String(required=True)
    loaded_at = fields.DateTime(required=True)
    sha256 = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    entries = fields.Integer(required=True, metadata={"description": "Vessels in the version."})
    last_error = fields.String(allow_none=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["served", "retired"]),
        metadata={
            "description": "`retired`: no longer named by LISTS_DIR; kept in the history, "
            "never screened against."
        },
    )
    retired_at = fields.DateTime(allow_none=True)


class ListsResponseSchema(Schema):
    lists = fields.List(fields.Nested(ListInfoSchema), required=True)


class VesselNameSchema(Schema):
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["primary", "aka", "fka", "nka"]))


class VesselDetailSchema(VesselSchema):
    track = fields.Nested(TrackSummarySchema, allow_none=True)
    entity_id = fields.String(required=True)
    list = fields.Nested(ListRefSchema, required=True)
    names = fields.List(fields.Nested(VesselNameSchema), required=True)
    remarks = fields.String(allow_none=True)
    source_record = fields.Dict(required=True)
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


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True)
    reasons = fields.List(fields.String(), required=True)
    lists = fields.List(fields.Nested(ListRefSchema), required=True)


class ListVersionSchema(Schema):
    version = fields.String(allow_none=True)
    loaded_at = fields.DateTime(required=True)
    entries = fields.Integer(
        required=True, metadata={"description": "Vessels in the version, as GET /v1/lists counts."}
    )
    records = fields.Integer(
        required=True,
        metadata={"description": "Records stored: the vessels and the listed companies."},
    )
    sha256 = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    published = fields.Boolean(required=True)
    error = fields.String(allow_none=True)


class ListVersionsSchema(Schema):
    list = fields.String(required=True)
    versions = fields.List(fields.Nested(ListVersionSchema), required=True)


class VesselBriefSchema(Schema):
    entity_id = fields.String(required=True)
    name = fields.String(required=True)
    imo = fields.String(allow_none=True)


class FieldChangeSchema(Schema):
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class VesselChangeSchema(Schema):
    entity_id = fields.String(required=True)
    name = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.Nested(FieldChangeSchema),
        required=True,
        attribute="fields",
    )


class ListDiffSchema(Schema):
    list = fields.String(required=True)
    from_ = fields.String(data_key="from", attribute="from", required=True)
    to = fields.String(required=True)
    added = fields.List(fields.Nested(VesselBriefSchema), required=True)
    removed = fields.List(fields.Nested(VesselBriefSchema), required=True)
    changed = fields.List(fields.Nested(VesselChangeSchema), required=True)


class RefreshResultSchema(Schema):
    list = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["not_modified", "updated", "failed", "skipped"]),
        metadata={
            "description": "`updated`: a new version is served; `not_modified`: the publisher "
            "has nothing new; `failed`: the served version stays, `error` says why; `skipped`: "
            "the list has no download addresses."
        },
    )
    version = fields.String(
        allow_none=True, metadata={"description": "The version served after the refresh."}
    )
    error = fields.String(allow_none=True)


class RefreshResponseSchema(Schema):
    results = fields.List(fields.Nested(RefreshResultSchema), required=True)
