"""Schemas of what the service keeps a record of: the alerts re-screening raised and the answer
to a push of port calls.

Part of the contract `openapi.yaml` is built from (see `web/openapi.py`).
"""

from __future__ import annotations

from marshmallow import Schema, fields


class RejectedRowSchema(Schema):
    line = fields.Integer(
        required=True, metadata={"description": "Line (CSV: 1 is the header; 0 the whole body)."}
    )
    reason = fields.String(required=True)


class PortCallsPushResponseSchema(Schema):
    accepted = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    rejected_rows = fields.List(fields.Nested(RejectedRowSchema), required=True)


class AlertSchema(Schema):
    alert_id = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    screening_id = fields.String(required=True)
    screening = fields.String(
        required=True, metadata={"description": "Where the original screening is."}
    )
    list = fields.String(required=True)
    version = fields.String(required=True)
    entity_id = fields.String(required=True)
    score = fields.Float(required=True)
    decision = fields.String(required=True)
    previous_decision = fields.String(allow_none=True)
    reason = fields.String(required=True)


class AlertsResponseSchema(Schema):
    alerts = fields.List(fields.Nested(AlertSchema), required=True)
