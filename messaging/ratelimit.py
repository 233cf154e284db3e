"""Per-sender send rate (messages per second) and the T-Mobile daily cap.

With Redis the limit is shared by every dispatcher process: a GCRA in one Lua call reserves the
next free slots for the caller and says how long to wait for the first, so concurrent dispatchers
interleave at the sender's rate and a burst never exceeds `burst` messages. Without Redis (the
embedded default, or Redis restarting mid-send) each process keeps its own GCRA at the rate
divided by the number of worker processes, so the sum still holds the limit.

What the carrier counts is when each message *reaches* Twilio, not when we were granted its
slot. Between the two lie a sleep's overshoot, the wait for the GIL (up to the 5 ms switch
interval per busy thread), the SDK building the request and the HTTP round trip: tens of
milliseconds on a busy machine, varying from one message to the next. Grants spaced exactly
1/rate apart therefore arrive bunched now and then, and a one-second window at the carrier
sees rate + 1 or more. So slots are spaced a little wider at high rates: any window of
1 s + JITTER_ALLOWANCE then holds at most rate + burst grants, which keeps every second at the
carrier within rate + burst as long as arrivals vary by less than the allowance. At 100/s that
costs 1% of the rate; at 10/s and below, where one slot is wider than the allowance, nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import zoneinfo

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Reserve `count` consecutive slots: returns {the first slot, Redis's now}, both in Redis's
# clock, in microseconds. Microseconds, not milliseconds: TIME floored to the millisecond put
# each grant up to 1 ms early or late, and a fractional interval (1000/3 ms) was rounded when
# the wait came back as an integer. The TAT is written with %.0f because Lua's own number
# formatting keeps only 14 significant digits, which at microsecond resolution would round it
# to 100 us.
GCRA_RESERVE = """
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', key) or '0')
if tat < now then tat = now end
local slot = tat - tolerance
if slot < now then slot = now end
local new_tat = tat + interval * count
redis.call('SET', key, string.format('%.0f', new_tat),
  'PX', math.ceil((new_tat - now + tolerance) / 1000) + 1000)
return {math.floor(slot), math.floor(now)}
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
# How much later than its grant a message may reach Twilio than others do without a carrier
# second seeing more than rate + burst (see the module docstring).
JITTER_ALLOWANCE = 0.020


def slot_spacing(per_second: float) -> float:
    """Seconds between consecutive grants: 1/rate, widened so that any window of
    1 s + JITTER_ALLOWANCE holds at most rate + burst of them (whatever the burst: GCRA's
    tolerance adds burst - 1 grants to a window, the spacing bounds the rest)."""
    per_second = max(per_second, 0.001)
    return max(1 / per_second, (1 + JITTER_ALLOWANCE) / (per_second + 1))


class LocalGcra:
    def __init__(self):
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def reserve(self, key: str, interval: float, tolerance: float, count: int = 1) -> float:
        """The `time.monotonic()` moment of the first of `count` slots reserved."""
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(key, now), now)
            self._tat[key] = tat + interval * count
            return max(tat - tolerance, now)


class RedisClock:
    """Redis's clock read on ours, learnt from the round trips of our own calls (NTP's idea).

    A slot is a moment on Redis's clock. Turning it into "wait this long" when the reply
    arrives shifts it by however late the reply is read, and in a busy process that is often
    milliseconds (the GIL, a thread switch): one wave's slots then start a few ms later than
    they should and crowd the next wave's, which was read on time. Instead each call bounds
    the offset between the clocks (Redis read its clock after we sent and before we received),
    and the tightest bounds seen so far are kept. The upper bound is the one used: it comes
    from when the request was sent, which a late reply does not move, and it errs by the
    quickest request's trip to Redis, a fraction of a millisecond, the same for every slot.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._low = -math.inf
        self._high = math.inf

    def to_local(self, moment: float, *, redis_now: float, sent: float, received: float) -> float:
        with self._lock:
            low, high = redis_now - received, redis_now - sent
            if low > self._high or high < self._low:
                # Bounds that can't both hold: Redis failed over, or a clock was stepped.
                self._low, self._high = low, high
            else:
                self._low, self._high = max(self._low, low), min(self._high, high)
            return moment - self._high


class SenderRateLimiter:
    def __init__(self, redis_url: str | None = None):
        url = settings.REDIS_URL if redis_url is None else redis_url
        self._redis = redis.Redis.from_url(url, socket_timeout=2) if url else None
        self._reserve = self._redis.register_script(GCRA_RESERVE) if self._redis else None
        self._daily = self._redis.register_script(DAILY_TAKE) if self._redis else None
        self._local = LocalGcra()
        self._redis_clock = RedisClock()
        self._local_counts: dict[str, int] = {}

    # The clock slots are given on; a test's limiter may bring its own.
    clock = staticmethod(time.monotonic)

    def wait_for_slot(
        self,
        sender_key: str,
        *,
        per_second: float,
        burst: int = 1,
        count: int = 1,
        lead: float = 0.0,
    ) -> list[float]:
        """Reserve `count` consecutive send slots and block until `lead` seconds before the
        first one opens (the time the caller needs to get ready to send).

        Returns the `clock()` moment of each slot; the caller sends each no earlier than its
        moment (`sleep_until`). Reserving a wave's slots in one call keeps them consecutive
        when several dispatchers share the sender.
        """
        spacing = slot_spacing(per_second)
        tolerance = spacing * max(burst - 1, 0)
        first = None
        if self._reserve is not None:
            try:
                sent = self.clock()
                slot, redis_now = self._reserve(
                    keys=[f"rate:us:{sender_key}"],
                    args=[spacing * 1e6, tolerance * 1e6, count],
                )
                first = self._redis_clock.to_local(
                    int(slot) / 1e6,
                    redis_now=int(redis_now) / 1e6,
                    sent=sent,
                    received=self.clock(),
                )
            except redis.RedisError:
                logger.warning(
                    "rate limiter: Redis unavailable, limiting in-process", exc_info=True
                )
        if first is None:
            spacing *= LOCAL_PROCESSES
            first = self._local.reserve(sender_key, spacing, tolerance, count)
        self.sleep_until(first - lead)
        return [first + spacing * n for n in range(count)]

    def sleep_until(self, moment: float) -> None:
        """Sleep until `clock()` reaches `moment` (at once when it has)."""
        delay = moment - self.clock()
        if delay > 0:
            time.sleep(delay)

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
