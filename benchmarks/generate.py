"""Benchmark data: generated sanctions lists of N vessels, their port calls, and query mixes.

A generated list is written in OFAC's classic SDN CSV layout, the one the service reads from
the real download (service/loaders/ofac_csv.py): sdn.csv, alt.csv, add.csv and sdn_comments.csv,
no header, Windows-1252, CRLF, `-0- ` for an empty cell, a Ctrl-Z at the end. Vessel rows have
SDN_Type `vessel`, a program, a call sign, a type, tonnages, a flag and an owner, and Remarks
made of the clauses OFAC writes (`Vessel Registration Identification IMO 9161003`, `MMSI ...`,
`Vessel Year of Build ...`, `Former Vessel Flag ...`, `f.k.a. '...'`, `Linked To: ...`);
aliases and former names are in alt.csv or in the remarks, as OFAC has them. Remarks longer
than OFAC's 1,000-character cell go on in sdn_comments.csv, cut mid-word as OFAC cuts them.
The owners are entity rows of their own (owner screening loads them). Names come from the
vocabularies below: ship-name words, places, people, Chinese, Korean and Persian syllables,
fishing-fleet prefixes, hull numbers. IMO numbers carry a correct check digit and MMSIs a MID
of the ship's flag. Everything follows from the seed: the same N and seed give the same bytes.

The port-call file (CSV, the format of service/portcalls/calls.py and ports/README.md) gives
each vessel a few calls over three years up to CALLS_END at ports of the bundled port table,
about one in ten at a port the bundled risk policy names; serve it with PORT_CALLS_DIR.

Queries (`make_queries`) are a deterministic mix against any loaded list, the real ones too:
exact names (current, alias, former; case and hull prefixes varied), names with typos, names
in Cyrillic or respelled, IMO only, MMSI only, name with IMO and flag, and ship-like names not
on the list. `write_queries` writes them as a wrk Lua script for POST /v1/screen, a wrk script
of 1,000-query POST /v1/screen/batch bodies, and a CSV file for POST /v1/screen/csv.

Usage:
  .venv/bin/python benchmarks/generate.py --vessels 10000 --out DIR   # list, calls, queries
  .venv/bin/python benchmarks/generate.py --lists LISTS_DIR --out DIR # queries for a list
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import string
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import WrkRequest, write_wrk_script

from service.identifiers import flag_name
from service.loaders.registry import load_lists
from service.portcalls.call_files import CALL_FIELDS
from service.portcalls.ports import load_bundled_ports
from service.portcalls.risk import load_risk_policy

LIST_FOLDER = "ofac"  # the generated files' folder inside the LISTS_DIR written
CALLS_FOLDER = "calls"  # PORT_CALLS_DIR
CALLS_FILE = "generated-calls.csv"
# Calls are dated from a fixed day, not today, so that a list is the same bytes whenever it is
# generated; the service's 730-day window then holds about two thirds of them (fewer later on).
CALLS_END = datetime(2026, 11, 1, tzinfo=UTC)
CALLS_SPAN_DAYS = 3 * 365
REMARKS_CELL = 1000  # OFAC cuts Remarks here and goes on in sdn_comments.csv
BATCH_SIZE = 1000

# --- Vocabularies ---------------------------------------------------------------------------

ADJECTIVES = (
    "GOLDEN", "SILVER", "BLUE", "GREEN", "GRAND", "ROYAL", "GREAT", "NEW", "NORTHERN",
    "SOUTHERN", "EASTERN", "WESTERN", "BRIGHT", "LUCKY", "HAPPY", "NOBLE", "BRAVE", "SWIFT",
    "OCEAN", "SEA", "STAR", "SUN", "CRYSTAL", "DIAMOND", "PEARL", "EMERALD", "RUBY", "SAPPHIRE",
    "CORAL", "ARCTIC", "POLAR", "NORDIC", "ATLANTIC", "PACIFIC", "INDIAN", "AEGEAN", "BALTIC",
    "CASPIAN", "ADRIATIC", "ORIENT", "GLOBAL", "UNITED", "PRIME", "FIRST", "ALPHA", "DELTA",
    "OMEGA", "SIGMA", "NOVA", "MEGA", "SUPER", "FAIR", "TRUE", "KIND", "WHITE", "BLACK",
)  # fmt: skip
NOUNS = (
    "STAR", "SPIRIT", "GLORY", "PRIDE", "QUEEN", "PRINCESS", "PRINCE", "KING", "TRADER",
    "CARRIER", "PIONEER", "NAVIGATOR", "VOYAGER", "EXPRESS", "HOPE", "FORTUNE", "WAVE", "WIND",
    "SUN", "MOON", "SEA", "OCEAN", "RIVER", "BAY", "CAPE", "ISLAND", "HARBOUR", "EAGLE",
    "FALCON", "DOLPHIN", "LEADER", "VENTURE", "BREEZE", "HORIZON", "DAWN", "LIGHT", "JEWEL",
    "LION", "TIGER", "DRAGON", "PHOENIX", "DREAM", "FAITH", "GRACE", "HARMONY", "LEGEND",
    "MARINER", "SAILOR", "ANCHOR", "COMPASS", "SKY", "STREAM", "TIDE", "CROWN", "VICTORY",
    "UNITY", "PEACE", "PROSPERITY", "BLOSSOM", "LOTUS", "ORCHID", "ROSE", "SPLENDOUR",
)  # fmt: skip
PLACES = (
    "PACIFIC", "ATLANTIC", "NORDIC", "BALTIC", "AEGEAN", "CASPIAN", "ARABIAN", "PERSIAN",
    "ASIAN", "AFRICAN", "IBERIAN", "ADRIATIC", "HELLENIC", "AMAZON", "MEKONG", "VOLGA", "NEVA",
    "AMUR", "DANUBE", "NILE", "ODESSA", "CRIMEA", "KAMCHATKA", "SAKHALIN", "SIBERIA", "URAL",
    "TAURUS", "ANATOLIA", "HORMUZ", "KISH", "QESHM", "BUSHEHR", "BASRA", "ADEN", "MALACCA",
    "SUMATRA", "JAVA", "BORNEO", "LUZON", "HAINAN", "ZHOUSHAN", "BOHAI", "CORAL", "TASMAN",
    "CARIBBEAN", "ANTILLES", "CAYMAN", "BAHAMA", "LIBERTY", "PANAMA", "MARMARA", "PONTUS",
    "PIRAEUS", "CORINTH", "SPARTA", "ATHENA", "OLYMPIA", "DELOS", "NAXOS", "RHODOS", "ITHACA",
    "LIMASSOL", "VALLETTA", "GENOA", "TRIESTE", "MALAGA", "CADIZ", "LISBOA", "BRISTOL",
)  # fmt: skip
PEOPLE = (
    "MARIA", "ANNA", "ELENA", "ELENI", "SOFIA", "IRINA", "OLGA", "TATIANA", "NATALIA",
    "SVETLANA", "KATERINA", "ALEXANDRA", "VICTORIA", "CHRISTINA", "ANASTASIA", "DESPINA",
    "MARINA", "NADIA", "LUCIA", "ISABEL", "CARMEN", "ROSA", "FATIMA", "ZAHRA", "LEILA", "YASMIN",
    "AYSE", "NIKOLAOS", "GEORGIOS", "DIMITRIS", "ANDREAS", "IOANNIS", "KONSTANTINOS", "YANNIS",
    "IVAN", "SERGEY", "DMITRY", "NIKOLAY", "VLADIMIR", "ALEXANDER", "MIKHAIL", "PETR", "ANDREY",
    "YURI", "OMAR", "HASSAN", "ALI", "KARIM", "MAHMOUD", "RASHID", "TARIQ", "MEHMET", "MUSTAFA",
    "JOSE", "PEDRO", "CARLOS", "MIGUEL", "RAFAEL", "JOHN", "PETER", "PAUL", "THOMAS", "HENRY",
)  # fmt: skip
TITLES = ("LADY", "SAINT", "CAPTAIN", "KAPITAN", "AGIOS", "AGIA", "SANTA", "SAN", "PRINCESS")
SURNAMES = (
    "IVANOV", "PETROV", "SMIRNOV", "SOKOLOV", "POPOV", "LEBEDEV", "KOZLOV", "NOVIKOV",
    "MOROZOV", "VOLKOV", "DRANITSYN", "KHLEBNIKOV", "SOROKIN", "BELOUSOV", "GOLOVNIN",
    "PAPADOPOULOS", "GEORGIOU", "ONASSIS", "LIVANOS", "VLASOV", "KUZNETSOV", "ZHUKOV",
)  # fmt: skip
CHINESE = (
    "HAI", "XIN", "HUA", "YANG", "DONG", "FANG", "JIN", "LONG", "SHUN", "DA", "FU", "KANG",
    "MING", "TAI", "YUAN", "XIANG", "HENG", "TONG", "SHENG", "CHANG", "AN", "PING", "RUI", "XING",
    "FENG", "GUANG", "HONG", "JIA", "QING", "WEI", "ZHONG", "LI", "YU", "HE", "DE", "HUI",
)  # fmt: skip
KOREAN = (
    "CHON", "MA", "SAN", "RYONG", "GUN", "BONG", "KUM", "HYANG", "PYONG", "HWA", "SONG", "JONG",
    "MYONG", "SU", "RIM", "NAM", "PO", "KANG", "UN", "HA", "DUK", "SAM", "JIN", "CHOL", "YU",
)  # fmt: skip
PERSIAN = (
    "DARYA", "NOOR", "SAHAR", "BAHAR", "SHAHR", "PARS", "ARYA", "AZAR", "NASIM", "TABAN",
    "SEPID", "JAHAN", "ABADEH", "SABITI", "HAPPINESS", "KHAZAR", "ALBORZ", "ZAGROS", "DENA",
    "SAVIZ", "HALIB", "HOMA", "MAHAN", "KAVEH", "ROSTAM", "SHIRAZ", "ISFAHAN", "TABRIZ", "AL",
    "BARAKA", "SALAM", "NOUR", "AMAL", "MANAR", "SAFA", "MARWA", "ZAMZAM", "HUDA", "RAHMA",
)  # fmt: skip
# Chinese fishing vessels are named by province prefix, a word, YU (fishing) and a number.
FISHING_PREFIXES = ("LU", "ZHE", "MIN", "YUE", "LIAO", "JIN", "SU", "QIONG", "HU", "GUI")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
HULL_PREFIXES = ("", "", "", "", "M/V ", "MV ", "MT ", "m.v. ", "M.T. ")

VESSEL_TYPES = (
    ("General Cargo", 160), ("Fishing Vessel", 150), ("Crude Oil Tanker", 117), (None, 110),
    ("Bulk Carrier", 49), ("Tug", 38), ("Container Ship", 35), ("Chemical/Products Tanker", 20),
    ("Oil Products Tanker", 17), ("Roll-on Roll-off", 14), ("Passenger", 13), ("Yacht", 12),
    ("Products Tanker", 12), ("Research Vessel", 11), ("Crude/Oil Products Tanker", 10),
    ("LPG Tanker", 10), ("Chemical/Oil Tanker", 10), ("Fish Carrier", 8),
    ("Bunkering Tanker", 7),
)  # fmt: skip
PROGRAMS = (
    ("RUSSIA-EO14024", 222), ("GLOMAG", 157), ("IRAN] [NPWMD] [IFSR", 118), ("DPRK4", 65),
    ("IRAN", 64), ("SDGT", 48), ("VENEZUELA-EO13850", 47), ("DPRK", 29), ("IRAN-EO13846", 24),
    ("PEESA-EO14039", 16), ("DPRK3", 11), ("SYRIA", 10), ("LIBYA3", 8), ("IRAN] [SDGT", 8),
    ("CUBA", 5),
)  # fmt: skip


@dataclass(frozen=True)
class Flag:
    """A flag as OFAC writes it, its ISO code, the MIDs ITU allocated to it and call-sign
    prefixes from its ITU series."""

    name: str
    code: str
    mids: tuple[str, ...]
    call_prefixes: tuple[str, ...]
    weight: int


# Weights follow the flags of the vessels on the real SDN list.
FLAGS = (
    Flag("Iran", "IR", ("422",), ("EP", "EQ", "9B"), 183),
    Flag("Russia", "RU", ("273",), ("UB", "UA", "RM", "UH"), 175),
    Flag("China", "CN", ("412", "413", "414"), ("BR", "BS", "BV"), 159),
    Flag("Democratic People's Republic of Korea", "KP", ("445",), ("HM", "P5"), 73),
    Flag("Panama", "PA", ("351", "352", "353", "354", "355", "356", "357", "370", "371", "372",
                          "373"), ("3E", "3F", "HO", "HP"), 44),
    Flag("Venezuela", "VE", ("775",), ("YV", "YY"), 38),
    Flag("Liberia", "LR", ("636", "637"), ("A8", "D5", "5L"), 27),
    Flag("Gabon", "GA", ("626",), ("TR",), 15),
    Flag("Comoros", "KM", ("616", "620"), ("D6",), 8),
    Flag("Hong Kong", "HK", ("477",), ("VR",), 8),
    Flag("Togo", "TG", ("671",), ("5V",), 8),
    Flag("Sierra Leone", "SL", ("667",), ("9L",), 7),
    Flag("Malta", "MT", ("215", "229", "248", "249", "256"), ("9H",), 6),
    Flag("Cook Islands", "CK", ("518",), ("E5",), 6),
    Flag("Palau", "PW", ("511",), ("T8",), 4),
    Flag("Cameroon", "CM", ("613",), ("TJ",), 4),
    Flag("Vietnam", "VN", ("574",), ("3W", "XV"), 4),
    Flag("Cuba", "CU", ("323",), ("CL", "CM"), 3),
    Flag("Marshall Islands", "MH", ("538",), ("V7",), 3),
    Flag("Mongolia", "MN", ("457",), ("JV",), 2),
    Flag("Tanzania", "TZ", ("674", "677"), ("5I", "5H"), 2),
    Flag("Belize", "BZ", ("312",), ("V3",), 2),
    Flag("Tuvalu", "TV", ("572",), ("T2",), 2),
    Flag("Syria", "SY", ("468",), ("YK",), 2),
)  # fmt: skip

OWNER_WORDS = (*NOUNS[:40], *PLACES[:40], *PERSIAN[:20], "OCEANIC", "TRANSMOR", "SOVFRACHT")
OWNER_FORMS = (
    "{} SHIPPING CO LTD", "{} MARITIME INC", "{} NAVIGATION S.A.", "{} TANKERS LLC",
    "{} SHIPPING LIMITED", "{} MARINE CORP", "{} OCEAN LINES LTD", "{} SHIPMANAGEMENT LLC",
    "{} TRADING FZE", "NAVIERA {} S.A.", "{} DENIZCILIK A.S.", "OOO {}",
)  # fmt: skip
# Accented owner names exercise the Windows-1252 decoding, as the real files' do.
ACCENTED = (
    "NAVIERA ÁGUILA S.A.",
    "ÖZ DENIZCILIK LTD",
    "SOCIÉTÉ MARITIME DU LEVANT",
    "TRANSPORTES ÑANDÚ",
)
DPRK_REMARK = (
    "Secondary sanctions risk: North Korea Sanctions Regulations, sections 510.201 and 510.210; "
    "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions: "
    "North Korea Sanctions Regulations section 510.214"
)
IRAN_REMARK = "Additional Sanctions Information - Subject to Secondary Sanctions"


# --- Check digits and identifiers -----------------------------------------------------------


def imo_with_check_digit(six: int) -> str:
    """Seven digits: `six` and the IMO check digit (weights 7..2 of the first six, mod 10)."""
    digits = f"{six:06d}"
    check = sum(int(d) * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2), strict=True)) % 10
    return f"{digits}{check}"


def _weighted(rng: random.Random, items: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


# --- Names ----------------------------------------------------------------------------------


class ShipNames:
    """Ship-like names in the styles a sanctions list holds, reproducibly from `rng`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def hull_number(self) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.55:
            return str(rng.randint(1, 9))
        if pick < 0.8:
            return str(rng.randint(10, 99))
        if pick < 0.95:
            return rng.choice(ROMAN)
        return f"NO. {rng.randint(1, 20)}"

    def name(self) -> str:
        rng = self.rng
        style = rng.random()
        if style < 0.22:
            words = [rng.choice(ADJECTIVES), rng.choice(NOUNS)]
            if rng.random() < 0.25:
                words.insert(1, rng.choice(PLACES))
            name, numbered = " ".join(words), 0.45
        elif style < 0.38:
            name, numbered = f"{rng.choice(PLACES)} {rng.choice(NOUNS)}", 0.45
        elif style < 0.48:
            person = rng.choice(PEOPLE)
            form = rng.random()
            if form < 0.15:
                name = person
            elif form < 0.55:
                name = f"{rng.choice(TITLES)} {person}"
            elif form < 0.75:
                name = f"{rng.choice(('KAPITAN', 'CAPTAIN', 'AKADEMIK'))} {rng.choice(SURNAMES)}"
            else:
                name = f"{person} {rng.choice((*PEOPLE, *NOUNS))}"
            numbered = 0.4
        elif style < 0.6:
            words = rng.choices(CHINESE, k=rng.choice((2, 2, 3)))
            name, numbered = " ".join(words), 0.6
        elif style < 0.68:
            words = rng.choices(KOREAN, k=rng.choice((2, 3, 3)))
            name, numbered = " ".join(words), 0.4
        elif style < 0.78:
            name = f"{rng.choice(PERSIAN)} {rng.choice((*PERSIAN, *NOUNS))}"
            numbered = 0.4
        elif style < 0.88:
            word = rng.choice(CHINESE) + rng.choice(CHINESE)
            name = f"{rng.choice(FISHING_PREFIXES)} {word} YU {rng.randint(1, 999)}"
            numbered = 0.0
        else:
            name, numbered = rng.choice((*PLACES, *NOUNS, *PEOPLE, *PERSIAN)), 0.85
        if rng.random() < numbered:
            name = f"{name} {self.hull_number()}"
        return name

    def call_sign(self, flag: Flag) -> str:
        rng = self.rng
        tail = "".join(
            rng.choice(string.ascii_uppercase + string.digits) for _ in range(rng.randint(2, 5))
        )
        return rng.choice(flag.call_prefixes) + tail

    def owner(self) -> str:
        rng = self.rng
        if rng.random() < 0.02:
            return rng.choice(ACCENTED)
        word = rng.choice(OWNER_WORDS)
        if rng.random() < 0.7:
            word = f"{word} {rng.choice(OWNER_WORDS)}"
        return rng.choice(OWNER_FORMS).format(word)


