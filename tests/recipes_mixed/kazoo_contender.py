"""A kazoo Lock contender for the mixed-language lock test (tests/recipes_mixed/run.sh).

Acquires kazoo's Lock on PATH ROUNDS times beside the Rust library's lock on the same path.
While holding it owns MARKER (created with O_EXCL, so two holders at once cannot both own it)
and appends "<name> acquired|released <sequence>" lines to HISTORY, as the Rust contender
example does.

    kazoo_contender.py HOSTS PATH ROUNDS HOLD_MS MARKER HISTORY NAME
"""

import os
import sys
import time

from kazoo.client import KazooClient


def record(history, name, event, sequence):
    with open(history, "a") as file:
        file.write(f"{name} {event} {sequence}\n")


def main():
    hosts, path, rounds, hold_ms, marker, history, name = sys.argv[1:8]
    client = KazooClient(hosts=hosts, timeout=10)
    client.start(timeout=30)
    lock = client.Lock(path, name)
    for _ in range(int(rounds)):
        if not lock.acquire(timeout=60):
            sys.exit(f"{name}: the lock was not acquired within 60 s")
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(descriptor)
        sequence = int(lock.node[-10:])
        record(history, name, "acquired", sequence)
        time.sleep(int(hold_ms) / 1000)
        record(history, name, "released", sequence)
        os.remove(marker)
        lock.release()
    client.stop()
    client.close()


if __name__ == "__main__":
    main()
