#!/usr/bin/env bash
# Runs the same zkCli.sh script against two servers and compares the outputs, with what
# legitimately differs (times, zxids, session ids, the client's log lines) normalised away.
#   tests/cli/compare.sh SCRIPT PORT_A PORT_B
set -euo pipefail
script=$1
zkcli=/usr/share/zookeeper/bin/zkCli.sh
run() { # port
  # zkCli exits with the status of its last failed command; the output is what is compared.
  { timeout 120 "$zkcli" -server "127.0.0.1:$1" < "$script" 2>&1 || true; } | normalise
}
normalise() {
  sed -E \
    -e '/^[0-9]{4}-[0-9]{2}-[0-9]{2} /d' \
    -e '/^(Connecting to|Welcome to ZooKeeper|JLine support|WATCHER::|WatchedEvent state:|$)/d' \
    -e '/^\[zk: /d' \
    -e '/^SLF4J: /d' \
    -e 's/(ctime|mtime) = .*/\1 = TIME/' \
    -e 's/([cmp]Zxid) = 0x[0-9a-f]+/\1 = ZXID/' \
    -e 's/ephemeralOwner = 0x[0-9a-f]+/ephemeralOwner = SESSION/' \
    -e 's/(seq-)[0-9]{10}/\1N/g'
}
a=$(mktemp); b=$(mktemp)
run "$2" > "$a"
run "$3" > "$b"
if diff -u "$a" "$b"; then
  echo "zkCli outputs match ($(wc -l < "$a") lines)"
else
  echo "zkCli outputs differ" >&2
  exit 1
fi
