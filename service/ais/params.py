"""Every threshold event derivation uses, in one frozen dataclass with its default and why.

Where a default follows Global Fishing Watch's published methods for port visits, encounters,
loitering and AIS disabling, the field says so; the others are chosen for this service's use
(screening a listed ship's recent behaviour) and say what they trade off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AisParams:
    """Thresholds for tracks, port areas and every derived event kind."""

    # --- Port areas ---------------------------------------------------------------------------
    port_radius_km_very_small: float = 3.0
    """3 km: a WPI "very small" harbour is one quay or a cove; a wider circle would swallow
    passing coastal traffic."""
    port_radius_km_small: float = 5.0
    """5 km: a small harbour with a short approach and an anchorage just off it."""
    port_radius_km_medium: float = 8.0
    """8 km: a medium port's basins plus its inner roads, where ships wait at anchor."""
    port_radius_km_large: float = 12.0
    """12 km: large ports (Vostochny, Rotterdam) spread terminals and anchorages over 10-20 km;
    12 km keeps the anchorages without reaching the next port along the coast."""
    port_radius_km_unknown: float = 6.0
    """6 km: between small and medium, for ports without a WPI harbour size (UN/LOCODE and the
    bundled table); most ports in WPI are very small or small, so this errs wide, not huge."""
    port_grid_deg: float = 0.25
    """0.25 degrees (about 28 km of latitude): cells larger than the largest circle, so most
    cells list zero or one port and a lookup checks very few circles."""

    # --- Port calls ---------------------------------------------------------------------------
    port_stop_max_sog_kn: float = 1.0
    """1 knot: a ship at a berth or at anchor swings and drifts under a knot; GFW's port visit
    needs the vessel to stop (speed near zero) inside the anchorage area."""
    port_stop_statuses: tuple[int, ...] = (1, 5)
    """Navigational status 1 (at anchor) and 5 (moored) count as stopped whatever the speed
    says: speed over ground is often missing in port."""
    port_min_stop_hours: float = 2.0
    """2 hours from first to last stopped report: loading or unloading takes hours; a shorter
    stop is a pilot or a wait for the tide, not a call."""
    port_join_hours: float = 6.0
    """6 hours: a visit that leaves the area and comes back within this is one visit (GFW joins
    visits when the vessel steps out briefly, e.g. shifting to an outer anchorage)."""

    # --- AIS gaps -----------------------------------------------------------------------------
    gap_min_hours: float = 12.0
    """12 hours without a position: GFW's AIS-disabling threshold; shorter silences are common
    where satellite passes are sparse."""
    gap_min_port_distance_nm: float = 10.0
    """10 nm beyond the edge of every port area at both ends: terrestrial receivers cover the
    approaches well, so silence there is less likely to be coverage. GFW uses 50 nm from shore
    for fishing fleets; sanctions evasion happens close to ports too, so this is smaller."""
    gap_typical_speed_kn: float = 10.0
    """10 knots: a typical cargo ship's service speed, used to judge whether a port call could
    fit in a gap (sail there and back straight at this speed, stay the minimum call time)."""
    gap_max_ports_in_reach: int = 10
    """The nearest 10 reachable ports are named in a gap's evidence; the count gives the rest."""

    # --- Ship-to-ship meetings ----------------------------------------------------------------
    encounter_max_distance_m: float = 500.0
    """500 m: GFW's encounter distance; ships alongside or transferring by hose are far closer,
    and ships merely anchored in the same roads are usually farther."""
    encounter_max_median_sog_kn: float = 2.0
    """2 knots median speed of both ships over the meeting (GFW's encounter speed)."""
    encounter_min_hours: float = 2.0
    """2 hours together (GFW's encounter duration): long enough to transfer cargo or people."""
    encounter_bin_minutes: int = 10
    """10-minute time bins: each ship is one averaged point per bin; at 2 knots a ship moves
    about 600 m in 10 minutes, so a meeting's points stay within the distance."""
    encounter_max_gap_bins: int = 3
    """A meeting survives up to 3 bins (30 minutes) with no close pair (a missed report or
    a brief drift apart) before it counts as ended."""
    encounter_port_buffer_nm: float = 2.0
    """2 nm beyond port areas: meetings inside or at the edge of a port are port traffic (GFW
    requires 10 km from an anchorage; port areas here already cover 3-12 km)."""

    # --- Identity -----------------------------------------------------------------------------
    identity_join_hours: float = 1.0
    """Changes of name, IMO or call sign within 1 hour are one identity change: Class B ships
    send name (type 24 part A) and call sign (part B) in separate messages."""

    # --- Position jumps -----------------------------------------------------------------------
    jump_max_speed_kn: float = 50.0
    """50 knots implied speed: beyond any merchant ship (fast ferries reach about 40 knots)."""
    jump_min_distance_nm: float = 2.0
    """2 nm: receiver jitter and timestamp rounding move close reports by metres to hundreds of
    metres at absurd implied speeds; a jump must cover real distance."""
    jump_join_hours: float = 1.0
    """Jumps of one MMSI less than 1 hour apart are one event (a spoofed position jumps out and
    back; two transmitters sharing an MMSI jump at every other report)."""

    def port_radius_km(self, harbor_size: str | None) -> float:
        """The port-area radius for a WPI harbour size letter (V, S, M, L; None unknown)."""
        return {
            "V": self.port_radius_km_very_small,
            "S": self.port_radius_km_small,
            "M": self.port_radius_km_medium,
            "L": self.port_radius_km_large,
        }.get((harbor_size or "").upper()[:1], self.port_radius_km_unknown)
