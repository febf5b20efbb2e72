"""Limits on what a screening query may carry, shared by the API's schemas and the CSV reader.

`MAX_STRING` bounds every free-text field; the service's own setting (MAX_STRING_LENGTH) can
only lower it, so the published contract stays true whatever the configuration. `NOT_BLANK`
is "not blank" as JSON Schema's ECMA-262 regex means it, so the service and the document agree
on which strings count as given (Python's \\s also takes control characters such as \\x1d).
"""

from __future__ import annotations

MAX_STRING = 200

NOT_BLANK = (
    "[^\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"
)
