"""Static reports as readers keep them: identity values cleaned, and a report passed on only
when it tells something new about its ship (a day of AIS repeats the same name every few
minutes, and a position CSV repeats it on every row)."""

from __future__ import annotations

from datetime import datetime

from service.ais.model import StaticReport
from service.identifiers import is_valid_imo, normalize_call_sign

# Written where a value was not available (ITU-R M.1371 pads text with "@"; CSV exports write
# words).
_NOT_AVAILABLE_TEXT = frozenset({"", "UNKNOWN", "UNDEFINED", "N/A", "NULL"})


def clean_name(value: str | None) -> str | None:
    """A ship name without "@" padding or runs of spaces; None when nothing is left."""
    if value is None:
        return None
    text = " ".join(value.replace("@", " ").split())
    return None if text.upper() in _NOT_AVAILABLE_TEXT else text


def clean_call_sign(value: str | None) -> str | None:
    name = clean_name(value)
    return None if name is None else normalize_call_sign(name)


def clean_imo(value: int | str | None) -> str | None:
    """Seven digits when the value is an IMO number whose check digit holds, else None."""
    if value is None:
        return None
    if isinstance(value, int):
        if not 0 < value <= 9_999_999:
            return None
        digits = f"{value:07d}"
    else:
        digits = value.strip().upper().removeprefix("IMO").strip()
    return digits if is_valid_imo(digits) else None


def clean_ship_type(value: int | None) -> int | None:
    """The ITU ship and cargo type (1..99); 0 is "not available" and higher codes are not
    ITU's."""
    return value if value is not None and 0 < value < 100 else None


_Known = tuple[str | None, str | None, str | None, int | None]


class StaticTracker:
    """Keeps what each MMSI last said about itself and passes on the reports that change it.

    A field a report does not carry (None) changes nothing: a type 24 part A (name only)
    after a type 5 is not a change of call sign.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self._known: dict[int, _Known] = {}

    def offer(
        self,
        mmsi: int,
        at: datetime,
        *,
        imo: str | None = None,
        name: str | None = None,
        call_sign: str | None = None,
        ship_type: int | None = None,
    ) -> StaticReport | None:
        """The report to keep, or None when it repeats what is known or carries nothing."""
        if imo is None and name is None and call_sign is None and ship_type is None:
            return None
        known = self._known.get(mmsi)
        if known is None:
            self._known[mmsi] = (imo, name, call_sign, ship_type)
        else:
            k_imo, k_name, k_call, k_type = known
            if (
                (imo is None or imo == k_imo)
                and (name is None or name == k_name)
                and (call_sign is None or call_sign == k_call)
                and (ship_type is None or ship_type == k_type)
            ):
                return None
            self._known[mmsi] = (
                k_imo if imo is None else imo,
                k_name if name is None else name,
                k_call if call_sign is None else call_sign,
                k_type if ship_type is None else ship_type,
            )
        return StaticReport(
            mmsi=f"{mmsi:09d}",
            at=at,
            imo=imo,
            name=name,
            call_sign=call_sign,
            ship_type=ship_type,
            source=self.source,
        )
