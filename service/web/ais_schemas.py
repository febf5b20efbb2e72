"""The AIS parts of the contract: derived events, a ship's track, and the answer to an ingest."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.ais.model import EVENT_KINDS


class AisEventSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    mmsi = fields.String(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    hours = fields.Float(required=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    evidence = fields.Dict(
        required=True,
        metadata={
            "description": "What the event rests on: port_call: locode, port_name, arrival and "
            "departure, hours stopped; ais_gap: vanished/reappeared (lat, lon, at), hours, "
            "distance_nm, port_call_could_fit, ports_in_reach; ship_to_ship: other_mmsi, "
            "other_name, other_imo, median_distance_m; identity_change: what changed from and "
            "to; position_jump: from, to, distance_nm, implied_speed_kn."
        },
    )
    source = fields.String(required=True)


class TrackSummarySchema(Schema):
    points = fields.Integer(required=True)
    first = fields.DateTime(allow_none=True)
    last = fields.DateTime(allow_none=True)
    mmsis = fields.List(fields.String(), required=True)


class TrackPointSchema(Schema):
    t = fields.DateTime(required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    sog = fields.Float(allow_none=True)
    mmsi = fields.String(required=True)


class TrackSchema(Schema):
    entity_id = fields.String(required=True)
    mmsis = fields.List(fields.String(), required=True)
    from_ = fields.DateTime(allow_none=True, data_key="from")
    to = fields.DateTime(allow_none=True)
    total = fields.Integer(required=True, metadata={"description": "Positions in the range."})
    downsampled = fields.Boolean(required=True)
    points = fields.List(fields.Nested(TrackPointSchema), required=True)
    events = fields.List(fields.Nested(AisEventSchema), required=True)


class AisRejectionSchema(Schema):
    line = fields.Integer(required=True)
    reason = fields.String(required=True)
    text = fields.String(required=True)


class AisIngestSchema(Schema):
    source = fields.String(required=True)
    format = fields.String(required=True)
    stored = fields.Boolean(
        required=True, metadata={"description": "False: the same bytes were ingested before."}
    )
    ingest_id = fields.Integer(required=True)
    lines = fields.Integer(required=True)
    accepted = fields.Integer(required=True)
    positions = fields.Integer(required=True)
    statics = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    outliers = fields.Integer(required=True)
    duplicates = fields.Integer(required=True)
    first_rejections = fields.List(fields.Nested(AisRejectionSchema), required=True)
