from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

from messaging.ratelimit import SenderRateLimiter, next_carrier_day


def test_two_dispatchers_share_one_senders_rate_through_redis(redis_url):
    key = f"test-{uuid.uuid4()}"
    stamps: list[float] = []
    lock = threading.Lock()

    def dispatcher():
        limiter = SenderRateLimiter(redis_url=redis_url)  # its own connection, like a process
        for _ in range(30):
            limiter.wait_for_slot(key, per_second=50)
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    # 60 messages at 50/s: the first goes at once, the last 59 intervals (1.18 s) later.
    assert 1.1 < elapsed < 1.6
    stamps.sort()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    # No burst: consecutive sends are spaced by about 20 ms (scheduling noise aside).
    assert sum(gaps) / len(gaps) > 0.018


def test_without_redis_each_process_limits_itself():
    limiter = SenderRateLimiter(redis_url="")
    start = time.monotonic()
    for _ in range(11):
        limiter.wait_for_slot("local", per_second=100)
    # Two worker processes share the rate, so each holds half of it: 10 intervals of 20 ms.
    assert time.monotonic() - start >= 0.19


def test_daily_cap_counts_per_carrier_day(redis_url):
    limiter = SenderRateLimiter(redis_url=redis_url)
    key = f"cap-{uuid.uuid4()}"
    now = dt.datetime(2026, 6, 1, 18, 0, tzinfo=dt.UTC)
    assert [limiter.take_daily(key, cap=3, now=now) for _ in range(4)] == [True, True, True, False]
    # The cap resets at midnight Pacific time.
    tomorrow = next_carrier_day(now)
    assert tomorrow == dt.datetime(2026, 6, 2, 7, 0, tzinfo=dt.UTC)
    assert limiter.take_daily(key, cap=3, now=tomorrow) is True


def test_redis_going_away_mid_send_falls_back_to_limiting_in_process():
    limiter = SenderRateLimiter(redis_url="redis://127.0.0.1:1/0")
    start = time.monotonic()
    for _ in range(3):
        limiter.wait_for_slot("gone", per_second=100)
    assert time.monotonic() - start >= 0.039
