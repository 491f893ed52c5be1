"""A sliding one-minute window of requests per key (a channel, a client address), in the memory of
the process that serves them (several processes behind a balancer each count their own share: the
README says so). Refusals say how long to wait (`Retry-After`)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_TRACKED = 100_000  # keys remembered at most: random addresses cannot grow the process without bound
WINDOW = 60.0


class RateLimit:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: float | None = None) -> int:
        """0 and the request counted, or the seconds to wait before the next is taken."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= MAX_TRACKED:
                    self._hits.clear()
                hits = self._hits[key] = deque()
            while hits and hits[0] <= moment - WINDOW:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, math.ceil(hits[0] + WINDOW - moment))
            hits.append(moment)
            return 0
