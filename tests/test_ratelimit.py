"""The per-key rate limit, counted in the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from service.ratelimit import RateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture()
def limiter() -> RateLimiter:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}", pytrace=False)
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return RateLimiter(REDIS_URL, per_minute=5, prefix=f"test:{uuid.uuid4().hex}")


def test_the_limit_holds_within_a_window_and_resets_after(limiter: RateLimiter) -> None:
    t0 = 1_800_000_000.0  # the start of a window
    verdicts = [limiter.check("key-a", now=t0 + i) for i in range(7)]
    assert [v.allowed for v in verdicts] == [True] * 5 + [False] * 2
    assert verdicts[4].remaining == 0
    assert verdicts[5].retry_after == 60 - 5
    assert limiter.check("key-a", now=t0 + 60).allowed


def test_callers_are_counted_apart(limiter: RateLimiter) -> None:
    t0 = 1_800_000_000.0
    for _ in range(5):
        limiter.check("key-a", now=t0)
    assert not limiter.check("key-a", now=t0).allowed
    assert limiter.check("key-b", now=t0).allowed


def test_two_limiters_share_one_count_as_two_workers_would(limiter: RateLimiter) -> None:
    other = RateLimiter(REDIS_URL, per_minute=5, prefix=limiter.prefix)
    t0 = 1_800_000_000.0
    for i in range(5):
        (limiter if i % 2 else other).check("key-a", now=t0)
    assert not limiter.check("key-a", now=t0).allowed
    assert not other.check("key-a", now=t0).allowed


def test_an_unreachable_redis_lets_requests_through() -> None:
    down = RateLimiter("redis://127.0.0.1:1/0", per_minute=1)
    assert down.check("key-a").allowed
    assert down.check("key-a").allowed
    assert not down.ping()
