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

Spacing keeps on-time texts apart; it can't stop texts held up together (a process not
scheduled for a second, slow answers holding send threads back) from catching up in a burst.
The wire window (`SenderRateLimiter.on_the_wire`, around every request to Twilio, from every
process) does: it bounds what any second at Twilio can receive by the rate + 1 whatever the
delays after a request starts.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import uuid
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

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

# Count up to ARGV[2] messages against a daily cap of ARGV[1]: returns how many fit.
DAILY_TAKE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local granted = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) - count)
if granted <= 0 then return 0 end
redis.call('INCRBY', KEYS[1], granted)
redis.call('EXPIRE', KEYS[1], 172800)
return granted
"""

# The wire window (see `SenderRateLimiter.on_the_wire`): a sorted set per sender of the
# requests that may still reach Twilio within a second, each scored with the moment it can be
# forgotten: while in flight, its start plus the HTTP timeout; once answered, when it was
# answered. A request starts only when at most ARGV[1] others are in the set; else the reply
# is how long to wait (microseconds). Times are Redis's, so every process counts alike.
WIRE_ENTER = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local timeout = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 1000000)
if redis.call('ZCARD', key) <= limit then
  redis.call('ZADD', key, string.format('%.0f', now + timeout), ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(timeout / 1000) + 2000)
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
return math.max(1000, math.min(oldest + 1000000 - now, 20000))
"""

# ARGV[2], when given, is a bound on Redis's clock at the moment the answer arrived, read in
# the sending thread: it leaves out the time this call waited for the interpreter.
WIRE_DONE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local answered = tonumber(ARGV[2])
if answered == nil or answered > now then answered = now end
redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', answered), ARGV[1])
return 0
"""
# A request still unanswered after this long is forgotten (the HTTP timeout is shorter).
WIRE_FORGET_SECONDS = 15.0

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

    def to_redis(self, moment: float) -> float | None:
        """The latest Redis's clock can have read at our `moment` (None until a call taught
        us the offset)."""
        with self._lock:
            return moment + self._high if math.isfinite(self._high) else None


class LocalWireWindow:
    """The wire window of one process, for when Redis is away (see `on_the_wire`)."""

    def __init__(self, *, clock=time.monotonic, sleep=time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._forget_at: dict[str, dict[object, float]] = {}

    def enter(self, sender_key: str, *, limit: int, ticket: object) -> None:
        while True:
            with self._lock:
                now = self._clock()
                requests = self._forget_at.setdefault(sender_key, {})
                for other, moment in list(requests.items()):
                    if moment <= now - 1:
                        del requests[other]
                if len(requests) <= limit:
                    requests[ticket] = now + WIRE_FORGET_SECONDS
                    return
                wait = min(min(requests.values()) + 1 - now, 0.020)
            self._sleep(max(wait, 0.001))

    def done(self, sender_key: str, ticket: object) -> None:
        with self._lock:
            requests = self._forget_at.get(sender_key, {})
            if ticket in requests:
                requests[ticket] = self._clock()


class SenderRateLimiter:
    def __init__(self, redis_url: str | None = None):
        url = settings.REDIS_URL if redis_url is None else redis_url
        self._redis = redis.Redis.from_url(url, socket_timeout=2) if url else None
        self._reserve = self._redis.register_script(GCRA_RESERVE) if self._redis else None
        self._daily = self._redis.register_script(DAILY_TAKE) if self._redis else None
        self._wire_enter = self._redis.register_script(WIRE_ENTER) if self._redis else None
        self._wire_done = self._redis.register_script(WIRE_DONE) if self._redis else None
        self._local = LocalGcra()
        self._local_wire = LocalWireWindow(
            clock=self.clock, sleep=lambda seconds: self.sleep_until(self.clock() + seconds)
        )
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
        """Reserve `count` consecutive send slots (`reserve_slots`) and block until `lead`
        seconds before the first one opens (the time the caller needs to get ready to send)."""
        slots = self.reserve_slots(sender_key, per_second=per_second, burst=burst, count=count)
        self.sleep_until(slots[0] - lead)
        return slots

    def reserve_slots(
        self, sender_key: str, *, per_second: float, burst: int = 1, count: int = 1
    ) -> list[float]:
        """Reserve `count` consecutive send slots, the next free ones, without waiting for them.

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
        return [first + spacing * n for n in range(count)]

    @contextmanager
    def on_the_wire(self, sender_key: str, *, per_second: float) -> Iterator[None]:
        """Around one request to Twilio: it starts only when no one-second window at Twilio
        can then hold more than the rate + 1 of the sender's requests, whatever the network,
        the interpreter and the other processes sending on it do.

        When a request reaches Twilio is not known, only that it is after it started and
        before it was answered. So a request is counted from its start until a second after
        its answer: any second at Twilio then holds the latest request to start in it plus
        only requests still counted when that one started, at most `rate` of them. Slots
        spaced right make this wait rarely; it is what stops a burst after a stall (a process
        not scheduled, a slow answer that held threads back), in this process or another.
        Costs the rate a request's round trip in every second (a few ms at the emulator): the
        answer's moment is read in the sending thread and put on Redis's clock (`RedisClock`),
        so the wait for the interpreter before the bookkeeping call doesn't add to it.
        """
        limit = max(math.floor(per_second), 0)
        key = f"wire:{sender_key}"
        ticket = uuid.uuid4().hex
        local = self._wire_enter is None
        while not local:
            try:
                wait = int(
                    self._wire_enter(keys=[key], args=[limit, ticket, WIRE_FORGET_SECONDS * 1e6])
                )
            except redis.RedisError:
                logger.warning("wire window: Redis unavailable, counting in-process", exc_info=True)
                local = True
                break
            if not wait:
                break
            time.sleep(wait / 1e6)
        if local:
            # Each of the worker processes keeps its share, as the in-process GCRA does.
            self._local_wire.enter(sender_key, limit=limit // LOCAL_PROCESSES, ticket=ticket)
        try:
            yield
        finally:
            answered = self._redis_clock.to_redis(self.clock())
            if local:
                self._local_wire.done(sender_key, ticket)
            else:
                bound = "" if answered is None else f"{answered * 1e6:.0f}"
                try:
                    self._wire_done(keys=[key], args=[ticket, bound])
                except redis.RedisError:
                    logger.warning("wire window: Redis unavailable", exc_info=True)

    def sleep_until(self, moment: float) -> None:
        """Sleep until `clock()` reaches `moment` (at once when it has)."""
        delay = moment - self.clock()
        if delay > 0:
            time.sleep(delay)

    def take_daily(self, sender_key: str, *, cap: int, now: dt.datetime, count: int = 1) -> int:
        """Count up to `count` messages against the sender's carrier day; returns how many fit
        under the cap (0 once it is reached). A wave is counted in one call."""
        day = now.astimezone(CARRIER_DAY_ZONE).date().isoformat()
        key = f"daily:{sender_key}:{day}"
        if self._daily is not None:
            try:
                return int(self._daily(keys=[key], args=[cap, count]))
            except redis.RedisError:
                logger.warning("daily cap: Redis unavailable, counting in-process", exc_info=True)
        taken = self._local_counts.get(key, 0)
        granted = max(0, min(count, cap - taken))
        self._local_counts[key] = taken + granted
        return granted


def next_carrier_day(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(CARRIER_DAY_ZONE)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0, 0))
    return midnight.replace(tzinfo=CARRIER_DAY_ZONE).astimezone(dt.UTC)
