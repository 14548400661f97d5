"""The test kit's webhook receiver, stopped just as it accepts connections, leaves nothing open
behind it (a transport left for the garbage collector fails a later test with its
ResourceWarning)."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings

from tests.receivers import receiver


async def stop_just_after_accepting(clients: int) -> None:
    """Stop a receiver in the loop iteration after the one in which it accepted ``clients``
    connections, before their transports are made."""
    async with receiver() as hooks:
        port = int(hooks.url.rsplit(":", 1)[1])
        # Connected by the kernel at once: the next iteration's select finds them waiting.
        opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(clients)]
        await asyncio.sleep(0)  # this iteration accepts them, and queues the making of each
        await asyncio.sleep(0)  # this one stops the receiver before any is made
    for client in opened:
        client.close()


def test_a_receiver_stopped_as_it_accepts_connections_leaves_none_open() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        asyncio.run(stop_just_after_accepting(8))
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []
