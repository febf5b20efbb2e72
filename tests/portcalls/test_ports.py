"""The port reference: LOCODE forms, name resolution, the three file formats and the real files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import shared_path

from service.portcalls.port_files import (
    parse_unlocode_coordinates,
    read_ports_csv,
    read_unlocode_csv,
)
from service.portcalls.port_names import Port, name_key, normalize_locode
from service.portcalls.ports import BUNDLED_PORTS_CSV, PortTable, load_bundled_ports, load_ports


@pytest.fixture(scope="module")
def bundled() -> PortTable:
    return load_bundled_ports()


@pytest.fixture(scope="module")
def real() -> PortTable:
    """The official files only, without the bundled table."""
    return load_ports(shared_path("ports", "unlocode"), shared_path("ports", "wpi"), bundled=False)


@pytest.fixture(scope="module")
def real_and_bundled() -> PortTable:
    return load_ports(shared_path("ports", "unlocode"), shared_path("ports", "wpi"))


@pytest.mark.parametrize("text", ["KPRJN", "KP RJN", "kp-rjn", " kp rjn ", "Kp.Rjn", "KP/RJN"])
def test_locode_forms(text: str) -> None:
    assert normalize_locode(text) == "KPRJN"


@pytest.mark.parametrize("text", ["", "KP", "KPRJ", "KP RJNX", "K1RJN", "Rajin (Najin)"])
def test_not_a_locode(text: str) -> None:
    assert normalize_locode(text) is None


def test_name_key_drops_case_accents_and_punctuation() -> None:
    assert name_key("Wŏnsan") == name_key("WONSAN") == "wonsan"
    assert name_key("Taman'") == "taman"
    assert name_key("Ust'-Luga") == name_key("Ust Luga") == "ust luga"


@pytest.mark.parametrize(
    "text",
    ["Rajin", "Najin", "Rashin", "Rason", "Rajin (Rason)", "RAJIN", "rason", "KP RJN", "kp-rjn"],
)
def test_rajin_resolves_from_every_name(bundled: PortTable, text: str) -> None:
    port = bundled.resolve(text)
    assert port is not None and port.locode == "KPRJN"


@pytest.mark.parametrize(
    ("text", "locode"),
    [
        ("Vostochny", "RUVYP"),
        ("Vostochnyy", "RUVYP"),
        ("Vostochnyy Port", "RUVYP"),
        ("Port Vostochny", "RUVYP"),
        ("Feodosiya", "UAFEO"),
        ("Feodosiia", "UAFEO"),
        ("Yevpatoriya", "UAZKA"),
        ("Berdiansk", "UAERD"),
        ("Sevastopol'", "UASVP"),
        ("ust-luga", "RUULU"),
        ("Taman", "RUTAM"),
        ("Wŏnsan", "KPWON"),
        ("Dunay", "RU0DU"),
        ("Port of Rotterdam", "NLRTM"),
        ("Kozmino Oil Terminal", "RUKZM"),
    ],
)
def test_names_and_spellings(bundled: PortTable, text: str, locode: str) -> None:
    port = bundled.resolve(text)
    assert port is not None and port.locode == locode


def test_unknown_name(bundled: PortTable) -> None:
    assert bundled.resolve("Atlantis") is None
    assert bundled.resolve("") is None
    assert bundled.candidates("Atlantis") == ()


def test_a_name_shared_by_two_countries_needs_a_hint() -> None:
    table = PortTable(
        [
            Port("SCVIC", "Victoria", country="SC"),
            Port("CAVIC", "Victoria", country="CA"),
            Port("MTXYZ", "Valletta", ("Victoria",), country="MT"),
        ]
    )
    assert table.resolve("Victoria") is None
    assert {p.locode for p in table.candidates("Victoria")} >= {"SCVIC", "CAVIC"}
    seychelles = table.resolve("Victoria", country="SC")
    assert seychelles is not None and seychelles.locode == "SCVIC"
    canada = table.resolve("victoria", country="Canada")
    assert canada is not None and canada.locode == "CAVIC"
    # A LOCODE is never ambiguous.
    assert table.resolve("CA VIC") == canada


def test_within_one_country_the_main_name_wins() -> None:
    table = PortTable(
        [
            Port("SYALD", "Al Ladhiqiyah", ("Latakia",), country="SY"),
            Port("SYLTK", "Latakia", country="SY"),
        ]
    )
    port = table.resolve("Latakia")
    assert port is not None and port.locode == "SYLTK"


def test_title_case_five_letter_names_are_names_first() -> None:
    table = PortTable(
        [Port("KPNAM", "Nampo", country="KP"), Port("NAMPO", "Elsewhere", country="NA")]
    )
    assert table.resolve("Nampo").locode == "KPNAM"  # type: ignore[union-attr]
    assert table.resolve("NA MPO").locode == "NAMPO"  # type: ignore[union-attr]


def test_coordinates() -> None:
    assert parse_unlocode_coordinates("4213N 13017E") == (42.2167, 130.2833)
    assert parse_unlocode_coordinates("3355S 01825W") == (-33.9167, -18.4167)
    assert parse_unlocode_coordinates("5484N 00636W") is None  # 84 minutes
    assert parse_unlocode_coordinates("") is None


# --- Loaders on small files written here --------------------------------------------------------

UNLOCODE_ROWS = [
    ',"KP",,".KOREA, DEMOCRATIC PEOPLE\'S REPUBLIC OF",,,,,,,,',
    ',"KP","RJN","Rajin (Najin)","Rajin (Najin)","13","123-----","AA","1901",,"4213N 13017E",',
    ',"KP","FNJ","Pyongyang","Pyongyang",,"---45---","AI","9601",,,',
    ',"UA","SVP","Sevastopol","Sevastopol","40","0-------","AA","2001",,"4437N 03331E",""',
    ',"UA","MPW","Mariupol","Mariupol","14","1--4----","AA","2001",,"4703N 03730E",""',
    '"=","UA","","Zhdanov = Mariupol","Zhdanov = Mariupol","",,"",,"","",""',
    ',"GR","LEV","Lefkáda (Lefkás)","Lefkada (Lefkas)","","1-------","AI","0212","",'
    '"3850N 02042E",""',
]

WPI_HEADER = (
    "World Port Index Number,Region Name,Main Port Name,Alternate Port Name,UN/LOCODE,"
    "Country Code,Latitude,Longitude"
)
WPI_ROWS = [
    "60510,North Korea,Najin,Rashin,KP RJN,North Korea,42.233333,130.3",
    "1,Ukraine,Sevastopol,Syevastopol,UA SVP,Ukraine,44.616667,33.533333",
    "2,Ukraine,Somewhere Far,Wrong Name,UA SVP,Ukraine,50.0,20.0",
    "3,Ukraine,Balaklava, , ,Ukraine,44.5,33.6",
]


def _write_official(folder: Path) -> None:
    part = folder / "2024-2_UNLOCODE_CodeListPart2.csv"
    part.write_bytes(("\r\n".join(UNLOCODE_ROWS) + "\r\n").encode("latin-1"))
    (folder / "UpdatedPub150.csv").write_text("\n".join([WPI_HEADER, *WPI_ROWS]) + "\n")


def test_unlocode_reader_keeps_seaports_and_reference_names(tmp_path: Path) -> None:
    _write_official(tmp_path)
    data = read_unlocode_csv([tmp_path / "2024-2_UNLOCODE_CodeListPart2.csv"])
    assert set(data.seaports) == {"KPRJN", "UAMPW", "GRLEV"}
    assert {"KPFNJ", "UASVP"} <= set(data.others)  # airport; "function not known"
    assert data.seaports["KPRJN"].subdivision == "13"
    assert data.seaports["KPRJN"].lat == pytest.approx(42.2167)
    assert data.seaports["GRLEV"].name == "Lefkáda (Lefkás)"  # Latin-1 decoded
    assert ("UA", "Zhdanov", "Mariupol") in data.references


def test_load_ports_merges_official_files(tmp_path: Path) -> None:
    _write_official(tmp_path)
    table = load_ports(tmp_path, bundled=False)
    rajin = table.get("KP RJN")
    assert rajin is not None
    assert rajin.name == "Rajin (Najin)"
    assert {"Najin", "Rashin"} <= set(rajin.alternate_names)
    assert rajin.lat == pytest.approx(42.233333)  # WPI's finer position wins
    assert rajin.sources == ("unlocode", "wpi")
    for name in ("Najin", "Rashin", "Rajin", "Rajin (Najin)"):
        assert table.resolve(name) == rajin
    # Not a seaport in UN/LOCODE, but a port in the WPI: kept, with the official name.
    sevastopol = table.get("UASVP")
    assert sevastopol is not None and sevastopol.subdivision == "40"
    # Of two WPI rows claiming UA SVP, the one far away is not merged.
    assert "Wrong Name" not in sevastopol.alternate_names
    assert table.resolve("Wrong Name") is None
    assert table.get("KPFNJ") is None
    assert table.resolve("Zhdanov") == table.get("UAMPW")
    assert table.resolve("Lefkada") == table.get("GRLEV")
    assert table.resolve("Lefkas") == table.get("GRLEV")


def test_load_ports_recognises_files_by_shape(tmp_path: Path) -> None:
    _write_official(tmp_path)
    (tmp_path / "2024-2_UNLOCODE_CodeListPart2.csv").rename(tmp_path / "codes-a.csv")
    (tmp_path / "UpdatedPub150.csv").rename(tmp_path / "wpi-latest.csv")
    (tmp_path / "mine.csv").write_text("locode,name,alternate_names\nKPRJN,Rajin,Rason\n")
    (tmp_path / "other.csv").write_text("a;b;c\n1;2;3\n")
    table = load_ports(tmp_path, bundled=False)
    assert table.resolve("Rason") == table.get("KPRJN")
    assert table.get("KPRJN").sources == ("unlocode", "wpi", "project")  # type: ignore[union-attr]


def test_project_csv_rejects_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "ports.csv"
    path.write_text("locode,name,country\nKPRJN,Rajin,KP\nKPCHO,Chongjin,RU\n")
    with pytest.raises(ValueError, match=r"ports.csv:3"):
        read_ports_csv(path)


# --- The bundled table --------------------------------------------------------------------------

BUNDLED_EXPECTED = {
    "KPRJN": "Rajin",
    "KPCHO": "Chongjin",
    "KPNAM": "Nampo",
    "KPWON": "Wonsan",
    "KPHGM": "Hungnam",
    "RUVYP": "Vostochny",
    "RUVVO": "Vladivostok",
    "RUNJK": "Nakhodka",
    "RU0DU": "Dunai",
    "RUKZM": "Kozmino",
    "RUNVS": "Novorossiysk",
    "RUPRI": "Primorsk",
    "RUULU": "Ust-Luga",
    "RUTAM": "Taman",
    "UASVP": "Sevastopol",
    "UAKEH": "Kerch",
    "UAFEO": "Feodosia",
    "UAYAL": "Yalta",
    "UAERD": "Berdyansk",
    "UAMPW": "Mariupol",
    "IRBND": "Bandar Abbas",
    "SYLTK": "Latakia",
    "SYTTS": "Tartus",
    "CUHAV": "Havana",
    "KRPUS": "Busan",
    "NLRTM": "Rotterdam",
    "SGSIN": "Singapore",
}


def test_bundled_table(bundled: PortTable) -> None:
    assert BUNDLED_PORTS_CSV.exists()
    for locode, name in BUNDLED_EXPECTED.items():
        port = bundled.get(locode)
        assert port is not None, locode
        assert port.name == name
        assert port.country == locode[:2]
        assert bundled.resolve(name) == port, name
    rajin = bundled.get("KPRJN")
    assert rajin is not None
    assert (rajin.lat, rajin.lon) == (42.23, 130.30)
    assert {"Najin", "Rashin", "Rason"} <= set(rajin.alternate_names)
    # Every port but the one without a UN/LOCODE position has coordinates.
    assert [p.locode for p in bundled if p.lat is None] == ["RU0DU"]


# --- The real published files -------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("text", ["Najin", "Rashin", "Rajin", "KP RJN", "Rajin (Najin)"])
def test_real_files_resolve_rajin(real: PortTable, text: str) -> None:
    port = real.resolve(text)
    assert port is not None and port.locode == "KPRJN"
    assert port.country == "KP"
    assert port.lat == pytest.approx(42.23, abs=0.01)
    assert port.lon == pytest.approx(130.30, abs=0.02)


@pytest.mark.shared_data
def test_real_files_with_bundled_names(real_and_bundled: PortTable) -> None:
    # "Rason" is in neither official file; the bundled table adds it to the official entry.
    for text in ("Najin", "Rashin", "Rason", "Rajin (Rason)"):
        port = real_and_bundled.resolve(text)
        assert port is not None and port.locode == "KPRJN", text
    assert {"unlocode", "wpi", "bundled"} <= set(real_and_bundled.get("KPRJN").sources)  # type: ignore[union-attr]
    for text in ("Vostochny", "Vostochnyy"):
        port = real_and_bundled.resolve(text)
        assert port is not None and port.locode == "RUVYP", text


@pytest.mark.shared_data
def test_real_files_keep_only_seaports(real: PortTable) -> None:
    assert len(real) > 10_000
    assert "KPFNJ" not in real  # Pyongyang: airport and post office, no port
    assert "RUNOI" not in real  # Novorossiysk airport entry
    assert "RUNVS" in real
    # WPI ports that UN/LOCODE lists without a port function are kept.
    for code in ("UASVP", "UAKEH", "UAYAL"):
        assert code in real, code
    # WPI gives UA ILK to Chornomorske in Crimea as well; that row is not merged into Odesa's.
    chornomorsk = real.get("UAILK")
    assert chornomorsk is not None
    assert "Akmechet" not in chornomorsk.alternate_names


@pytest.mark.shared_data
def test_real_files_parse_coordinates(real: PortTable) -> None:
    with_position = [p for p in real if p.lat is not None]
    assert len(with_position) > 0.6 * len(real)
    assert all(-90 <= p.lat <= 90 and -180 <= p.lon <= 180 for p in with_position)  # type: ignore[operator]
    vostochny = real.get("RUVYP")
    assert vostochny is not None
    assert vostochny.lat == pytest.approx(42.75, abs=0.02)
    assert vostochny.lon == pytest.approx(133.08, abs=0.02)


@pytest.mark.shared_data
def test_real_coordinate_strings_parse() -> None:
    # The few that fail are wrong in the list: 60 minutes or more, or no hemisphere letter.
    written = failed = 0
    for path in shared_path("ports", "unlocode").glob("*CodeListPart*.csv"):
        with path.open(encoding="latin-1", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) > 10 and row[10].strip():
                    written += 1
                    failed += parse_unlocode_coordinates(row[10]) is None
    assert written > 10_000
    assert failed < 0.01 * written


@pytest.mark.shared_data
def test_real_ambiguous_name_needs_country(real: PortTable) -> None:
    # Rotterdam, NL and Rotterdam, New York are both UN/LOCODE seaports.
    assert real.resolve("Rotterdam") is None
    port = real.resolve("Rotterdam", country="NL")
    assert port is not None and port.locode == "NLRTM"


@pytest.mark.shared_data
def test_load_ports_finds_files_recursively() -> None:
    table = load_ports(shared_path("ports"), bundled=False)
    assert "KPRJN" in table
    assert any(path.endswith("UpdatedPub150.csv") for path in table.loaded_from)
    assert sum("CodeListPart" in path for path in table.loaded_from) == 2
