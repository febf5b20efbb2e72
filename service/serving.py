"""What the service is serving right now: one screening index, swapped whole on reload.

A request reads `Serving.index` once and works only with that object, so a reload that swaps in
a new index mid-request never mixes two list versions in one answer. The swap is a single
reference assignment, atomic under the GIL.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from service.index import ScreeningIndex, build_index
from service.loaders.errors import ListLoadError
from service.loaders.registry import load_lists
from service.matcher import Policy
from service.settings import Settings

log = logging.getLogger("service.serving")


@dataclass
class Serving:
    settings: Settings
    policy: Policy
    index: ScreeningIndex | None = None
    last_error: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Serving:
        policy = Policy(
            match_threshold=settings.match_threshold,
            review_threshold=settings.review_threshold,
            default_limit=settings.default_limit,
        )
        return cls(settings=settings, policy=policy)

    def reload(self, lists_dir: Path | None = None) -> bool:
        """Load the lists and swap them in; on any failure keep serving what was there."""
        folder = lists_dir or self.settings.lists_dir
        with _reload_lock:
            try:
                index = build_index(load_lists(folder))
            except (ListLoadError, OSError) as exc:
                self.last_error = str(exc)
                log.error(
                    "list load from %s failed, still serving the previous version: %s", folder, exc
                )
                return False
            self.index = index
            self.last_error = None
            log.info(
                "serving %s",
                ", ".join(f"{i.id}@{i.version} ({i.entries} vessels)" for i in index.lists),
            )
            return True


_reload_lock = threading.Lock()
