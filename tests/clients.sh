#!/usr/bin/env bash
# Real ZooKeeper clients against Zabkeeper, with Apache ZooKeeper 3.8 as the reference:
#  - a zkCli.sh script run against both servers, outputs compared (times, zxids, session ids
#    normalised away), and the same for the C client's shell cli_mt;
#  - kazoo 2.11.0's own test_client.py and test_lock.py against a standalone Zabkeeper, and
#    test_election.py, test_lock.py and test_client.py against a 3-server Zabkeeper ensemble
#    (the hosts list names all three), then a kazoo session moved between each two members
#    (tests/kazoo/session_moves.py);
#  - kazoo's Lock and the Rust library's Lock contending for one path, on Zabkeeper (standalone
#    and the ensemble) and on Apache ZooKeeper (tests/recipes_mixed/run.sh).
# Needs Debian's zookeeper and zookeeper-bin packages (.ci/run installs them) and python3.
# Every server it starts is stopped when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-$(cd .. && pwd)/shared}
work=$(mktemp -d)
zabkeeper_port=24181
zookeeper_port=24182
ensemble_pids=()
cleanup() {
  [ -n "${zabkeeper_pid:-}" ] && kill "$zabkeeper_pid" 2>/dev/null || true
  for pid in "${ensemble_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  bash "$shared/tools/apache-zk.sh" stop "$work/zk" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # port
  for _ in $(seq 1 150); do
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

cargo build --quiet --bin zabkeeper
mkdir -p "$work/zabkeeper"
cat > "$work/zabkeeper/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/zabkeeper/data
clientPort=$zabkeeper_port
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
CFG
target/debug/zabkeeper server --config "$work/zabkeeper/zoo.cfg" 2> "$work/zabkeeper/server.log" &
zabkeeper_pid=$!
bash "$shared/tools/apache-zk.sh" start1 "$work/zk" "$zookeeper_port"
wait_for "$zabkeeper_port"
wait_for "$zookeeper_port"

echo "== zkCli.sh: the same script against Apache ZooKeeper 3.8 and Zabkeeper"
bash tests/cli/compare.sh tests/cli/zkcli_script.txt "$zookeeper_port" "$zabkeeper_port"

echo "== cli_mt (the C client): the same script against Apache ZooKeeper 3.8 and Zabkeeper"
bash tests/cli/compare_cli_mt.sh tests/cli/cli_mt_script.txt "$zookeeper_port" "$zabkeeper_port"

echo "== kazoo 2.11.0: test_client.py and test_lock.py against Zabkeeper"
# The tests skipped (they need kazoo's managed cluster) are listed with reasons in
# tests/kazoo/SKIPPED.md.
SHARED="$shared" bash tests/kazoo/run.sh "127.0.0.1:$zabkeeper_port"

echo "== kazoo 2.11.0: test_election.py, test_lock.py and test_client.py against a 3-server Zabkeeper ensemble"
hosts=""
for id in 1 2 3; do
  mkdir -p "$work/ensemble$id/data"
  echo "$id" > "$work/ensemble$id/data/myid"
  cat > "$work/ensemble$id/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$work/ensemble$id/data
clientPort=$((24280 + id))
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
server.1=127.0.0.1:24381:24481
server.2=127.0.0.1:24382:24482
server.3=127.0.0.1:24383:24483
CFG
  target/debug/zabkeeper server --config "$work/ensemble$id/zoo.cfg" 2> "$work/ensemble$id/server.log" &
  ensemble_pids+=($!)
  hosts="$hosts${hosts:+,}127.0.0.1:$((24280 + id))"
done
for id in 1 2 3; do wait_for $((24280 + id)); done
KAZOO_TESTS="test_election.py test_lock.py test_client.py" SHARED="$shared" \
  bash tests/kazoo/run.sh "$hosts"

echo "== kazoo 2.11.0: a session moved between each two members of the ensemble (issue 21)"
# Around the ring, so that whichever member leads, the moves include follower to follower,
# follower to leader and leader to follower.
for pair in 1,2 2,3 3,1; do
  ${KAZOO_CACHE:-target/kazoo}/venv/bin/python tests/kazoo/session_moves.py \
    "127.0.0.1:$((24280 + ${pair%,*})),127.0.0.1:$((24280 + ${pair#*,}))"
done

echo "== mixed-language lock: kazoo's Lock (Python) and the Rust library's Lock on one path"
kazoo_python=${KAZOO_CACHE:-target/kazoo}/venv/bin/python
for server in "127.0.0.1:$zabkeeper_port" "127.0.0.1:$zookeeper_port" "$hosts"; do
  echo "-- $server"
  bash tests/recipes_mixed/run.sh "$server" "$kazoo_python"
done
