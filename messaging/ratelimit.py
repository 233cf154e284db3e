"""Per-sender send rate (messages per second) and the T-Mobile daily cap.

With Redis the limit is shared by every dispatcher process: a GCRA in one Lua call reserves the
next free slot for the caller and says how long to wait for it, so concurrent dispatchers
interleave at exactly the sender's rate and a burst never exceeds `burst` messages. Without
Redis (the embedded default, or Redis restarting mid-send) each process keeps its own GCRA at
the rate divided by the number of worker processes, so the sum still holds the limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import zoneinfo

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Reserve one slot: returns the milliseconds to wait before using it.
GCRA_RESERVE = """
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', key) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', key, new_tat, 'PX', math.ceil(new_tat - now + tolerance + 1000))
return wait
"""

# Count one message against a daily cap: returns the new count, or -1 when the cap is reached.
DAILY_TAKE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return -1 end
count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 172800)
return count
"""

# T-Mobile counts its daily cap per calendar day in US Pacific time.
CARRIER_DAY_ZONE = zoneinfo.ZoneInfo("America/Los_Angeles")
LOCAL_PROCESSES = 2


class LocalGcra:
    def __init__(self):
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def reserve(self, key: str, interval: float, tolerance: float) -> float:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(key, now), now)
            wait = max(0.0, tat - tolerance - now)
            self._tat[key] = tat + interval
            return wait


class SenderRateLimiter:
    def __init__(self, redis_url: str | None = None):
        url = settings.REDIS_URL if redis_url is None else redis_url
        self._redis = redis.Redis.from_url(url, socket_timeout=2) if url else None
        self._reserve = self._redis.register_script(GCRA_RESERVE) if self._redis else None
        self._daily = self._redis.register_script(DAILY_TAKE) if self._redis else None
        self._local = LocalGcra()
        self._local_counts: dict[str, int] = {}

    def wait_for_slot(self, sender_key: str, *, per_second: float, burst: int = 1) -> float:
        """Block until this caller may send one message; returns the seconds waited."""
        per_second = max(per_second, 0.001)
        interval_ms = 1000.0 / per_second
        tolerance_ms = interval_ms * max(burst - 1, 0)
        wait = None
        if self._reserve is not None:
            try:
                wait = (
                    int(
                        self._reserve(keys=[f"rate:{sender_key}"], args=[interval_ms, tolerance_ms])
                    )
                    / 1000
                )
            except redis.RedisError:
                logger.warning(
                    "rate limiter: Redis unavailable, limiting in-process", exc_info=True
                )
        if wait is None:
            local_interval = interval_ms * LOCAL_PROCESSES / 1000
            wait = self._local.reserve(sender_key, local_interval, tolerance_ms / 1000)
        if wait > 0:
            time.sleep(wait)
        return wait

    def take_daily(self, sender_key: str, *, cap: int, now: dt.datetime) -> bool:
        """Count one message against the sender's carrier day; False once the cap is reached."""
        day = now.astimezone(CARRIER_DAY_ZONE).date().isoformat()
        key = f"daily:{sender_key}:{day}"
        if self._daily is not None:
            try:
                return int(self._daily(keys=[key], args=[cap])) >= 0
            except redis.RedisError:
                logger.warning("daily cap: Redis unavailable, counting in-process", exc_info=True)
        count = self._local_counts.get(key, 0)
        if count >= cap:
            return False
        self._local_counts[key] = count + 1
        return True


def next_carrier_day(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(CARRIER_DAY_ZONE)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0, 0))
    return midnight.replace(tzinfo=CARRIER_DAY_ZONE).astimezone(dt.UTC)
