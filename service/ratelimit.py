"""A per-key rate limit shared by every worker and instance, counted in Redis.

Fixed one-minute windows: `INCR` a counter named after the caller and the minute, expire it with
the window. Simple, one round trip, and exact across workers; a burst at a window's edge may see
up to twice the rate for a moment, which a per-minute business limit tolerates.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

log = logging.getLogger("service.ratelimit")

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


class RateLimiter:
    def __init__(self, url: str, per_minute: int, prefix: str = "vessel-screen:rate") -> None:
        self.per_minute = per_minute
        self.prefix = prefix
        self._redis = redis.Redis.from_url(
            url, socket_timeout=0.25, socket_connect_timeout=0.25, health_check_interval=30
        )

    def check(self, caller: str, now: float | None = None) -> Verdict:
        """Count one request of `caller`. If Redis cannot be reached the request is allowed and
        the failure logged: a screening service that stops screening when its rate counter is
        down would do more harm than one that briefly counts nothing."""
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        key = f"{self.prefix}:{caller}:{window}"
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        try:
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS + 1)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            log.error("rate limit not counted, Redis unreachable: %s", exc)
            return Verdict(True, self.per_minute, self.per_minute, retry_after)
        remaining = max(0, self.per_minute - count)
        return Verdict(count <= self.per_minute, self.per_minute, remaining, retry_after)

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False
