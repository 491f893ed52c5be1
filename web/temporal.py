"""The web application's Temporal client, connected on first use in the application's own loop
(the workbench's moves and starts, the delivery news of the SMS gateway's reports)."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from tooling.client import connect


class Temporal:
    """The workbench's Temporal client, connected on first use in the application's own loop."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address
        self.client: Client | None = None
        self.lock = asyncio.Lock()

    async def get(self) -> Client:
        async with self.lock:
            if self.client is None:
                self.client = await connect(self.address)
            return self.client
