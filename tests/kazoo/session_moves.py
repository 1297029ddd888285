"""A kazoo session that moves between two members of a Zabkeeper ensemble (issue 21).

    session_moves.py HOST:PORT,HOST:PORT

A session opened through the first member reconnects with its id and password (kazoo's
client_id) through the second and writes there at once (setData and an ephemeral create);
the connection it left is refused with SessionMovedError. The server then closes that stale
connection, and kazoo's own reconnect path takes the session back to the first member, where
it writes again. Exits non-zero at the first failure.
"""

import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, SessionMovedError

TIMEOUT_S = 20.0


def started(hosts, client_id=None):
    client = KazooClient(hosts=hosts, client_id=client_id, timeout=TIMEOUT_S)
    client.start(timeout=TIMEOUT_S)
    return client


def retried_across_reconnect(what, write):
    """Runs `write` until it succeeds while the client reconnects; other errors fail."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            return write()
        except ConnectionLoss:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: still disconnected after {TIMEOUT_S} s")
            time.sleep(0.05)


def main():
    first_member, second_member = sys.argv[1].split(",")
    first = started(first_member)
    session_id, password = first.client_id
    first.ensure_path("/kazoo-moves")
    first.create("/kazoo-moves/node", b"first")
    first.create("/kazoo-moves/ephemeral-before", b"", ephemeral=True)

    moved = started(second_member, client_id=(session_id, password))
    assert moved.client_id[0] == session_id, "the same session"
    moved.set("/kazoo-moves/node", b"second")
    moved.create("/kazoo-moves/ephemeral-after", b"", ephemeral=True)
    for name in ["ephemeral-before", "ephemeral-after"]:
        _, stat = moved.get(f"/kazoo-moves/{name}")
        assert stat.ephemeralOwner == session_id, f"{name} is the session's"
    try:
        first.set("/kazoo-moves/node", b"stale")
    except SessionMovedError:
        pass
    else:
        raise AssertionError("a write through the member the session left was accepted")
    print(f"moved from {first_member} to {second_member}: writes there, the old connection"
          " answers SessionMovedError")

    # The server closed the first client's stale connection; kazoo reconnects it to the first
    # member, which takes the session back.
    retried_across_reconnect(
        "a write after kazoo reconnected",
        lambda: first.set("/kazoo-moves/node", b"back"),
    )
    first.sync("/kazoo-moves/node")
    data, _ = first.get("/kazoo-moves/node")
    assert data == b"back", data
    print("kazoo's reconnect took the session back to the first member, which writes")
    first.delete("/kazoo-moves", recursive=True)
    # Closing the session through the first client ends the second handle's session too.
    first.stop()
    first.close()
    moved.stop()
    moved.close()


if __name__ == "__main__":
    main()
