from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

from messaging.ratelimit import JITTER_ALLOWANCE, SenderRateLimiter, next_carrier_day, slot_spacing


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
    assert [limiter.take_daily(key, cap=3, now=now) for _ in range(2)] == [1, 1]
    assert limiter.take_daily(key, cap=3, now=now, count=8) == 1  # a wave: only one more fits
    assert limiter.take_daily(key, cap=3, now=now) == 0
    # The cap resets at midnight Pacific time.
    tomorrow = next_carrier_day(now)
    assert tomorrow == dt.datetime(2026, 6, 2, 7, 0, tzinfo=dt.UTC)
    assert limiter.take_daily(key, cap=3, now=tomorrow) == 1


def test_redis_going_away_mid_send_falls_back_to_limiting_in_process():
    limiter = SenderRateLimiter(redis_url="redis://127.0.0.1:1/0")
    start = time.monotonic()
    for _ in range(3):
        limiter.wait_for_slot("gone", per_second=100)
    assert time.monotonic() - start >= 0.039


def test_at_high_rates_grants_leave_room_for_arrival_jitter():
    # Texts reach Twilio some milliseconds after their grant, not all equally late: spaced
    # exactly 10 ms apart, a carrier's second could count 102. Any window of 1 s + the
    # allowance holds at most rate + 1 grants, for 1% of the rate at 100/s.
    spacing = slot_spacing(100)
    grants = [n * spacing for n in range(1000)]
    window = 1 + JITTER_ALLOWANCE - 1e-9  # half-open, less float rounding at its end
    assert max(sum(1 for g in grants if start <= g < start + window) for start in grants) == 101
    assert 0.99 <= 1 / spacing / 100 < 0.991
    # Where one slot is wider than the allowance already, the rate is untouched.
    assert (slot_spacing(10), slot_spacing(1)) == (0.1, 1.0)


class LateReader(SenderRateLimiter):
    """Reads the clock late once, right after a reply (a busy process: the GIL, a thread
    switch), and never sleeps."""

    def __init__(self, redis_url):
        super().__init__(redis_url=redis_url)
        self.late_by = 0.0
        reserve = self._reserve

        def reserve_then_read_late(*args, **kwargs):
            reply = reserve(*args, **kwargs)
            self.late_by = self.next_late_by
            return reply

        self._reserve = reserve_then_read_late
        self.next_late_by = 0.0

    def clock(self) -> float:
        late_by, self.late_by = self.late_by, 0.0
        return time.monotonic() + late_by

    def sleep_until(self, moment: float) -> None:
        pass


def test_a_reply_read_late_does_not_push_its_slots_against_the_next(redis_url):
    key = f"test-{uuid.uuid4()}"
    limiter = LateReader(redis_url)
    spacing = slot_spacing(100)
    for _ in range(3):  # the first call also loads the script; a few calls learn the clock
        limiter.wait_for_slot(key, per_second=100, count=8)
    first_wave = limiter.wait_for_slot(key, per_second=100, count=8)
    limiter.next_late_by = 0.020
    second_wave = limiter.wait_for_slot(key, per_second=100, count=8)
    limiter.next_late_by = 0.0
    third_wave = limiter.wait_for_slot(key, per_second=100, count=8)
    # Slots stay on Redis's timeline: consecutive, however late the reply was read.
    assert abs(second_wave[0] - first_wave[-1] - spacing) < 0.005
    assert abs(third_wave[0] - second_wave[-1] - spacing) < 0.005


def test_requests_held_up_by_a_stall_reach_twilio_only_as_fast_as_a_second_allows(redis_url):
    # 25 texts whose slots passed while the process was not scheduled all want to go at once.
    limiter = SenderRateLimiter(redis_url=redis_url)
    key = f"test-{uuid.uuid4()}"
    lock = threading.Lock()
    spans: list[tuple[float, float]] = []

    def request() -> None:
        with limiter.on_the_wire(key, per_second=10):
            started = time.monotonic()
            time.sleep(0.005)  # the request's round trip
            with lock:
                spans.append((started, time.monotonic()))

    threads = [threading.Thread(target=request) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Twilio receives each request somewhere between its start and its answer; wherever
    # that is, no second holds more than the rate + 1 of them.
    starts = sorted(start for start, _ in spans)
    ends = sorted(end for _, end in spans)
    for start in starts:
        may_arrive = sum(1 for s, e in spans if s < start + 1 and e >= start)
        assert may_arrive <= 11
    assert starts[11] - starts[0] >= 1  # the backlog was spread out, not sent in a burst
    assert ends[-1] - starts[0] < 3.5  # and not held back longer than that takes
