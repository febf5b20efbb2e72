"""What the service is serving right now: one screening index and one port-call index, each
swapped whole on reload.

A request reads `Serving.index` once and works only with that object, so a reload that swaps in
a new index mid-request never mixes two list versions in one answer. The swap is a single
reference assignment, atomic under the GIL.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.index import ScreeningIndex, build_index
from service.loaders.errors import ListLoadError
from service.loaders.registry import load_lists
from service.matcher import Policy
from service.model import Vessel
from service.portcalls.calls import CallFileSummary, PortCall, PortCallIndex, load_port_calls_dir
from service.portcalls.history import VesselHistory, vessel_history
from service.portcalls.journal import CallJournal
from service.portcalls.ports import PortTable, load_ports
from service.portcalls.risk import RiskPolicy, load_risk_policy
from service.settings import Settings

log = logging.getLogger("service.serving")

PUSHED_CALLS_FILE = "port-calls-pushed.jsonl"


@dataclass
class PortData:
    ports: PortTable
    risk: RiskPolicy
    base_calls: PortCallIndex
    files: list[CallFileSummary]
    journal: CallJournal
    calls: PortCallIndex = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.calls = self.base_calls

    def refresh(self) -> PortCallIndex:
        """Take in calls other workers pushed since the last look (one `stat` when none)."""
        with self._lock:
            new, replaced = self.journal.read_new()
            if replaced:
                self.calls = self.base_calls.add(new)
            elif new:
                self.calls = self.calls.add(new)
            return self.calls


def load_port_data(settings: Settings) -> PortData:
    """Port table, risk policy, port-call files and the pushed-call journal.

    A malformed risk policy raises: a policy that silently lost an entry would silently stop
    flagging calls there.
    """
    ports = load_ports(settings.ports_dir)
    risk = load_risk_policy(
        settings.risk_policy_file, record_gap_days=settings.record_gap_days, ports=ports
    )
    calls, files = load_port_calls_dir(settings.port_calls_dir, ports)
    for summary in files:
        if summary.rejected:
            log.warning("port calls %s: %d rejected rows", summary.file, len(summary.rejected))
    data = PortData(
        ports, risk, calls, files, CallJournal(settings.data_dir / PUSHED_CALLS_FILE, ports)
    )
    data.refresh()
    return data


@dataclass
class Serving:
    settings: Settings
    policy: Policy
    port_data: PortData
    index: ScreeningIndex | None = None
    last_error: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Serving:
        policy = Policy(
            match_threshold=settings.match_threshold,
            review_threshold=settings.review_threshold,
            default_limit=settings.default_limit,
        )
        return cls(settings=settings, policy=policy, port_data=load_port_data(settings))

    def reload(self, lists_dir: Path | None = None) -> bool:
        """Load the lists and swap them in; on any failure keep serving what was there."""
        folder = lists_dir or self.settings.lists_dir
        with _reload_lock:
            try:
                index = build_index(load_lists(folder))
            except (ListLoadError, OSError) as exc:
                self.last_error = str(exc)
                log.error(
                    "list load from %s failed, still serving the previous version: %s",
                    folder,
                    exc,
                )
                return False
            self.index = index
            self.last_error = None
            log.info(
                "serving %s",
                ", ".join(f"{i.id}@{i.version} ({i.entries} vessels)" for i in index.lists),
            )
            return True

    def port_calls(self) -> PortCallIndex:
        return self.port_data.refresh()

    def history(
        self, vessel: Vessel, window_days: int | None, calls: PortCallIndex | None = None
    ) -> VesselHistory:
        """The vessel's port calls in the last `window_days` (all when None) and its flags."""
        since = None if window_days is None else datetime.now(UTC) - timedelta(days=window_days)
        return vessel_history(vessel, calls or self.port_calls(), self.port_data.risk, since)

    def push_calls(self, calls: list[PortCall]) -> None:
        """Record pushed calls durably; every worker takes them in before its next answer."""
        self.port_data.journal.append(calls)
        self.port_data.refresh()


_reload_lock = threading.Lock()
