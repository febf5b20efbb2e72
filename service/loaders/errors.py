"""The one error every loader raises, so callers can keep serving the last good version."""

from __future__ import annotations


class ListLoadError(Exception):
    """A list could not be loaded as a whole; nothing from it should be served.

    Loaders raise this instead of returning what they managed to read, because a screening
    service that silently serves half a list misses ships without anyone noticing.
    """
