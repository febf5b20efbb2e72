"""The files a screening reads, read from disk: the lists of a folder and the port data (port
table, risk policy, port-call files). The service reads them at start and on reload; the command
line reads them to screen offline, recording nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from service.ais.behaviour import Behaviour, build_behaviour
from service.ais.folder import read_folder
from service.ais.port_areas import PortAreas
from service.index import build_index
from service.loaders.registry import load_lists
from service.matcher import Policy
from service.portcalls.cache import load_port_calls_cached
from service.portcalls.calls import CallFileSummary, PortCallIndex
from service.portcalls.ports import PortTable, load_ports
from service.portcalls.risk import RiskPolicy, load_risk_policy
from service.screening import Context
from service.settings import Settings

log = logging.getLogger("service.sources")


@dataclass(frozen=True)
class PortFiles:
    ports: PortTable
    risk: RiskPolicy
    calls: PortCallIndex
    files: list[CallFileSummary]


def policy_of(settings: Settings) -> Policy:
    return Policy(
        match_threshold=settings.match_threshold,
        review_threshold=settings.review_threshold,
        default_limit=settings.default_limit,
        typo_min_letters=settings.typo_min_letters,
        typo_alone_min_letters=settings.typo_alone_min_letters,
    )


def read_port_files(settings: Settings) -> PortFiles:
    """A malformed risk policy raises: a policy that silently lost an entry would silently stop
    flagging calls there. The port-call files are read back from their cache in DATA_DIR when
    they, the port table and the code are those it was made from (`portcalls.cache`)."""
    ports = load_ports(settings.ports_dir)
    risk = load_risk_policy(
        settings.risk_policy_file, record_gap_days=settings.record_gap_days, ports=ports
    )
    calls, files = load_port_calls_cached(settings.port_calls_dir, ports, settings.data_dir)
    for summary in files:
        if summary.rejected:
            log.warning("port calls %s: %d rejected rows", summary.file, len(summary.rejected))
    return PortFiles(ports, risk, calls, files)


def offline_context(settings: Settings, lists_dir: Path | None = None) -> Context:
    """A screening context from files alone: the lists of `lists_dir` (default LISTS_DIR) and
    the port files. Raises ListLoadError / OSError when the lists cannot be read."""
    index = build_index(load_lists(lists_dir or settings.lists_dir))
    port = read_port_files(settings)
    behaviour = offline_behaviour(settings, port.ports)
    calls = port.calls
    if behaviour is not None and behaviour.derived.port_calls:
        calls = calls.add(behaviour.derived.port_calls)
    return Context(
        index, policy_of(settings), calls, port.risk, settings.port_call_window_days, behaviour
    )


def offline_behaviour(settings: Settings, ports: PortTable) -> Behaviour | None:
    """The behaviour AIS_DIR's files and sample show, derived here (what a service started on
    the same folder shows, less AIS posted to it or ingested into its store)."""
    folder = Path(settings.ais_dir) if settings.ais_dir else None
    if folder is None or not folder.is_dir():
        return None
    batches, statics, names = read_folder(folder)
    if not batches:
        return None
    params = settings.ais_params
    return build_behaviour(batches, statics, PortAreas.build(ports, params), params, 0, names)
