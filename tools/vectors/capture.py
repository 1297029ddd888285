#!/usr/bin/env python3
"""Captures ZooKeeper wire frames and txn log records from a real Apache ZooKeeper 3.8 server
and writes them as the hex test vectors under tests/vectors/.

What runs:
  1. Apache ZooKeeper (Debian's `zookeeper` package) standalone on 127.0.0.1, with extended
     types (TTL nodes) enabled and a fast container manager, in a fresh data directory.
  2. A recording TCP proxy in front of it. Every frame that crosses the proxy is stored with
     the label of the scenario step that was running; the drivers set the label through the
     proxy's control port and can ask it to drop or stall connections (to force a reconnect
     with SetWatches, or a session expiry).
  3. The real clients: the Java client library of ZooKeeper 3.8 (VectorDriver.java, run with
     `java VectorDriver.java`), the C client's shell `cli_mt`, and one hand-made 3.4-style
     ConnectRequest without the trailing readOnly byte (no 3.4 client is installable here).
  4. After the server stops, the txn log (version-2/log.*) is split into its records.

Usage (as root on Debian, from the repository root):
  apt-get install -y zookeeper zookeeper-bin netcat-openbsd
  python3 tools/vectors/capture.py tests/vectors

Session ids, zxids and times differ on every run, so regenerating the vectors means updating
the expected records in src/proto/tests/vectors/.
"""

import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ZOOKEEPER_CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
CLI_MT = "/usr/lib/zookeeper/bin/cli_mt"
HERE = os.path.dirname(os.path.abspath(__file__))

# ZooDefs.OpCode names for the file names of the vectors.
OP_NAMES = {
    0: "notification", 1: "create", 2: "delete", 3: "exists", 4: "get-data", 5: "set-data",
    6: "get-acl", 7: "set-acl", 8: "get-children", 9: "sync", 11: "ping", 12: "get-children2",
    13: "check", 14: "multi", 15: "create2", 16: "reconfig", 17: "check-watches",
    18: "remove-watches", 19: "create-container", 20: "delete-container", 21: "create-ttl",
    22: "multi-read", 100: "auth", 101: "set-watches", 102: "sasl", 103: "get-ephemerals",
    104: "get-all-children-number", 105: "set-watches2", 106: "add-watch", 107: "who-am-i",
    -10: "create-session", -11: "close-session", -1: "error",
}
WRITE_OPS = {1, 2, 5, 7, 14, 15, 16, 19, 20, 21, -11}
PING_XID = -2


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recording:
    """Frames seen by the proxy, each tagged with the step label current when it arrived."""

    def __init__(self):
        self.lock = threading.Lock()
        self.label = "unlabelled"
        self.frames = []  # (label, connection, direction, payload)
        self.streams = {}  # (connection, direction) -> raw bytes, length prefixes included

    def add(self, connection, direction, payload, raw):
        with self.lock:
            self.frames.append((self.label, connection, direction, payload))
            self.streams.setdefault((connection, direction), bytearray()).extend(raw)


