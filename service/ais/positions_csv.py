"""Position CSVs as MarineCadastre (US) and the Danish Maritime Authority publish them, read
column-wise with polars: no Python object per row, because a day file is millions of rows.

The layout is told by the header row (case-insensitive, "# " allowed before it). Rows whose
time, MMSI or position cannot be read are rejected with their line numbers; the identity
columns become static reports only where they change for a ship.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from service.ais.model import Positions, ReadSummary, StaticReport, unix_to_datetime
from service.ais.statics import (
    StaticTracker,
    clean_call_sign,
    clean_imo,
    clean_name,
    clean_ship_type,
)
from service.ais.streams import AisFormatError

# The navigational status as the DMA writes it, folded to letters only, -> ITU-R M.1371 code.
_DMA_STATUS = {
    "underwayusingengine": 0,
    "atanchor": 1,
    "notundercommand": 2,
    "restrictedmaneuverability": 3,
    "restrictedmanoeuvrability": 3,
    "restrictedmanoeuverability": 3,
    "constrainedbyherdraught": 4,
    "moored": 5,
    "aground": 6,
    "engagedinfishing": 7,
    "underwaysailing": 8,
    "reservedforfutureamendmenthsc": 9,
    "reservedforfutureamendmentwig": 10,
    "powerdrivenvesseltowingastern": 11,
    "powerdrivenvesselpushingaheadortowingalongside": 12,
    "reservedforfutureuse": 13,
    "aissart": 14,
    "aissartisactive": 14,
    "unknownvalue": 15,
    "undefined": 15,
    "notdefined": 15,
}
# The DMA writes the ship type as a word; each maps to the first ITU code of its kind.
_DMA_SHIP_TYPE = {
    "wig": 20, "fishing": 30, "towing": 31, "towinglongwide": 32, "dredging": 33,
    "diving": 34, "military": 35, "sailing": 36, "pleasure": 37, "hsc": 40, "passenger": 60,
    "cargo": 70, "tanker": 80, "other": 90, "pilot": 50, "sar": 51, "tug": 52,
    "porttender": 53, "antipollution": 54, "lawenforcement": 55, "medical": 58,
    "notpartytoconflict": 59,
}  # fmt: skip
# DMA rows of these mobiles are not ships.
_DMA_NOT_SHIPS = ("base station", "aton")


@dataclass(frozen=True)
class CsvLayout:
    """A published position CSV: its name, the header each canonical column goes by, the
    columns it cannot do without and the time format."""

    name: str
    columns: dict[str, str]
    required: tuple[str, ...]
    time_format: str

    def header_text(self) -> str:
        return ",".join(self.columns[c] for c in self.required)


MARINECADASTRE = CsvLayout(
    name="marinecadastre",
    columns={
        "mmsi": "mmsi", "t": "basedatetime", "lat": "lat", "lon": "lon", "sog": "sog",
        "cog": "cog", "heading": "heading", "status": "status", "name": "vesselname",
        "imo": "imo", "call_sign": "callsign", "ship_type": "vesseltype",
    },
    required=("mmsi", "t", "lat", "lon"),
    time_format="%Y-%m-%dT%H:%M:%S",
)  # fmt: skip
DMA = CsvLayout(
    name="dma",
    columns={
        "t": "timestamp", "mobile": "type of mobile", "mmsi": "mmsi", "lat": "latitude",
        "lon": "longitude", "status": "navigational status", "sog": "sog", "cog": "cog",
        "heading": "heading", "imo": "imo", "call_sign": "callsign", "name": "name",
        "ship_type": "ship type",
    },
    required=("t", "mmsi", "lat", "lon"),
    time_format="%d/%m/%Y %H:%M:%S",
)  # fmt: skip
LAYOUTS = (MARINECADASTRE, DMA)

_FOLD_RE = re.compile(r"[^a-z]+")
_IDENTITY = ("name", "imo", "call_sign", "ship_type")


def _header_names(line: bytes) -> list[str]:
    text = line.decode("utf-8", "replace").lstrip("\ufeff").strip()
    text = text.removeprefix("#").strip()
    return [name.strip().strip('"').lower() for name in text.split(",")]


def detect_layout(header: bytes) -> tuple[CsvLayout, dict[str, int]] | None:
    """The layout a header row names and where each of its columns stands; None if none."""
    names = _header_names(header)
    for layout in LAYOUTS:
        where = {c: names.index(h) for c, h in layout.columns.items() if h in names}
        if all(c in where for c in layout.required):
            return layout, where
    return None


def unknown_layout_reason(header: bytes) -> str:
    expected = "; ".join(f"{layout.name} ({layout.header_text()}, ...)" for layout in LAYOUTS)
    shown = header[:120].decode("utf-8", "replace").strip()
    return f"unknown AIS CSV layout (header {shown!r}); expected the columns of {expected}"


class CsvDecoder:
    """Reads the blocks of one position CSV after its header into position columns and
    static reports, counting into `summary`."""

    def __init__(
        self, summary: ReadSummary, source: str, header: bytes, header_line: int = 1
    ) -> None:
        found = detect_layout(header)
        if found is None:
            raise AisFormatError(unknown_layout_reason(header))
        self.layout, where = found
        self.summary = summary
        summary.format = f"csv:{self.layout.name}"
        # Columns in file order, so the names polars gives them line up with ours.
        ordered = sorted(where.items(), key=lambda item: item[1])
        self._indices = [i for _, i in ordered]
        self._names = [c for c, _ in ordered]
        self._schema = {f"column_{i + 1}": pl.String for i in range(len(_header_names(header)))}
        self.tracker = StaticTracker(source)
        self.line = header_line
        self._decimal_comma = False
        self._last_identity: dict[int, tuple[Any, ...]] = {}

    def decode(self, block: bytes) -> tuple[Positions, list[StaticReport]]:
        """Positions and identity changes of a block of whole rows."""
        first_line = self.line + 1
        self.line += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        self.summary.lines = self.line
        # The schema names every field of the header, so a short or long row cannot change
        # which field is which.
        raw = pl.read_csv(
            io.BytesIO(block),
            has_header=False,
            schema=self._schema,
            columns=[f"column_{i + 1}" for i in self._indices],
            truncate_ragged_lines=True,
            missing_columns="insert",
            raise_if_empty=False,
            encoding="utf8-lossy",
        )
        if raw.width != len(self._names):
            return Positions.empty(), []
        raw = raw.rename(dict(zip(raw.columns, self._names, strict=True)))
        raw = raw.with_row_index("row")
        # A blank line is a row of nulls: skip it without a word.
        raw = raw.filter(~pl.all_horizontal(pl.exclude("row").is_null()))
        if self.layout is DMA:
            mobile = pl.col("mobile").str.to_lowercase()
            not_ship = raw.select(mobile.is_in(list(_DMA_NOT_SHIPS)).fill_null(False)).to_series()
            skipped = int(not_ship.sum())
            if skipped:
                self.summary.ignored += skipped
                raw = raw.filter(~not_ship)
        # Some DMA exports write decimal commas in quoted fields ("55,6761"); looking once per
        # block spares the replacement where they do not.
        self._decimal_comma = self.layout is DMA and bool(
            raw["lat"].str.contains(",", literal=True).any()
        )
        frame = raw.with_columns(self._parsed())
        bad = self._reject_bad_rows(frame, first_line)
        if bad is not None:
            frame = frame.filter(~bad)
        positions = Positions(
            mmsi=frame["p_mmsi"].to_numpy().astype(np.int64, copy=False),
            t=frame["p_t"].to_numpy().astype(np.int64, copy=False),
            lat=frame["p_lat"].to_numpy().astype(np.float64, copy=False),
            lon=frame["p_lon"].to_numpy().astype(np.float64, copy=False),
            sog=frame["p_sog"].fill_null(np.nan).to_numpy().astype(np.float32, copy=False),
            cog=frame["p_cog"].fill_null(np.nan).to_numpy().astype(np.float32, copy=False),
            heading=frame["p_heading"].fill_null(np.nan).to_numpy().astype(np.float32, copy=False),
            status=frame["p_status"].fill_null(-1).to_numpy().astype(np.int8, copy=False),
        )
        return positions, self._statics(frame)

    def _column(self, name: str) -> pl.Expr:
        if name in self._names:
            return pl.col(name).str.strip_chars()
        return pl.lit(None, dtype=pl.String)

    def _number(self, name: str) -> pl.Expr:
        column = self._column(name)
        if self._decimal_comma:
            column = column.str.replace(",", ".", literal=True)
        return column.cast(pl.Float64, strict=False)

    def _parsed(self) -> list[pl.Expr]:
        layout = self.layout
        mmsi_text = self._column("mmsi")
        sog = self._number("sog")
        cog = self._number("cog")
        heading = self._number("heading")
        if layout is DMA:
            status = (
                self._column("status")
                .str.to_lowercase()
                .str.replace_all("[^a-z]", "")
                .replace_strict(_DMA_STATUS, default=None, return_dtype=pl.Int8)
            )
        else:
            status = self._number("status")
            status = pl.when(status.is_between(0, 15)).then(status).otherwise(None)
        when = self._column("t").str.strptime(pl.Datetime("us"), layout.time_format, strict=False)
        return [
            pl.when(mmsi_text.str.contains(r"^[0-9]{9}$"))
            .then(mmsi_text.cast(pl.Int64, strict=False))
            .otherwise(None)
            .alias("p_mmsi"),
            when.dt.epoch("s").alias("p_t"),
            self._number("lat").alias("p_lat"),
            self._number("lon").alias("p_lon"),
            # 102.3 knots, 360 degrees and 511 (heading) mean "not available".
            pl.when((sog >= 0) & (sog < 102.25)).then(sog).otherwise(None).alias("p_sog"),
            pl.when((cog >= 0) & (cog < 360)).then(cog).otherwise(None).alias("p_cog"),
            pl.when((heading >= 0) & (heading < 360))
            .then(heading)
            .otherwise(None)
            .alias("p_heading"),
            status.cast(pl.Int8).alias("p_status"),
        ]

    def _reject_bad_rows(self, frame: pl.DataFrame, first_line: int) -> pl.Series | None:
        reasons = frame.select(
            pl.when(pl.col("p_t").is_null())
            .then(pl.lit("unparseable time"))
            .when(pl.col("p_mmsi").is_null())
            .then(pl.lit("MMSI not 9 digits"))
            .when(pl.col("p_lat").is_null() | pl.col("p_lat").is_nan())
            .then(pl.lit("latitude missing or not a number"))
            .when(pl.col("p_lon").is_null() | pl.col("p_lon").is_nan())
            .then(pl.lit("longitude missing or not a number"))
            .otherwise(None)
            .alias("reason")
        ).to_series()
        bad = reasons.is_not_null()
        n_bad = int(bad.sum())
        if not n_bad:
            return None
        summary = self.summary
        room = max(0, summary.keep_rejections - len(summary.first_rejections))
        shown = frame.filter(bad).head(room).with_columns(reason=reasons.filter(bad).head(room))
        for row in shown.iter_rows(named=True):
            text = ",".join("" if row[c] is None else str(row[c]) for c in self._names)
            summary.reject(first_line + row["row"], row["reason"], text)
        summary.rejected += n_bad - len(shown)
        return bad

    def _statics(self, frame: pl.DataFrame) -> list[StaticReport]:
        present = [c for c in _IDENTITY if c in self._names]
        if not present or not len(frame):
            return []
        # Candidates: a ship's first row in this block, and rows whose identity columns
        # differ from its row before (compared by hash: one window instead of one per
        # column; a collision only hides a change from the candidates). The tracker then
        # drops what repeats earlier blocks.
        ident = frame.select(pl.struct(present).hash()).to_series().to_numpy()
        mmsi = frame["p_mmsi"].to_numpy()
        order = np.argsort(mmsi, kind="stable")
        m, h = mmsi[order], ident[order]
        changed_sorted = np.ones(len(order), dtype=bool)
        changed_sorted[1:] = (m[1:] != m[:-1]) | (h[1:] != h[:-1])
        changed = np.empty(len(order), dtype=bool)
        changed[order] = changed_sorted
        rows = frame.filter(pl.Series(changed)).select("p_mmsi", "p_t", *present)
        where = {c: i for i, c in enumerate(present, start=2)}
        last_raw = self._last_identity
        reports: list[StaticReport] = []
        for row in rows.iter_rows():
            mmsi, raw = row[0], row[2:]
            # A block's first row of a ship usually repeats the block before, as written.
            if last_raw.get(mmsi) == raw:
                continue
            last_raw[mmsi] = raw

            def field(name: str, row: tuple[Any, ...] = row) -> Any:
                return row[where[name]] if name in where else None

            report = self.tracker.offer(
                mmsi,
                unix_to_datetime(row[1]),
                imo=clean_imo(field("imo")),
                name=clean_name(field("name")),
                call_sign=clean_call_sign(field("call_sign")),
                ship_type=self._ship_type(field("ship_type")),
            )
            if report is not None:
                reports.append(report)
        self.summary.statics += len(reports)
        return reports

    def _ship_type(self, value: str | None) -> int | None:
        if value is None:
            return None
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return _DMA_SHIP_TYPE.get(_FOLD_RE.sub("", text.lower()))
        return clean_ship_type(int(number)) if number.is_integer() else None


def split_header(blocks: Iterator[bytes]) -> tuple[bytes, int, Iterator[bytes]]:
    """The header row of a CSV (its first line that is not blank), its line number, and the
    blocks after it."""
    iterator = iter(blocks)
    pending = b""
    for block in iterator:
        pending += block
        stripped = pending.lstrip(b"\r\n\t ")
        cut = stripped.find(b"\n")
        if cut >= 0:
            header, rest = stripped[: cut + 1], stripped[cut + 1 :]
            line = pending[: len(pending) - len(stripped)].count(b"\n") + 1

            def chained(first: bytes = rest) -> Iterator[bytes]:
                if first:
                    yield first
                yield from iterator

            return header, line, chained()
    return pending.strip(), 1, iter(())
