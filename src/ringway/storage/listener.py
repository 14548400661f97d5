"""PostgreSQL notifications (``LISTEN``/``NOTIFY``), received on a connection of their own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("ringway.storage")
# libpq's TCP keepalives: a connection whose server went silent (a network lost, not closed)
# is given up within about 20 s rather than the system's two hours, and made again.
KEEPALIVES: dict[str, str | int | None] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
}


class Listener:
    """Listens on ``channel`` and passes the payload of each notification to ``notice``, in
    the order the notifying transactions committed.

    ``notice(None)`` says that notifications may have been missed: it is called each time the
    connection is made (again), once ``LISTEN`` has taken effect, so that whatever was sent
    while no connection listened is looked for then. A lost connection is made again every
    ``retry`` seconds until it succeeds."""

    def __init__(
        self, dsn: str, channel: str, notice: Callable[[str | None], None], retry: float = 0.5
    ) -> None:
        self._dsn, self._channel, self._notice, self._retry = dsn, channel, notice, retry

    async def run(self) -> None:
        """Listen until cancelled."""
        import psycopg

        failing = False
        while True:
            try:
                dsn = psycopg.conninfo.make_conninfo(self._dsn, **KEEPALIVES)
                connection = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
                async with connection:
                    await connection.execute(f"LISTEN {self._channel}")
                    if failing:
                        log.info("listening on %s again", self._channel)
                    failing = False
                    self._notice(None)
                    async for notification in connection.notifies():
                        self._notice(notification.payload)
            except psycopg.Error as exc:
                if not failing:
                    log.warning("lost the connection listening on %s (%s); making it again",
                                self._channel, exc)  # fmt: skip
                failing = True
            await asyncio.sleep(self._retry)
