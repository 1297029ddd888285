#!/usr/bin/env bash
# Side-by-side throughput: a standalone Zabkeeper and a standalone Apache ZooKeeper 3.8
# (Debian's package), each on its own loopback port and fresh data directory, measured by the
# same `zabkeeper bench` client. Prints both lines; nothing is asserted.
#   tools/bench.sh [CLIENTS] [WRITES_PER_CLIENT] [READ_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-16}
writes=${2:-1000}
read_seconds=${3:-10}
shared=${SHARED:-../shared}
work=$(mktemp -d)
zabkeeper_port=22181
zookeeper_port=22182
cleanup() {
  [ -n "${zabkeeper_pid:-}" ] && kill "$zabkeeper_pid" 2>/dev/null || true
  bash "$shared/tools/apache-zk.sh" stop "$work/zk" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
binary=target/release/zabkeeper

wait_for() { # port
  for _ in $(seq 1 100); do
    # ruok answers while ZooKeeper still loads its database and refuses sessions; srvr
    # names the mode only once the server serves.
    # nc is cut by the timeout (status 124), so its output is judged, not its status.
    answer=$(printf srvr | timeout 1 nc -q1 127.0.0.1 "$1" 2>/dev/null || true)
    grep -q '^Mode: ' <<<"$answer" && return 0
    sleep 0.2
  done
  echo "nothing answers on port $1" >&2
  return 1
}

mkdir -p "$work/zabkeeper"
cat > "$work/zabkeeper/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/zabkeeper/data
clientPort=$zabkeeper_port
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
CFG
"$binary" server --config "$work/zabkeeper/zoo.cfg" 2> "$work/zabkeeper/server.log" &
zabkeeper_pid=$!
bash "$shared/tools/apache-zk.sh" start1 "$work/zk" "$zookeeper_port"
wait_for "$zabkeeper_port"
wait_for "$zookeeper_port"

echo "== Zabkeeper $(git rev-parse --short HEAD)"
"$binary" bench --server "127.0.0.1:$zabkeeper_port" --clients "$clients" --writes "$writes" --read-seconds "$read_seconds"
echo "   resident memory: $(ps -o rss= -p "$zabkeeper_pid") KiB"
echo "== Apache ZooKeeper 3.8 (Debian)"
"$binary" bench --server "127.0.0.1:$zookeeper_port" --clients "$clients" --writes "$writes" --read-seconds "$read_seconds"
echo "   resident memory: $(ps -o rss= -p "$(cat "$work/zk/n1.pid")") KiB"
