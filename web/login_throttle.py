"""Throttling of log-ins per account and per client address, with a temporary lockout.

Kept in the memory of the process that serves log-ins (one codec server; several behind a
balancer would each count their own share: the README says so). The lockout is logged as an audit
record naming the account and the address, never the password.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from policies.loading import load_policy

log = logging.getLogger("appeals.login")


MAX_TRACKED = 100_000  # keys remembered at most: random user names cannot grow the process without bound


@dataclass
class LoginThrottle:
    max_per_account: int
    max_per_address: int
    window: timedelta
    lockout: timedelta
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _locked_until: dict[str, datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_policy(cls) -> LoginThrottle:
        data = load_policy("identity")
        return cls(
            int(data["login_max_failures_per_account"]),
            int(data["login_max_failures_per_address"]),
            timedelta(seconds=int(data["login_window_seconds"])),
            timedelta(seconds=int(data["login_lockout_seconds"])),
        )

    @staticmethod
    def keys(user: str, address: str) -> list[str]:
        return [f"user:{user[:100]}", f"address:{address[:64]}"]

    def locked(self, user: str, address: str, now: datetime) -> datetime | None:
        """Until when the account or the address is locked (None: neither is)."""
        with self._lock:
            until = [self._locked_until[k] for k in self.keys(user, address) if self._locked_until.get(k, now) > now]
        return max(until) if until else None

    def failed(self, user: str, address: str, now: datetime) -> None:
        """Count a failed log-in; lock what passed the limit within the window."""
        with self._lock:
            if len(self._failures) > MAX_TRACKED:
                self._forget(now)
            for key, limit in zip(self.keys(user, address), (self.max_per_account, self.max_per_address), strict=True):
                seen = self._failures.setdefault(key, deque())
                seen.append(now)
                while seen and seen[0] <= now - self.window:
                    seen.popleft()
                if len(seen) >= limit and self._locked_until.get(key, now) <= now:
                    self._locked_until[key] = now + self.lockout
                    seen.clear()
                    log.warning(
                        "log-in locked: %s until %s after %d failures",
                        key,
                        (now + self.lockout).isoformat(),
                        limit,
                    )

    def _forget(self, now: datetime) -> None:
        """Drop what no longer counts (failures out of the window, lockouts over); if still too
        many, the oldest half."""
        for key in [k for k, seen in self._failures.items() if not seen or seen[-1] <= now - self.window]:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]
        if len(self._failures) > MAX_TRACKED:
            for key in sorted(self._failures, key=lambda k: self._failures[k][-1])[: len(self._failures) // 2]:
                del self._failures[key]

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self.keys(user, address)[0], None)
