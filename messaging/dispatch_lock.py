"""One dispatch chain per number: a Redis lock that only its owner renews, hands over or frees.

The chain is `sender_dispatch_task` re-queueing itself while the number has texts due. Its lock
(`dispatching:<sender id>`) holds a token naming the run that owns it, and every change is a
compare-and-set in one Lua call, so a run whose lock expired (a stalled or dead worker) can
neither free nor extend the lock of the run that took over.

- Beat's `dispatch_due_task` takes a free lock for a run it queues (`START_SECONDS`, time for
  the task to reach a worker) and hands the token to the task; a run re-queueing itself hands
  its token on the same way. The task takes the lock over from that token; a task holding a
  token that is no longer the lock's (a retry, a duplicate, a late delivery) does nothing.
- A running task keeps a short lock (`HOLD_SECONDS`), renewed every `RENEW_EVERY_SECONDS` by a
  thread, so a SIGKILLed worker's number is free again within seconds and beat's next
  `dispatch_due_task` starts it on another worker.
- The token carries the moment its run started: claims older than the current owner's start
  were made by a run that is gone, which is how `claimed_reconcile` finds a crashed run's
  stranded rows without waiting for `DISPATCH_STRANDED_AFTER_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

HOLD_SECONDS = 4.0
RENEW_EVERY_SECONDS = 1.0
# A queued run's lock: how long a task may wait in the queue before beat may queue another.
START_SECONDS = 30.0

# Set the lock to ARGV[1] for ARGV[2] ms if it is free or holds ARGV[3] (the caller's token or
# the one handed to it); 1 when set. A free lock is taken: whoever held it is gone.
TAKE = """
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@cache
def _client(url: str) -> tuple[redis.Redis, redis.commands.core.Script, redis.commands.core.Script]:
    client = redis.Redis.from_url(url, socket_timeout=2)
    return client, client.register_script(TAKE), client.register_script(RELEASE)


def _redis() -> redis.Redis:
    return _client(settings.REDIS_URL)[0]


def _key(sender_id: int) -> str:
    return f"dispatching:{sender_id}"


def _new_token() -> str:
    return f"{time.time():.3f}/{uuid.uuid4().hex}"


def _set(sender_id: int, *, token: str, seconds: float, expected: str = "") -> bool:
    take = _client(settings.REDIS_URL)[1]
    return bool(take(keys=[_key(sender_id)], args=[token, int(seconds * 1000), expected]))


def run_queue_token(sender_id: int) -> str | None:
    """A token for a run about to be queued, if the number has no chain; else None."""
    token = _new_token()
    return token if _set(sender_id, token=token, seconds=START_SECONDS) else None


def run_start(sender_id: int, *, handed_over: str | None) -> str | None:
    """The lock for the run starting now, taken over from the token it was queued with (or
    taken if free); None when another run owns the number."""
    token = _new_token()
    if _set(sender_id, token=token, seconds=HOLD_SECONDS, expected=handed_over or ""):
        return token
    return None


def hand_over(sender_id: int, token: str) -> bool:
    """Keep the lock for the next run of the chain, about to be queued with `token`."""
    return _set(sender_id, token=token, seconds=START_SECONDS, expected=token)


def release(sender_id: int, token: str) -> None:
    _client(settings.REDIS_URL)[2](keys=[_key(sender_id)], args=[token])


def owner_started_at(sender_id: int) -> float | None:
    """When the run that owns the number's lock started (epoch seconds); None when free.
    Raises redis.RedisError when Redis can't tell."""
    token = _redis().get(_key(sender_id))
    if token is None:
        return None
    return float(token.decode().split("/", 1)[0])


class Kept:
    """Renews a running task's lock in a thread until stopped; `still_ours()` turns False once
    another run has taken it (this process stalled longer than HOLD_SECONDS). While Redis is
    away the run goes on: nobody can take the lock meanwhile, and the first renewal after Redis
    returns takes it back if it was lost with Redis's data."""

    def __init__(self, sender_id: int, token: str):
        self.sender_id = sender_id
        self.token = token
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(RENEW_EVERY_SECONDS):
            try:
                if not _set(
                    self.sender_id, token=self.token, seconds=HOLD_SECONDS, expected=self.token
                ):
                    logger.warning("dispatch of sender %s: lock taken over", self.sender_id)
                    self._lost.set()
                    return
            except redis.RedisError:
                logger.warning("dispatch lock of sender %s: Redis unavailable", self.sender_id)

    def still_ours(self) -> bool:
        return not self._lost.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
