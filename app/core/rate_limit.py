"""In-memory sliding-window rate limits for actions that write to the database.

One limiter per action and per application, kept in `app.state`: a count per network address
and one over all addresses (behind a proxy every client may share one address, so the overall
cap is what protects the database then). Nothing is written anywhere; a restart forgets it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.requests import Request

from app.core.config import Settings
from app.core.i18n import ngettext_

_CREATE_LOCK = threading.Lock()
UNKNOWN_CLIENT = "unknown"


class SlidingWindowLimiter:
    """At most `per_client` hits per client and `overall` hits in all, in any `window` seconds.

    Refused hits are not counted, so a client that keeps trying gets through again as soon
    as its oldest counted hit leaves the window. Thread-safe.
    """

    def __init__(
        self,
        per_client: int,
        overall: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_client = per_client
        self.overall = overall
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._all: deque[float] = deque()
        self._by_client: dict[str, deque[float]] = {}
        self._swept_at = clock()

    def hit(self, client: str) -> int | None:
        """Count one hit for `client` and return None, or refuse it: the seconds to wait."""
        with self._lock:
            now = self._clock()
            start = now - self.window
            _drop_before(self._all, start)
            if now - self._swept_at >= self.window:
                # Forget clients whose hits all left the window, so memory stays bounded.
                for key in [k for k, q in self._by_client.items() if not q or q[-1] < start]:
                    del self._by_client[key]
                self._swept_at = now
            mine = self._by_client.setdefault(client, deque())
            _drop_before(mine, start)
            waits = []
            if len(mine) >= self.per_client:
                waits.append(mine[0] + self.window - now)
            if len(self._all) >= self.overall:
                waits.append(self._all[0] + self.window - now)
            if waits:
                return max(1, math.ceil(max(waits)))
            mine.append(now)
            self._all.append(now)
            return None


def _drop_before(hits: deque[float], start: float) -> None:
    while hits and hits[0] <= start:
        hits.popleft()


def limiter_for(request: Request, action: str) -> SlidingWindowLimiter:
    """This application's limiter for `action` (created on first use from its settings)."""
    state = request.app.state
    with _CREATE_LOCK:
        limiters: dict[str, SlidingWindowLimiter] | None = getattr(state, "rate_limiters", None)
        if limiters is None:
            limiters = {}
            state.rate_limiters = limiters
        limiter = limiters.get(action)
        if limiter is None:
            settings: Settings = state.settings
            limiter = SlidingWindowLimiter(
                per_client=settings.save_limit_per_client,
                overall=settings.save_limit_overall,
                window=settings.save_limit_window_seconds,
            )
            limiters[action] = limiter
        return limiter


def check_rate(request: Request, action: str) -> int | None:
    """Count this request against `action`'s limits: None if allowed, else seconds to wait."""
    client = request.client.host if request.client else UNKNOWN_CLIENT
    return limiter_for(request, action).hit(client)


def too_many_attempts(wait: int) -> str:
    """The message for a refused attempt (login, withdrawal, password change), in the
    request's language: how long to wait."""
    return ngettext_(
        "Te veel pogingen in korte tijd. Wacht {n} seconde en probeer dan opnieuw.",
        "Te veel pogingen in korte tijd. Wacht {n} seconden en probeer dan opnieuw.",
        wait,
    ).format(n=wait)
