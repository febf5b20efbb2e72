"""OFAC's consolidated non-SDN list in its classic CSV files: cons_prim.csv, cons_alt.csv,
cons_add.csv and cons_comments.csv.

They are the SDN files' layout under other names (no header, Windows-1252, `-0-` for empty,
rows joined on `ent_num`), so the SDN reader does the work. Unlike the SDN list, the non-SDN
lists (SSI, NS-MBS, FSE, ...) often hold no ship at all: a set with entities but no vessel is
valid, its entities still serve owner screening.
"""

from __future__ import annotations

from pathlib import Path

from service.loaders.ofac_csv import (
    ADD_COLUMNS,
    ALT_COLUMNS,
    COMMENT_COLUMNS,
    SDN_COLUMNS,
    FileSpec,
    OfacCsvSet,
    ofac_csv_files,
    read_csv_set,
)

DEFAULT_LIST_ID = "us-ofac-cons"

# In version-hash order, like the SDN set.
CONS_FILES: FileSpec = (
    ("cons_prim.csv", SDN_COLUMNS),
    ("cons_alt.csv", ALT_COLUMNS),
    ("cons_add.csv", ADD_COLUMNS),
    ("cons_comments.csv", COMMENT_COLUMNS),
)
CONS_FILE_NAMES: tuple[str, ...] = tuple(name for name, _ in CONS_FILES)


def is_ofac_cons_csv(folder: Path) -> bool:
    """True when the folder holds cons_prim.csv under its official name (any case)."""
    return any(p.name.lower() == CONS_FILE_NAMES[0] for p in ofac_csv_files(folder, CONS_FILES))


def read_ofac_cons_csv(folder: Path, list_id: str = DEFAULT_LIST_ID) -> OfacCsvSet:
    """Vessels and entities of the non-SDN set in `folder`; version is the content hash of the
    four files in the order above (the files carry no publish date)."""
    return read_csv_set(folder, list_id, CONS_FILES, require_vessels=False)