# --- The list -------------------------------------------------------------------------------


@dataclass
class GeneratedVessel:
    ent_num: int
    name: str
    program: str
    flag: Flag
    imo: str | None
    imo_bare: bool  # written "Vessel Registration Identification 1234567", no "IMO"
    mmsi: str | None
    call_sign: str | None
    vessel_type: str | None
    tonnage: int | None
    grt: int | None
    build_year: int | None
    owner: tuple[int, str] | None  # (ent_num, name) of the linked owner entity
    owner_in_column: bool  # Vess_owner cell rather than a "Linked To:" clause
    alt_names: list[tuple[str, str]] = field(default_factory=list)  # (aka|fka, name): alt.csv
    remark_names: list[tuple[str, str]] = field(default_factory=list)  # in Remarks
    former_flags: list[str] = field(default_factory=list)
    other_flags: list[str] = field(default_factory=list)
    other_call_sign: str | None = None

    def remarks(self) -> str:
        clauses: list[str] = []
        if self.program.startswith("DPRK"):
            clauses.append(DPRK_REMARK)
        for number, flag in enumerate(self.former_flags):
            clauses.append(f"{'alt. ' if number else ''}Former Vessel Flag {flag}")
        for number, flag in enumerate(self.other_flags):
            clauses.append(f"{'alt. ' if number else ''}Other Vessel Flag {flag}")
        if self.other_call_sign:
            clauses.append(f"Other Vessel Call Sign {self.other_call_sign}")
        if self.program.startswith("IRAN"):
            clauses.append(IRAN_REMARK)
        if self.build_year:
            clauses.append(f"Vessel Year of Build {self.build_year}")
        if self.imo:
            prefix = "" if self.imo_bare else "IMO "
            clauses.append(f"Vessel Registration Identification {prefix}{self.imo}")
        if self.mmsi:
            clauses.append(f"MMSI {self.mmsi}")
        clauses += [f"{kind[0]}.k.a. '{name}'" for kind, name in self.remark_names]
        if self.owner and not self.owner_in_column:
            clauses.append(f"Linked To: {self.owner[1]}")
        return "; ".join(clauses) + "." if clauses else ""