class Connection:
    def __init__(self, number, client, upstream):
        self.number = number
        self.client = client
        self.upstream = upstream
        self.stalled = False

    def close(self):
        for sock in (self.client, self.upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class Proxy:
    def __init__(self, upstream_port, recording):
        self.upstream_port = upstream_port
        self.recording = recording
        self.connections = []
        # While set, new connections are stalled too: a client whose connection went silent
        # reconnects, and its session must not come back before it expires.
        self.stall_new = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.control = socket.create_server(("127.0.0.1", 0))
        self.control_port = self.control.getsockname()[1]
        threading.Thread(target=self.accept_clients, daemon=True).start()
        threading.Thread(target=self.accept_control, daemon=True).start()

    def accept_clients(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = Connection(len(self.connections), client, upstream)
            connection.stalled = self.stall_new
            self.connections.append(connection)
            for source, sink, direction in ((client, upstream, "c2s"), (upstream, client, "s2c")):
                threading.Thread(
                    target=self.pump, args=(connection, source, sink, direction), daemon=True
                ).start()

    def pump(self, connection, source, sink, direction):
        pending = bytearray()
        while True:
            try:
                chunk = source.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                connection.close()
                return
            if connection.stalled:
                continue
            pending.extend(chunk)
            while len(pending) >= 4:
                (length,) = struct.unpack(">i", pending[:4])
                if len(pending) < 4 + length:
                    break
                raw = bytes(pending[: 4 + length])
                del pending[: 4 + length]
                self.recording.add(connection.number, direction, raw[4:], raw)
            try:
                sink.sendall(chunk)
            except OSError:
                connection.close()
                return

    def command(self, line):
        verb, _, argument = line.partition(" ")
        if verb == "label":
            with self.recording.lock:
                self.recording.label = argument
        elif verb == "drop":
            for connection in self.connections:
                connection.close()
        elif verb == "drop-newest":
            self.connections[-1].close()
        elif verb == "stall-newest":
            self.connections[-1].stalled = True
            self.stall_new = True
        elif verb == "unstall-new":
            self.stall_new = False
        else:
            raise ValueError(f"unknown proxy command {line!r}")

    def accept_control(self):
        while True:
            control, _ = self.control.accept()
            with control, control.makefile("rw") as stream:
                for line in stream:
                    self.command(line.strip())
                    stream.write("ok\n")
                    stream.flush()


def start_zookeeper(workdir, port):
    data = os.path.join(workdir, "data")
    os.makedirs(data)
    config = os.path.join(workdir, "zoo.cfg")
    with open(config, "w") as out:
        out.write(
            "tickTime=2000\n"
            f"dataDir={data}\n"
            f"clientPort={port}\n"
            "clientPortAddress=127.0.0.1\n"
            "admin.enableServer=false\n"
            "4lw.commands.whitelist=*\n"
            # TTL nodes need extended types; the property becomes zookeeper.extendedTypesEnabled.
            "extendedTypesEnabled=true\n"
        )
    log = open(os.path.join(workdir, "zookeeper.log"), "w")
    server = subprocess.Popen(
        [
            "java", "-Xmx512m", "-cp", ZOOKEEPER_CLASSPATH,
            # Empty containers and expired TTL nodes are removed within a second.
            "-Dznode.container.checkIntervalMs=500",
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", config,
        ],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"ruok")
                if probe.recv(4) == b"imok":
                    return server, data
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("ZooKeeper did not start; see " + log.name)


def legacy_connect(port):
    """A 3.4-era ConnectRequest: the five jute fields and no trailing readOnly byte."""
    body = struct.pack(">iqiqi", 0, 0, 4000, 0, 16) + bytes(16)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        (length,) = struct.unpack(">i", receive_exactly(sock, 4))
        receive_exactly(sock, length)


def receive_exactly(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise RuntimeError("connection closed early")
        data.extend(chunk)
    return bytes(data)


def cli_mt(proxy, recording, label, command, read_only=False):
    with recording.lock:
        recording.label = label
    arguments = [CLI_MT, "-h", f"127.0.0.1:{proxy.port}", "-c", command]
    if read_only:
        arguments.append("-r")
    subprocess.run(arguments, check=True, capture_output=True, timeout=60)


def txn_log_records(data_directory):
    """(zxid, type, payload) of every record of every log file; payload is header + txn + digest."""
    records = []
    version_2 = os.path.join(data_directory, "version-2")
    for name in sorted(os.listdir(version_2)):
        if not name.startswith("log."):
            continue
        with open(os.path.join(version_2, name), "rb") as log:
            content = log.read()
        assert content[:4] == b"ZKLG", name
        records.append((None, None, content[:16]))
        offset = 16
        while offset + 12 <= len(content):
            _checksum, length = struct.unpack(">qi", content[offset : offset + 12])
            if length == 0:
                break
            payload = content[offset + 12 : offset + 12 + length]
            assert content[offset + 12 + length] == 0x42, "end-of-record byte"
            (zxid,) = struct.unpack(">q", payload[12:20])
            (txn_type,) = struct.unpack(">i", payload[28:32])
            records.append((zxid, txn_type, payload))
            offset += 12 + length + 1
    return records


def write_hex(path, payload, comments):
    with open(path, "w") as out:
        for comment in comments:
            out.write(f"# {comment}\n")
        for start in range(0, len(payload), 32):
            out.write(payload[start : start + 32].hex() + "\n")


def clear_old_vectors(out_directory):
    for directory in (out_directory, os.path.join(out_directory, "txn")):
        if os.path.isdir(directory):
            for name in os.listdir(directory):
                if name.endswith(".hex"):
                    os.remove(os.path.join(directory, name))


def unique_name(names, name):
    count = names.get(name, 0) + 1
    names[name] = count
    return name if count == 1 else f"{name}-{count}"


def write_vectors(recording, log_records, out_directory):
    clear_old_vectors(out_directory)
    os.makedirs(os.path.join(out_directory, "txn"), exist_ok=True)
    seen_clients = set()
    seen_servers = set()
    request_types = {}  # (connection, xid) -> op code
    write_labels = {}  # zxid -> label of the step whose write it was
    session_labels = {}  # session id -> label of the step that created the session
    names = {}
    for label, connection, direction, payload in recording.frames:
        if direction == "c2s" and connection not in seen_clients:
            seen_clients.add(connection)
            kind, description = "connect-request", "ConnectRequest"
        elif direction == "c2s":
            xid, op = struct.unpack(">ii", payload[:8])
            request_types[(connection, xid)] = op
            if xid == PING_XID and label != "ping":
                continue
            kind, description = "request", f"RequestHeader xid={xid} {OP_NAMES.get(op, op)}"
        elif connection not in seen_servers:
            seen_servers.add(connection)
            (session_id,) = struct.unpack(">q", payload[8:16])
            session_labels.setdefault(session_id, label)
            kind, description = "connect-response", "ConnectResponse"
        else:
            xid, zxid, err = struct.unpack(">iqi", payload[:16])
            if xid == -1:
                kind, description = "notification", "ReplyHeader xid=-1 + WatcherEvent"
            else:
                op = request_types.get((connection, xid))
                if xid == PING_XID and label != "ping":
                    continue
                if op in WRITE_OPS:
                    write_labels.setdefault(zxid, label)
                kind = "response"
                description = (
                    f"ReplyHeader xid={xid} zxid=0x{zxid:x} err={err} for {OP_NAMES.get(op, op)}"
                )
        name = unique_name(names, f"{label}.{kind}")
        write_hex(
            os.path.join(out_directory, name + ".hex"),
            payload,
            [f"step: {label}", f"connection: {connection}", f"frame: {description}"],
        )
    for (connection, direction), raw in recording.streams.items():
        if connection == 0:
            write_hex(
                os.path.join(out_directory, f"stream-connection-0.{direction}.hex"),
                bytes(raw),
                ["every frame of the first session's first connection, length prefixes included",
                 f"direction: {direction}"],
            )
    txn_names = {}
    for zxid, txn_type, payload in log_records:
        if zxid is None:
            write_hex(os.path.join(out_directory, "txn", "file-header.hex"), payload,
                      ["the FileHeader that opens version-2/log.1"])
            continue
        (client_id,) = struct.unpack(">q", payload[:8])
        op_name = OP_NAMES.get(txn_type, str(txn_type))
        if zxid in write_labels:
            label = write_labels[zxid]
        elif txn_type == -10:
            label = session_labels.get(client_id, "server")
        else:
            # Session expiry and the container manager: txns the server makes by itself.
            label = "server"
        name = unique_name(txn_names, f"{label}.{op_name}")
        write_hex(
            os.path.join(out_directory, "txn", name + ".hex"),
            payload,
            [f"step: {label}", f"zxid: 0x{zxid:x}",
             f"txn log record payload: TxnHeader type={op_name}, its txn, TxnDigest if any"],
        )


def main():
    out_directory = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors"
    workdir = tempfile.mkdtemp(prefix="zk-vectors-")
    zookeeper_port = free_port()
    server, data_directory = start_zookeeper(workdir, zookeeper_port)
    try:
        recording = Recording()
        proxy = Proxy(zookeeper_port, recording)
        subprocess.run(
            ["java", "-cp", ZOOKEEPER_CLASSPATH, os.path.join(HERE, "VectorDriver.java"),
             f"127.0.0.1:{proxy.port}", str(proxy.control_port)],
            check=True, timeout=300,
        )
        cli_mt(proxy, recording, "c-client-create2", "create2 /vectors-c-client")
        cli_mt(proxy, recording, "c-client-read-only", "ls /", read_only=True)
        with recording.lock:
            recording.label = "connect-legacy"
        legacy_connect(proxy.port)
        # Let the container manager remove the emptied container and the expired TTL node.
        time.sleep(3)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    write_vectors(recording, txn_log_records(data_directory), out_directory)
    print(f"vectors written to {out_directory}; server files kept in {workdir}")


if __name__ == "__main__":
    main()
