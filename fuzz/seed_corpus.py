"""Builds the seed corpus of the fuzz targets from the project's own captures of Apache
ZooKeeper 3.8 (tests/vectors, tests/fixtures) and sample configurations. The quorum frames'
seeds are written by `cargo test --test fuzz_corpus -- --ignored write_quorum_seeds`, since only
Zabkeeper speaks that protocol. Run from the repository root: python3 fuzz/seed_corpus.py
"""

import glob
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def hex_file(path):
    with open(path) as file:
        return bytes.fromhex("".join(line.strip() for line in file if not line.startswith("#")))


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as file:
        file.write(data)


def client_frames():
    vectors = os.path.join(ROOT, "tests", "vectors")
    write("client_frames", "stream-connection-0", hex_file(os.path.join(vectors, "stream-connection-0.c2s.hex")))
    connect = hex_file(os.path.join(vectors, "connect.connect-request.hex"))
    for path in sorted(glob.glob(os.path.join(vectors, "*.request*.hex"))):
        name = os.path.basename(path)[: -len(".hex")]
        write("client_frames", name, frame(connect) + frame(hex_file(path)))
    for path in sorted(glob.glob(os.path.join(vectors, "*.connect-request.hex"))):
        write("client_frames", os.path.basename(path)[: -len(".hex")], frame(hex_file(path)))


def storage():
    version_2 = os.path.join(ROOT, "tests", "fixtures", "zk38-datadir", "data", "version-2")
    for path in sorted(glob.glob(os.path.join(version_2, "log.*"))):
        with open(path, "rb") as file:
            data = file.read().rstrip(b"\0")
        # Keep the zeros that end a preallocated file, a few of them.
        write("txn_log", "zk38-" + os.path.basename(path), data + b"\0" * 16)
    for path in sorted(glob.glob(os.path.join(version_2, "snapshot.*"))):
        with open(path, "rb") as file:
            write("snapshot", "zk38-" + os.path.basename(path), file.read())


def config():
    testdata = os.path.join(ROOT, "src", "config", "testdata")
    for path in sorted(glob.glob(os.path.join(testdata, "*.cfg"))):
        with open(path, "rb") as file:
            write("config", os.path.basename(path), file.read())
    write("config", "minimal.cfg", b"tickTime=2000\ndataDir=/tmp/zk\nclientPort=2181\n")
    write(
        "config",
        "ensemble-observer.cfg",
        b"tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/zk\nclientPort=2181\n"
        b"server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888:observer\n"
        b"4lw.commands.whitelist=srvr, mntr,ruok\nautopurge.snapRetainCount=3\n",
    )


def server_session():
    # The client streams, whole (a first byte 0) and one in 3-byte pieces, and a four-letter word.
    seeds = os.path.join(CORPUS, "client_frames")
    for name in sorted(os.listdir(seeds)):
        with open(os.path.join(seeds, name), "rb") as file:
            write("server_session", name, b"\0" + file.read())
    with open(os.path.join(seeds, "stream-connection-0"), "rb") as file:
        write("server_session", "stream-connection-0-in-3-byte-chunks", b"\3" + file.read())
    write("server_session", "four-letter-word-ruok", b"\0ruok")


def data_tree():
    # Op choices are read from the bytes: a counting pattern, and a fixed pseudo-random one.
    write("data_tree", "counting", bytes(range(20)) * 20)
    state, noise = 12345, bytearray()
    for _ in range(600):
        state = (state * 1103515245 + 12345) % 2**31
        noise.append(state >> 16 & 0xFF)
    write("data_tree", "pseudo-random-600", bytes(noise))
    # The same patterns drive the request-preparation target's choices.
    write("request_preparation", "counting", bytes(range(20)) * 20)
    write("request_preparation", "pseudo-random-600", bytes(noise))


if __name__ == "__main__":
    client_frames()
    storage()
    config()
    server_session()
    data_tree()