def generate_vessels(count: int, seed: int) -> tuple[list[GeneratedVessel], list[tuple[int, str]]]:
    """`count` vessels and the owner entities they link to, (ent_num, name)."""
    rng = random.Random(seed)
    names = ShipNames(rng)
    # Unique valid IMO numbers in the range ships are numbered in (5xxxxxx to 9xxxxxx).
    imo_bodies = rng.sample(range(500_000, 1_000_000), count)
    owners: list[tuple[int, str]] = []
    owner_names: set[str] = set()
    # Owners take the ent_nums after the vessels'; fewer owners than ships, as on the list.
    next_owner = 10_000 + count
    for _ in range(max(1, count // 6)):
        owner = names.owner()
        if owner not in owner_names:
            owner_names.add(owner)
            owners.append((next_owner, owner))
            next_owner += 1
    flag_weights = [(f, f.weight) for f in FLAGS]
    mmsis: set[str] = set()
    vessels: list[GeneratedVessel] = []
    for number in range(count):
        flag: Flag = _weighted(rng, flag_weights)
        program: str = _weighted(rng, PROGRAMS)
        vessel_type: str | None = _weighted(rng, VESSEL_TYPES)
        imo = imo_with_check_digit(imo_bodies[number]) if rng.random() < 0.95 else None
        mmsi = None
        if rng.random() < 0.35:
            while mmsi is None or mmsi in mmsis:
                mmsi = f"{rng.choice(flag.mids)}{rng.randrange(1_000_000):06d}"
            mmsis.add(mmsi)
        tonnage = rng.randint(300, 320_000) if rng.random() < 0.3 else None
        vessel = GeneratedVessel(
            ent_num=10_000 + number,
            name=names.name(),
            program=program,
            flag=flag,
            imo=imo,
            imo_bare=imo is not None and rng.random() < 0.03,
            mmsi=mmsi,
            call_sign=names.call_sign(flag) if rng.random() < 0.4 else None,
            vessel_type=vessel_type,
            tonnage=tonnage,
            grt=int(tonnage * rng.uniform(0.5, 0.6)) if tonnage else None,
            build_year=rng.randint(1975, 2022) if rng.random() < 0.2 else None,
            owner=rng.choice(owners) if rng.random() < 0.6 else None,
            owner_in_column=rng.random() < 0.15,
        )
        # Former names: a fifth of the ships, some with a long history.
        long_history = number % 97 == 0  # enough to overflow the Remarks cell
        if rng.random() < 0.2 or long_history:
            former = 30 if long_history else rng.choice((1, 1, 1, 2, 2, 3))
            for _ in range(former):
                in_alt = not long_history and rng.random() < 0.7
                (vessel.alt_names if in_alt else vessel.remark_names).append(("fka", names.name()))
        # Aliases: another name, or the same with its hull number written otherwise.
        if rng.random() < 0.1:
            alias = (rng.random() < 0.3 and _respelled_hull(vessel.name)) or names.name()
            where = vessel.alt_names if rng.random() < 0.8 else vessel.remark_names
            where.append(("aka", alias))
        if rng.random() < 0.15 or long_history:
            others = [f.name for f in FLAGS if f is not flag]
            vessel.former_flags = rng.sample(others, 8 if long_history else rng.randint(1, 3))
        if rng.random() < 0.03:
            vessel.other_flags = [rng.choice([f.name for f in FLAGS if f is not flag])]
            vessel.other_call_sign = names.call_sign(flag)
        vessels.append(vessel)
    if count:
        # The owner of the first ship always exists, so every list has linked entities.
        vessels[0].owner, vessels[0].owner_in_column = owners[0], False
    return vessels, owners


def _respelled_hull(name: str) -> str | None:
    """The same name with a final hull number in the other notation (7 <-> VII), if it has one
    that both notations can write."""
    head, _, last = name.rpartition(" ")
    if head and last.isdigit() and 1 <= int(last) <= len(ROMAN):
        return f"{head} {ROMAN[int(last) - 1]}"
    if head and last in ROMAN:
        return f"{head} {ROMAN.index(last) + 1}"
    return None


def _cell(value: str | int | None) -> str:
    """One cell as OFAC writes it: `-0- ` when empty, numbers bare, text quoted."""
    if value is None or value == "":
        return "-0- "
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace('"', '""') + '"'


def _row(*cells: str | int | None) -> str:
    return ",".join(_cell(c) for c in cells) + "\r\n"


def _write_cp1252(path: Path, rows: Iterable[str]) -> None:
    path.write_bytes(("".join(rows) + "\x1a").encode("cp1252"))


def write_ofac_files(
    folder: Path, vessels: list[GeneratedVessel], owners: list[tuple[int, str]]
) -> None:
    """sdn.csv, alt.csv, add.csv and sdn_comments.csv in OFAC's classic layout."""
    folder.mkdir(parents=True, exist_ok=True)
    sdn: list[str] = []
    alt: list[str] = []
    add: list[str] = []
    comments: list[str] = []
    alt_num = 500_000
    add_num = 800_000
    for v in vessels:
        remarks = v.remarks()
        cell, rest = remarks[:REMARKS_CELL], remarks[REMARKS_CELL:]
        sdn.append(
            _row(
                v.ent_num,
                v.name,
                "vessel",
                v.program,
                None,
                v.call_sign,
                v.vessel_type,
                f"{v.tonnage:,}" if v.tonnage else None,
                f"{v.grt:,}" if v.grt else None,
                v.flag.name,
                v.owner[1] if v.owner and v.owner_in_column else None,
                cell or None,
            )
        )
        if rest:
            comments.append(_row(v.ent_num, rest))
        for kind, name in v.alt_names:
            alt.append(_row(v.ent_num, alt_num, kind, name, None))
            alt_num += 1
        add.append(_row(v.ent_num, add_num, None, None, None, None))
        add_num += 1
    for ent_num, name in owners:
        no_vessel_cells = (None,) * 7  # Title .. Vess_owner: an entity has none of them
        sdn.append(_row(ent_num, name, None, "RUSSIA-EO14024", *no_vessel_cells, IRAN_REMARK + "."))
        add.append(_row(ent_num, add_num, None, None, None, None))
        add_num += 1
    _write_cp1252(folder / "sdn.csv", sdn)
    _write_cp1252(folder / "alt.csv", alt)
    _write_cp1252(folder / "add.csv", add)
    _write_cp1252(folder / "sdn_comments.csv", comments)


def write_port_calls(
    path: Path, vessels: list[GeneratedVessel], seed: int, calls_per_vessel: float
) -> int:
    """A few calls for each vessel that has an IMO or MMSI; the number of calls written."""
    rng = random.Random(seed + 1)
    table = load_bundled_ports()
    policy = load_risk_policy(ports=table)
    risky = [
        p
        for p in table
        if p.country in policy.countries
        or p.locode in policy.region_ports
        or p.locode in policy.ports
    ]
    others = [p for p in table if p not in risky]
    start = CALLS_END - timedelta(days=CALLS_SPAN_DAYS)
    most = max(1, round(2 * calls_per_vessel - 1))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CALL_FIELDS)
    written = 0
    for v in vessels:
        if not v.imo and not v.mmsi:
            continue
        for _ in range(rng.randint(1, most)):
            port = rng.choice(risky if rng.random() < 0.1 else others)
            # A port may be written as its LOCODE, spaced, or by name: feeds differ.
            port_text = rng.choice((port.locode, f"{port.locode[:2]} {port.locode[2:]}", port.name))
            arrived = start + timedelta(minutes=rng.randrange(CALLS_SPAN_DAYS * 24 * 60))
            departed = (
                "" if rng.random() < 0.1 else _iso(arrived + timedelta(hours=rng.randrange(6, 240)))
            )
            by_mmsi_only = v.mmsi is not None and (v.imo is None or rng.random() < 0.1)
            writer.writerow(
                (
                    "" if by_mmsi_only else v.imo,
                    v.mmsi or "",
                    port_text,
                    _iso(arrived),
                    departed,
                    "AIS: generated by benchmarks/generate.py",
                    "",
                    rng.choice(("", "0.9", "1")),
                )
            )
            written += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), encoding="utf-8")
    return written


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class GeneratedList:
    lists_dir: Path  # LISTS_DIR: a manifest and the OFAC files
    port_calls_dir: Path  # PORT_CALLS_DIR
    vessels: int
    owners: int
    calls: int
    companies: int = 0  # owner and manager companies of the list of its own (--owners)


