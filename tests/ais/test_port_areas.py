"""Port areas: circles by harbour size, and the grid lookup checked against measuring every port
for every position."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from service.ais.geo import haversine_km, haversine_nm
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.portcalls.ports import Port, PortTable, load_bundled_ports, read_wpi_csv


def _brute_force(areas: PortAreas, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    d = haversine_km(lat[:, None], lon[:, None], areas.lat[None, :], areas.lon[None, :])
    d = np.where(d <= areas.radius_km[None, :], d, np.inf)
    return np.where(np.isfinite(d.min(axis=1)), d.argmin(axis=1), -1)


def test_radius_follows_harbour_size() -> None:
    params = AisParams()
    ports = [
        Port("AAAAA", "A", lat=10.0, lon=10.0, harbor_size="V"),
        Port("BBBBB", "B", lat=11.0, lon=10.0, harbor_size="S"),
        Port("CCCCC", "C", lat=12.0, lon=10.0, harbor_size="M"),
        Port("DDDDD", "D", lat=13.0, lon=10.0, harbor_size="L"),
        Port("EEEEE", "E", lat=14.0, lon=10.0),
        Port("FFFFF", "F"),  # no coordinates: no area
    ]
    areas = PortAreas.build(PortTable(ports), params)
    assert [p.locode for p in areas.ports] == ["AAAAA", "BBBBB", "CCCCC", "DDDDD", "EEEEE"]
    assert areas.radius_km.tolist() == [3.0, 5.0, 8.0, 12.0, 6.0]
    wide = PortAreas.build(ports, AisParams(port_radius_km_unknown=20.0))
    assert wide.radius_km[-1] == 20.0
    # 6.5 km north of each centre: only the medium and large ports reach that far.
    north = 6.5 / 111.2
    lat = np.array([10.0, 11.0, 12.0, 13.0, 14.0]) + north
    assert areas.locate(lat, np.full(5, 10.0)).tolist() == [-1, -1, 2, 3, -1]


def test_lookup_matches_brute_force_on_bundled_ports() -> None:
    areas = PortAreas.build(load_bundled_ports())
    rng = np.random.default_rng(3)
    centre = rng.integers(0, len(areas), 20_000)
    # Points scattered up to 15 km around random ports, plus points anywhere on the globe.
    lat = areas.lat[centre] + rng.normal(0, 0.08, len(centre))
    lon = areas.lon[centre] + rng.normal(0, 0.1, len(centre))
    lat = np.concatenate((lat, rng.uniform(-80, 80, 5000)))
    lon = np.concatenate((lon, rng.uniform(-180, 180, 5000)))
    found = areas.locate(lat, lon)
    expected = _brute_force(areas, lat, lon)
    assert (found >= 0).sum() > 3000  # the test exercises hits, not only misses
    # Containment is measured on a local flat projection: only points within metres of a
    # circle's edge may be judged differently from the great circle.
    differ = np.flatnonzero(found != expected)
    port = np.where(found[differ] >= 0, found[differ], expected[differ])
    edge = haversine_km(lat[differ], lon[differ], areas.lat[port], areas.lon[port])
    assert np.all(np.abs(edge - areas.radius_km[port]) < 0.005)
    assert len(differ) < 5


def test_overlapping_circles_give_the_nearest_port_and_buffer_widens() -> None:
    ports = [Port("KPAAA", "West", lat=42.0, lon=130.0), Port("KPBBB", "East", lat=42.0, lon=130.1)]
    areas = PortAreas.build(ports)  # 6 km circles, centres about 8.3 km apart
    lon = np.array([130.03, 130.05 - 0.001, 130.05 + 0.001, 130.07, 130.5])
    assert areas.locate(np.full(5, 42.0), lon).tolist() == [0, 0, 1, 1, -1]
    buffered = areas.buffered(20.0)
    assert buffered is areas.buffered(20.0)  # built once
    assert buffered.locate([42.0], [130.5]).tolist() == [1]
    assert areas.buffered(0) is areas


def test_port_across_the_antimeridian() -> None:
    areas = PortAreas.build([Port("FJXXX", "Edge", lat=-16.0, lon=179.99)])
    assert areas.locate([-16.0, -16.0, -16.0], [-179.99, 179.95, -179.5]).tolist() == [0, 0, -1]


def test_empty_inputs() -> None:
    assert PortAreas.build([]).locate([1.0], [1.0]).tolist() == [-1]
    areas = PortAreas.build(load_bundled_ports())
    assert areas.locate(np.empty(0), np.empty(0)).tolist() == []


def test_nearest_within() -> None:
    areas = PortAreas.build(load_bundled_ports())
    near = areas.nearest_within(42.75, 133.0, 30.0)
    codes = [areas.ports[i].locode for i, _ in near]
    assert codes[:2] == ["RUKZM", "RUVYP"]
    assert "RUNJK" in codes and "KPRJN" not in codes
    assert [d for _, d in near] == sorted(d for _, d in near)


def test_haversine_units() -> None:
    # One minute of latitude is one nautical mile (to the sphere's accuracy).
    assert float(haversine_nm(0.0, 0.0, 1 / 60, 0.0)) == pytest.approx(1.0, rel=0.01)
    assert float(haversine_km(0.0, 179.9, 0.0, -179.9)) == pytest.approx(22.24, rel=0.01)


def test_wpi_reader_keeps_harbour_size(tmp_path: Path) -> None:
    path = tmp_path / "UpdatedPub150.csv"
    path.write_text(
        "World Port Index Number,Main Port Name,Alternate Port Name,UN/LOCODE,Country Code,"
        "Latitude,Longitude,Harbor Size\n"
        "1,Najin,,KP RJN,North Korea,42.24,130.30,Small\n"
        "2,Big,,NL RTM,Netherlands,51.9,4.5,Large\n"
        "3,Unknown,,SG SIN,Singapore,1.26,103.84, \n",
        encoding="utf-8",
    )
    rows = read_wpi_csv(path).ports
    assert rows["KPRJN"][0].harbor_size == "S"
    assert rows["NLRTM"][0].harbor_size == "L"
    assert rows["SGSIN"][0].harbor_size is None
    # Merging with the bundled row (no size) keeps the WPI size.
    table = PortTable([Port("KPRJN", "Rajin", lat=42.23, lon=130.3), rows["KPRJN"][0]])
    merged = table.get("KPRJN")
    assert merged is not None and merged.harbor_size == "S" and merged.name == "Rajin"
