"""The vessel fields a CSV file's columns can give, and the header names people give them.

`FIELD_OF` maps a header cell, reduced by `header_key` (lower case, non-alphanumerics as single
underscores), to its field: "Vessel Name", "IMO No.", "Flag State", "Call-Sign", "Ref".
`unique_names` makes a header's names fit to be JSON keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FIELDS = ("name", "imo", "mmsi", "call_sign", "flag", "reference")
IDENTITY_FIELDS = ("name", "imo", "mmsi")

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "vessel",
        "vessel_name",
        "vesselname",
        "name_of_vessel",
        "ship",
        "ship_name",
        "shipname",
        "name_of_ship",
        "boat_name",
    ),
    "imo": (
        "imo",
        "imo_number",
        "imo_no",
        "imo_nr",
        "imo_num",
        "imonumber",
        "imo_ship_no",
        "imo_ship_number",
        "lr_imo",
        "lr_imo_ship_no",
        "imo_code",
    ),
    "mmsi": ("mmsi", "mmsi_number", "mmsi_no", "mmsi_nr", "mmsi_num"),
    "call_sign": (
        "call_sign",
        "callsign",
        "call_signal",
        "radio_call_sign",
        "ircs",
        "call_letters",
    ),
    "flag": (
        "flag",
        "flag_state",
        "flag_country",
        "country_of_flag",
        "flag_code",
        "flag_iso",
        "vessel_flag",
        "ship_flag",
    ),
    "reference": (
        "reference",
        "ref",
        "ref_no",
        "ref_id",
        "reference_id",
        "reference_number",
        "id",
        "your_reference",
        "your_ref",
        "client_reference",
        "client_ref",
        "customer_reference",
        "customer_ref",
        "external_id",
        "record_id",
    ),
}
FIELD_OF = {synonym: name for name, synonyms in _SYNONYMS.items() for synonym in synonyms}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(cell: str) -> str:
    return _NON_ALNUM.sub("_", cell.strip().lstrip("\ufeff").lower()).strip("_")


def unique_names(names: Sequence[str]) -> list[str]:
    """Column names as JSON keys: a repeated name gets `_2`, `_3` ..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