def write_list(
    out: Path, count: int, seed: int = 1, calls_per_vessel: float = 2.5, companies: int = 0
) -> GeneratedList:
    """A generated list of `count` vessels under `out`: `lists/` (LISTS_DIR, with a manifest
    that says it is generated) and `calls/` (PORT_CALLS_DIR); with `companies`, a second list of
    that many owner and manager companies (`write_owner_companies`) in `lists/owners/`."""
    vessels, owners = generate_vessels(count, seed)
    lists_dir = out / "lists"
    write_ofac_files(lists_dir / LIST_FOLDER, vessels, owners)
    manifest = {
        "lists": [
            {
                "id": f"generated-{count}",
                "path": LIST_FOLDER,
                "format": "ofac-csv",
                "title": f"GENERATED benchmark list of {count:,} vessels (seed {seed}), "
                "not a sanctions list",
                "source": f"benchmarks/generate.py --vessels {count} --seed {seed}",
            }
        ]
    }
    if companies:
        write_owner_companies(lists_dir / OWNERS_FOLDER / OWNERS_FILE, companies, seed)
        manifest["lists"].append(
            {
                "id": f"generated-owners-{companies}",
                "path": OWNERS_FOLDER,
                "format": "ftm",
                "title": f"GENERATED benchmark list of {companies:,} owner and manager "
                f"companies (seed {seed}), not a sanctions list",
                "source": f"benchmarks/generate.py --owners {companies} --seed {seed}",
            }
        )
    (lists_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    calls_dir = out / CALLS_FOLDER
    calls = write_port_calls(calls_dir / CALLS_FILE, vessels, seed, calls_per_vessel)
    return GeneratedList(lists_dir, calls_dir, len(vessels), len(owners), calls, companies)


# --- Owner and manager companies (--owners) -------------------------------------------------

OWNERS_FOLDER = "owners"  # the companies' list folder inside the LISTS_DIR written
OWNERS_FILE = "companies.ftm.json"
# What a company of the maritime trade calls itself, besides its place or founder's name.
TRADE_WORDS = (
    "SHIPPING", "MARITIME", "NAVIGATION", "MARINE", "TANKERS", "BULK", "CARRIERS", "OFFSHORE",
    "SHIPMANAGEMENT", "SHIP MANAGEMENT", "CHARTERING", "FREIGHT", "LOGISTICS", "TRADING",
    "ENERGY", "PETROLEUM", "OIL", "GAS", "PETROCHEMICALS", "INVESTMENTS", "HOLDING", "HOLDINGS",
    "GROUP", "RESOURCES", "INDUSTRIAL", "COMMERCIAL", "OCEAN LINES", "SEAWAYS", "TRANSPORT",
    "SHIPHOLDING", "SHIPOWNING", "MARINE SERVICES", "AGENCY", "VENTURES", "ENTERPRISES",
    "INTERNATIONAL", "OVERSEAS", "GLOBAL", "CAPITAL", "TECHNICAL MANAGEMENT", "CREW MANAGEMENT",
)  # fmt: skip
# Legal forms as registries write them: after the name, or (OOO, NAVIERA) before it.
LEGAL_SUFFIXES = (
    ("LTD", 14), ("LIMITED", 8), ("CO LTD", 8), ("CO., LTD.", 6), ("LLC", 10), ("INC", 6),
    ("CORP", 4), ("CORPORATION", 2), ("S.A.", 6), ("SA", 2), ("S.A. DE C.V.", 1), ("GMBH", 2),
    ("GMBH & CO. KG", 1), ("A.S.", 2), ("PTE LTD", 3), ("PTE. LTD.", 2), ("SDN BHD", 2),
    ("B.V.", 2), ("N.V.", 1), ("S.R.L.", 1), ("S.P.A.", 1), ("AB", 1), ("AS", 1), ("OY", 1),
    ("FZE", 3), ("FZCO", 2), ("FZ-LLC", 1), ("DMCC", 2), ("JSC", 2), ("PJSC", 1), ("SARL", 1),
    ("LDA", 1), ("KFT", 1), ("SP. Z O.O.", 1), ("PLC", 1), ("LLP", 1), ("", 3),
)  # fmt: skip
LEGAL_PREFIXES = ("OOO", "AO", "ZAO", "OAO", "PAO", "TOO", "NAVIERA", "COMPANIA NAVIERA")
# Syllables of made-up trading names (a register of a million companies is mostly names that
# are nobody's word): two or three of them make a word.
SYLLABLES = (
    "AL", "AR", "BA", "BEL", "BOR", "CA", "DA", "DEL", "DOR", "EL", "EN", "FA", "GAL", "GO",
    "HA", "IN", "IS", "KA", "KOR", "LA", "LEN", "LI", "MA", "MAR", "MER", "MI", "NA", "NOR",
    "NO", "OR", "PA", "PER", "RA", "RI", "RO", "SA", "SE", "SOL", "TA", "TER", "TI", "TRA",
    "TO", "VA", "VEN", "VI", "XA", "ZA", "ZEN", "ZO", "KHAN", "STAN", "TEX", "TRON", "VEST",
)  # fmt: skip
# Non-Latin names, as a list of a million companies from every registry holds them.
CYRILLIC_FORMS = ("ООО «{}»", "АО «{}»", "ПАО «{}»", "{} ЛИМИТЕД")
CHINESE_WORDS = (
    "海", "星", "华", "洋", "东", "方", "金", "龙", "顺", "达", "富", "康", "明", "泰", "远",
    "祥", "恒", "通", "盛", "昌", "安", "平", "瑞", "兴", "丰", "光", "宏", "嘉", "庆", "伟",
)  # fmt: skip
CHINESE_FORMS = ("{}航运有限公司", "{}海运有限公司", "{}船务有限公司", "{}国际物流有限公司")
ARABIC_WORDS = (
    "البحر", "النور", "الخليج", "السلام", "الأمل", "الشرق", "المنار", "الصفا", "الرحمة", "البركة",
)  # fmt: skip
ARABIC_FORMS = ("شركة {} للملاحة", "شركة {} للشحن البحري", "{} للنقل البحري ذ.م.م")


class CompanyNames:
    """Owner and manager companies' names in the styles of a large entity set, from `rng`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = (*NOUNS, *PLACES, *PERSIAN, *SURNAMES, *CHINESE, *KOREAN, *ADJECTIVES)

    def word(self) -> str:
        rng = self.rng
        if rng.random() < 0.55:
            return "".join(rng.choices(SYLLABLES, k=rng.choice((2, 2, 3))))
        return rng.choice(self.words)

    def core(self) -> str:
        rng = self.rng
        words = [self.word() for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))]
        if rng.random() < 0.7:
            words.append(rng.choice(TRADE_WORDS))
        return " ".join(words)

    def name(self) -> str:
        """A Latin-script name with its legal form; one in twelve in another script."""
        rng = self.rng
        pick = rng.random()
        if pick < 0.04:
            core = "".join(CYRILLIC.get(c, c) for c in self.core())
            return rng.choice(CYRILLIC_FORMS).format(core)
        if pick < 0.065:
            word = "".join(rng.choices(CHINESE_WORDS, k=rng.choice((2, 2, 3))))
            return rng.choice(CHINESE_FORMS).format(word)
        if pick < 0.08:
            return rng.choice(ARABIC_FORMS).format(rng.choice(ARABIC_WORDS) + " " + self.word())
        core = self.core()
        if rng.random() < 0.08:
            return f"{rng.choice(LEGAL_PREFIXES)} {core}"
        if rng.random() < 0.02:
            core = rng.choice(ACCENTED).split(" ", 1)[0] + " " + core
        suffix = _weighted(rng, LEGAL_SUFFIXES)
        return f"{core} {suffix}".strip()


def write_owner_companies(path: Path, count: int, seed: int) -> int:
    """`count` listed companies as FollowTheMoney JSON lines (OpenSanctions' export format:
    UTF-8, so names in other scripts too), each a registered owner or a ship manager, some with
    aliases and an IMO company number; the number of companies written."""
    rng = random.Random(seed + 2)
    names = CompanyNames(rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for n in range(count):
            name = names.name()
            props: dict[str, list[str]] = {"name": [name]}
            if rng.random() < 0.12:
                props["alias"] = [names.name()]
            if rng.random() < 0.05:
                props["previousName"] = [names.name()]
            if rng.random() < 0.3:
                props["imoNumber"] = [str(rng.randint(1_000_000, 9_999_999))]
            role = "registered owner" if rng.random() < 0.6 else "ship manager"
            props["notes"] = [f"Generated {role}: not a sanctioned company"]
            props["program"] = [_weighted(rng, PROGRAMS).split("] [")[0]]
            record = {
                "id": f"gen-co-{n:07d}",
                "schema": "Company" if rng.random() < 0.9 else "Organization",
                "properties": props,
                "target": True,
                "datasets": ["generated"],
            }
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return count


# --- Queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """What a query generator needs of a listed vessel: current name first, then the others."""

    names: tuple[str, ...]
    imo: str | None
    mmsi: str | None
    flag: str | None  # ISO alpha-2


def listed_vessels(lists_dir: Path) -> list[Listed]:
    """The vessels of every list in `lists_dir`, read by the service's own loader."""
    found: list[Listed] = []
    for loaded in load_lists(lists_dir):
        for vessel in loaded.vessels:
            names = tuple(dict.fromkeys(vessel.all_names))
            found.append(
                Listed(names, vessel.imo, vessel.mmsi, vessel.flags[0] if vessel.flags else None)
            )
    return found


# (kind, weight): the share of each kind of query in a mix.
QUERY_KINDS = (
    ("exact", 20),
    ("typo", 15),
    ("script", 10),
    ("imo", 10),
    ("mmsi", 10),
    ("name+imo+flag", 10),
    ("unlisted", 25),
)
Query = tuple[str, dict[str, Any]]  # (kind, POST /v1/screen body)

CYRILLIC = {
    "A": "А", "B": "Б", "C": "К", "D": "Д", "E": "Е", "F": "Ф", "G": "Г", "H": "Х", "I": "И",
    "J": "Дж", "K": "К", "L": "Л", "M": "М", "N": "Н", "O": "О", "P": "П", "Q": "К", "R": "Р",
    "S": "С", "T": "Т", "U": "У", "V": "В", "W": "В", "X": "Кс", "Y": "Й", "Z": "З",
}  # fmt: skip
# Spellings transliterations disagree on (the matcher folds them: MARIYA = MARIA).
RESPELLINGS = (
    ("IA", "IYA"), ("I", "Y"), ("K", "C"), ("V", "W"), ("KH", "H"), ("OU", "U"), ("EI", "EY"),
    ("Y", "I"), ("C", "K"), ("S", "SS"),
)  # fmt: skip


def _key(name: str) -> str:
    return "".join(c for c in name.upper() if c.isalnum())


def _typo(rng: random.Random, name: str) -> str:
    """One or two edits at letters (never at a hull number: that would be another ship)."""
    chars = list(name)
    edits = 2 if len(name) >= 12 and rng.random() < 0.25 else 1
    for _ in range(edits):
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        if len(letters) < 4:
            break
        i = rng.choice(letters)
        kind = rng.random()
        if kind < 0.35:
            chars[i] = rng.choice("ABCDEFGHIKLMNOPRSTUVWY")
        elif kind < 0.6:
            del chars[i]
        elif kind < 0.85:
            chars.insert(i, rng.choice("AEIOURNST"))
        elif i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def _other_script(rng: random.Random, name: str) -> str:
    """Cyrillic most of the time; else a Latin respelling the transliterations produce."""
    if rng.random() < 0.7:
        return "".join(CYRILLIC.get(c, c) for c in name.upper())
    options = [(a, b) for a, b in RESPELLINGS if a in name.upper()]
    if not options:
        return name.title()
    a, b = rng.choice(options)
    return name.upper().replace(a, b, 1)


def _styled(rng: random.Random, name: str) -> str:
    """How callers write a name they have right: case and a hull prefix vary."""
    pick = rng.random()
    if pick < 0.15:
        name = name.lower()
    elif pick < 0.25:
        name = name.title()
    return rng.choice(HULL_PREFIXES) + name


def make_queries(listed: Sequence[Listed], count: int, seed: int) -> list[Query]:
    """`count` POST /v1/screen bodies against `listed`, the kinds in QUERY_KINDS' shares, in a
    seeded random order."""
    if not listed:
        raise ValueError("no listed vessels to query against")
    rng = random.Random(seed)
    names = ShipNames(random.Random(seed + 7))
    with_imo = [v for v in listed if v.imo]
    with_mmsi = [v for v in listed if v.mmsi]
    listed_keys = {_key(n) for v in listed for n in v.names}
    listed_imos = {v.imo for v in with_imo}
    total = sum(w for _, w in QUERY_KINDS)
    kinds = [k for k, w in QUERY_KINDS for _ in range(round(count * w / total))]
    kinds = (kinds + ["unlisted"] * count)[:count]
    rng.shuffle(kinds)

    def unlisted_name() -> str:
        while True:
            name = names.name()
            if _key(name) not in listed_keys:
                return name

    def unlisted_imo() -> str:
        while True:
            imo = imo_with_check_digit(rng.randrange(500_000, 1_000_000))
            if imo not in listed_imos:
                return imo

    queries: list[Query] = []
    for kind in kinds:
        vessel = rng.choice(listed)
        body: dict[str, Any]
        if (kind == "imo" and not with_imo) or (kind == "mmsi" and not with_mmsi):
            kind = "exact"
        if kind == "exact":
            name = vessel.names[0] if rng.random() < 0.8 else rng.choice(vessel.names)
            body = {"name": _styled(rng, name)}
        elif kind == "typo":
            body = {"name": _typo(rng, rng.choice(vessel.names))}
        elif kind == "script":
            body = {"name": _other_script(rng, vessel.names[0])}
        elif kind == "imo":
            imo = rng.choice(with_imo).imo if rng.random() < 0.85 else unlisted_imo()
            form = rng.random()
            # JSON numbers too, as spreadsheets export them (a leading zero would be lost).
            as_int = form >= 0.8 and not str(imo).startswith("0")
            body = {"imo": int(str(imo)) if as_int else f"IMO {imo}" if form < 0.5 else imo}
        elif kind == "mmsi":
            if rng.random() < 0.85:
                mmsi = rng.choice(with_mmsi).mmsi
            else:
                mid = rng.choice(rng.choice(FLAGS).mids)
                mmsi = f"{mid}{rng.randrange(1_000_000):06d}"
            as_int = rng.random() < 0.3 and not str(mmsi).startswith("0")
            body = {"mmsi": int(str(mmsi)) if as_int else mmsi}
        elif kind == "name+imo+flag":
            body = {"name": vessel.names[0]}
            if vessel.imo:
                body["imo"] = vessel.imo
            elif vessel.mmsi:
                body["mmsi"] = vessel.mmsi
            code = vessel.flag or rng.choice(FLAGS).code
            if rng.random() < 0.1:  # flag hopping: the caller has another flag
                code = rng.choice(FLAGS).code
            body["flag"] = code if rng.random() < 0.6 else flag_name(code)
        else:
            body = {"name": _styled(rng, unlisted_name())}
            if rng.random() < 0.3:
                body["flag"] = rng.choice(FLAGS).code
            if rng.random() < 0.1:
                body["imo"] = unlisted_imo()
        queries.append((kind, body))
    return queries


def _body(value: dict[str, Any]) -> bytes:
    # UTF-8 on the wire, as callers send other scripts, not \\u escapes.
    return json.dumps(value, ensure_ascii=False).encode()


def write_csv_rows(path: Path, queries: Sequence[Query]) -> None:
    """The queries as a CSV file for POST /v1/screen/csv: one row each, a reference column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("Vessel Name", "IMO number", "MMSI", "Flag", "Reference"))
    for number, (_, body) in enumerate(queries, 1):
        writer.writerow(
            (
                body.get("name", ""),
                body.get("imo", ""),
                body.get("mmsi", ""),
                body.get("flag", ""),
                f"row-{number}",
            )
        )
    path.write_text(out.getvalue(), encoding="utf-8")


@dataclass(frozen=True)
class QueryFiles:
    screen_lua: Path  # wrk script: POST /v1/screen, one body per query
    screen_jsonl: Path  # the same queries with their kinds, one JSON object a line
    batch_lua: Path  # wrk script: POST /v1/screen/batch, BATCH_SIZE queries a body
    rows_csv: Path  # POST /v1/screen/csv body
    rows: int


def write_queries(
    out: Path,
    listed: Sequence[Listed],
    seed: int = 1,
    screens: int = 20_000,
    csv_rows: int = 100_000,
    batches: int = 4,
) -> QueryFiles:
    """The query files for one list under `out`; each set from a seed of its own."""
    out.mkdir(parents=True, exist_ok=True)
    singles = make_queries(listed, screens, seed)
    files = QueryFiles(
        out / "screen.lua", out / "screen.jsonl", out / "batch.lua", out / "rows.csv", csv_rows
    )
    requests: list[WrkRequest] = [("POST", "/v1/screen", _body(b)) for _, b in singles]
    write_wrk_script(requests, files.screen_lua)
    files.screen_jsonl.write_text(
        "".join(json.dumps({"kind": k, "body": b}, ensure_ascii=False) + "\n" for k, b in singles),
        encoding="utf-8",
    )
    grouped = make_queries(listed, batches * BATCH_SIZE, seed + 1)
    batch_requests: list[WrkRequest] = [
        (
            "POST",
            "/v1/screen/batch",
            _body({"queries": [b for _, b in grouped[i : i + BATCH_SIZE]]}),
        )
        for i in range(0, len(grouped), BATCH_SIZE)
    ]
    write_wrk_script(batch_requests, files.batch_lua)
    write_csv_rows(files.rows_csv, make_queries(listed, csv_rows, seed + 2))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--vessels", type=int, help="generate a list of this many vessels")
    source.add_argument("--lists", type=Path, help="write queries for this LISTS_DIR only")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls-per-vessel", type=float, default=2.5, help="mean port calls")
    parser.add_argument("--screens", type=int, default=20_000, help="distinct screen bodies")
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument(
        "--owners", type=int, default=0, help="add a list of this many owner/manager companies"
    )
    args = parser.parse_args(argv)
    lists_dir = args.lists
    if args.vessels is not None:
        made = write_list(args.out, args.vessels, args.seed, args.calls_per_vessel, args.owners)
        lists_dir = made.lists_dir
        print(
            f"LISTS_DIR={made.lists_dir} PORT_CALLS_DIR={made.port_calls_dir}: "
            f"{made.vessels:,} vessels, {made.owners:,} owners, {made.calls:,} port calls, "
            f"{made.companies:,} listed owner and manager companies"
        )
    files = write_queries(
        args.out / "queries", listed_vessels(lists_dir), args.seed, args.screens, args.csv_rows
    )
    print(f"queries: {files.screen_lua}, {files.batch_lua}, {files.rows_csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
