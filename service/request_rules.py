"""The string rules of a screening request, stated once for every way a request comes in.

`ScreenRequestSchema` (the JSON bodies of `POST /v1/screen` and the batch) and `bulk.row_request`
(each row of a CSV file) both check these: no string field over `MAX_STRING` characters, and at
least one of name, imo, mmsi given (not blank, as `NOT_BLANK` means it). The messages are the
ones the answers' `errors` carry, and `string_errors` gives them in the shape the schema does:
each bad field with its messages, the missing identity under `_schema`. Plain functions on plain
values, so a CSV file's rows are checked without a marshmallow load each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from service.bulk_columns import IDENTITY_FIELDS
from service.limits import MAX_STRING, NOT_BLANK

TOO_LONG = f"Longer than maximum length {MAX_STRING}."
NEEDS_AN_IDENTITY = "At least one of name, imo, mmsi is required."
# Where a request as a whole is wrong (no identity), as marshmallow names it.
WHOLE = "_schema"

_not_blank = re.compile(NOT_BLANK).search


def too_long(text: str) -> bool:
    return len(text) > MAX_STRING


def given(value: object) -> bool:
    """A field counts as given when it is not null and not blank (an integer always is)."""
    return value is not None and _not_blank(str(value)) is not None


def has_identity(values: Mapping[str, object]) -> bool:
    """At least one of name, imo, mmsi given."""
    return any(map(given, map(values.get, IDENTITY_FIELDS)))  # maps: it runs for every CSV row


def string_errors(values: Mapping[str, str]) -> dict[str, list[str]]:
    """Every string rule the values break, by field in their order, then the missing identity;
    empty when they keep them all (the usual row: one length check and one search)."""
    if max(map(len, values.values()), default=0) <= MAX_STRING and has_identity(values):
        return {}
    errors = {field: [TOO_LONG] for field, value in values.items() if too_long(value)}
    if not has_identity(values):
        errors[WHOLE] = [NEEDS_AN_IDENTITY]
    return errors
