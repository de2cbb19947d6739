"""Bounds on the work a signed-out client can make this process do: rate limits and a hashing gate.

Two tools, used before the expensive part of sign-in, sign-up and password reset:

* **Rate limits**: moving windows from the ``limits`` library (a client's 21st attempt in a minute is
  refused, not its 21st since the top of the minute). Counts live in this process's memory
  (``limits.storage.MemoryStorage``): with several app processes each keeps its own counts, so a
  client pinned to one process by sticky sessions meets the limits as stated, and the totals are per
  process. Nothing here survives a restart.
* **The hashing gate** (:func:`hashing_slot`): at most ``COURSE_HASH_CONCURRENCY`` argon2 hashes or
  checks run at once (default 2: one per core of the reference machine; each costs 64 MiB and a
  core for ~0.1-0.5 s), and at most ``COURSE_HASH_QUEUE`` more wait, each for at most
  HASH_WAIT. Anything beyond is answered at once with :class:`Busy` ("try again shortly"), so a
  flood costs a bounded amount of memory and CPU whatever its size.

OWASP Authentication Cheat Sheet ("Protect against automated attacks"; "Account lockout"):
throttle per client and per account rather than lock accounts, so that a stranger cannot lock the
real owner out.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from limits import RateLimitItem, storage, strategies

HASH_WAIT = 5.0  # seconds a sign-in may wait for the gate before it is told to try again

_storage = storage.MemoryStorage()
_limiter = strategies.MovingWindowRateLimiter(_storage)
_PEPPER = secrets.token_bytes(32)  # for fingerprints of secrets held as limiter keys; new each process


class Busy(Exception):
    """Too much hashing is already running or waiting in this process; the caller should answer at once."""


@dataclass(frozen=True)
class Limit:
    """One rate limit: ``item`` (e.g. 5 per 15 minutes) applied to the keys of ``scope``."""

    scope: str  # e.g. "sign-in:client"
    item: RateLimitItem

    def __str__(self) -> str:
        return f"{self.scope}: {self.item}"


Check = tuple[Limit, str]  # a limit and the key it is counted for (a client, an email, "all")


def fingerprint(secret: str) -> str:
    """A key for counting uses of a secret (a password) without holding it: HMAC-SHA-256, per process."""
    return hmac.new(_PEPPER, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def retry_after(checks: Sequence[Check]) -> float | None:
    """Seconds until every check has room again, or None when all have room now (nothing is counted)."""
    waits = []
    for limit, key in checks:
        if not _limiter.test(limit.item, limit.scope, key):
            stats = _limiter.get_window_stats(limit.item, limit.scope, key)
            waits.append(max(1.0, stats.reset_time - _now()))
    return max(waits) if waits else None


def take(checks: Sequence[Check]) -> float | None:
    """Count one use against every check if all have room (None), else count nothing and say how long to wait."""
    wait = retry_after(checks)
    if wait is not None:
        return wait
    for limit, key in checks:
        if not _limiter.hit(limit.item, limit.scope, key):  # another thread took the last room meanwhile
            return retry_after(checks) or 1.0
    return None


def count(checks: Sequence[Check]) -> None:
    """Count one use against every check, whether or not it has room (failures after the fact)."""
    for limit, key in checks:
        _limiter.hit(limit.item, limit.scope, key)


def forget(checks: Sequence[Check]) -> None:
    """Clear these counts (a proven owner, e.g. after a password reset)."""
    for limit, key in checks:
        _limiter.clear(limit.item, limit.scope, key)


def reset() -> None:
    """Forget every count in this process (tests)."""
    _storage.reset()


def minutes(seconds: float) -> int:
    """Whole minutes to tell a person to wait: never 0."""
    return max(1, math.ceil(seconds / 60))


def _now() -> float:
    return time.time()


# --- the hashing gate -----------------------------------------------------------------------------


def _setting(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return max(1, value) if name == "COURSE_HASH_CONCURRENCY" else max(0, value)


class HashingGate:
    """At most ``concurrency`` holders at once and at most ``queue`` waiting; the rest get :class:`Busy`."""

    def __init__(self, concurrency: int, queue: int, wait: float = HASH_WAIT) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self.wait = wait
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._inside = 0  # holding a slot or waiting for one

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._inside >= self.concurrency + self.queue:
                raise Busy
            self._inside += 1
        try:
            if not self._slots.acquire(timeout=self.wait):
                raise Busy
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._inside -= 1


_gate = HashingGate(_setting("COURSE_HASH_CONCURRENCY", 2), _setting("COURSE_HASH_QUEUE", 8))


def hashing_slot() -> HashingGate:
    """The process's gate: ``with ratelimit.hashing_slot().slot(): hasher.hash(...)`` (may raise Busy)."""
    return _gate


def set_gate(gate: HashingGate) -> None:
    """Replace the process's gate (tests, or a deployment tuning it at start-up)."""
    global _gate
    _gate = gate


__all__ = [
    "HASH_WAIT",
    "Busy",
    "Check",
    "HashingGate",
    "Limit",
    "count",
    "fingerprint",
    "forget",
    "hashing_slot",
    "minutes",
    "reset",
    "retry_after",
    "set_gate",
    "take",
]
