"""One retry policy: how long to back off, how much to spend in all, and what deserves a retry.

A backend splits each request into one attempt that either succeeds, fails for good (a
:class:`~dip_sheets.errors.DipError`) or fails for now (:class:`Transient`, naming the cause); the
policy repeats transient failures with exponential backoff and random jitter, bounded by a count
and a time budget, and says one line per wait so a person watching a busy minute knows why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import BackendUnavailable
from .messages import Message
from .ratelimit import backoff_delay

T = TypeVar("T")
log = logging.getLogger(__name__)


class Transient(Exception):
    """One attempt failed in a way a later attempt may not (busy, timed out, connection lost)."""

    def __init__(self, cause: Message, *, may_still_apply: bool = False) -> None:
        super().__init__(cause.en)
        self.cause = cause
        #: the service may have received the request and still be applying it (a timed-out
        #: write): the retry then waits until that late copy has landed (:meth:`RetryPolicy.call`).
        self.may_still_apply = may_still_apply


@dataclass(frozen=True)
class Wait:
    """What :attr:`RetryPolicy.on_wait` hears before each pause."""

    service: str
    cause: Message
    seconds: float
    #: the retry about to be made (1 for the first) and the most there will be.
    retry: int
    retries: int

    def message(self) -> Message:
        return Message(
            f"{self.service}: {self.cause.id}; mencoba lagi dalam {self.seconds:.1f} detik"
            f" (percobaan ulang {self.retry} dari paling banyak {self.retries}).",
            f"{self.service}: {self.cause.en}; retrying in {self.seconds:.1f} s"
            f" (retry {self.retry} of at most {self.retries}).",
        )


def log_wait(wait: Wait) -> None:
    """The default: one warning line per wait (on stderr even when nothing configured logging)."""
    text = wait.message()
    log.warning("%s / %s", text.id, text.en)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry :class:`Transient` failures of one operation; every other error passes at once."""

    #: named in messages, e.g. "Google Sheets".
    service: str
    max_retries: int = 6
    #: seconds of retrying after which a busy or unreachable service gives up.
    budget: float = 120.0
    #: first backoff wait in seconds; it doubles each retry (up to ``cap``), plus up to this much
    #: random jitter, as Google asks of clients hitting its limits.
    base: float = 1.0
    cap: float = 32.0
    on_wait: Callable[[Wait], None] = log_wait
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, started: float) -> float | None:
        """The pause before retry ``attempt + 1``, or ``None`` once the count or the time budget
        (measured from ``started``) would be exceeded."""
        wait = backoff_delay(attempt, self.base, self.cap)
        if attempt >= self.max_retries or self.clock() - started + wait > self.budget:
            return None
        return wait

    def call(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` until it returns, raises a final error, or the policy is spent (then
        :class:`BackendUnavailable` says how often and how long it was tried)."""
        started = self.clock()
        tries = 0
        while True:
            tried = self.clock()
            try:
                return attempt()
            except Transient as failure:
                cause, late = failure.cause, failure.may_still_apply
            wait = self.delay(tries, started)
            if wait is not None and late:
                # a request that timed out after t seconds may still be applied by the service;
                # sending it again sooner than 2t (within the time budget) would let that late
                # copy land after the run's next write and undo it
                now = self.clock()
                wait = max(wait, min(2 * (now - tried), self.budget - (now - started)))
            if wait is None:
                elapsed = self.clock() - started
                raise BackendUnavailable(
                    f"{self.service} sedang sibuk atau tidak dapat dihubungi ({cause.id}); sudah"
                    f" dicoba {tries + 1} kali dalam {elapsed:.0f} detik. Coba lagi beberapa"
                    " menit lagi.",
                    f"{self.service} is busy or unreachable ({cause.en}); tried {tries + 1}"
                    f" times in {elapsed:.0f} s. Try again in a few minutes.",
                ) from None
            tries += 1
            self.on_wait(Wait(self.service, cause, wait, tries, self.max_retries))
            self.sleep(wait)
