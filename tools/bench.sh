#!/usr/bin/env bash
# Zabkeeper and Apache ZooKeeper 3.8 (Debian's package) side by side under the same
# `zabkeeper bench` load: standalone, then as 3-server loopback ensembles, one system running
# at a time, each from fresh data directories with ZooKeeper's default tick settings
# (tickTime=2000, initLimit=10, syncLimit=5). For every setup: read, write, create, mix and
# sync-read (sync, then getData) throughput with p50/p99/p999 latency; for the ensembles also
# a failover run (writes from every session while the leader is killed with SIGKILL 3 s in:
# the longest stretch without an acknowledged write). Prints every bench line, then a table
# with the ratios. Asserts nothing.
#   tools/bench.sh [SECONDS_PER_RUN] [SESSIONS] [OUTSTANDING_PER_SESSION]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
sessions=${2:-16}
outstanding=${3:-8}
shared=${SHARED:-$(cd .. && pwd)/shared}
work=$(mktemp -d)
binary=target/release/zabkeeper
zabkeeper_pids=()
cleanup() {
  for pid in "${zabkeeper_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  bash "$shared/tools/apache-zk.sh" stop "$work/zk1" 2>/dev/null || true
  bash "$shared/tools/apache-zk.sh" stop "$work/zk3" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -f /usr/share/java/zookeeper.jar ] || ! command -v nc >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper netcat-openbsd >/dev/null
  else
    echo "needs Apache ZooKeeper and netcat: apt-get install zookeeper netcat-openbsd" >&2
    exit 1
  fi
fi
cargo build --release --quiet --bin zabkeeper

wait_for() { # port
  for _ in $(seq 1 300); do
    # srvr names the mode only once the server serves; nc is cut by the timeout.
    answer=$(printf srvr | timeout 1 nc -q1 127.0.0.1 "$1" 2>/dev/null || true)
    grep -q '^Mode: ' <<<"$answer" && return 0
    sleep 0.2
  done
  echo "nothing serves on port $1" >&2
  return 1
}

mode_of() { # port
  printf srvr | timeout 1 nc -q1 127.0.0.1 "$1" 2>/dev/null | sed -n 's/^Mode: //p' || true
}

# The same zoo.cfg lines apache-zk.sh writes for ZooKeeper.
zabkeeper_config() { # directory id client_port [server lines...]
  local directory=$1 id=$2 port=$3
  shift 3
  mkdir -p "$directory/data"
  echo "$id" > "$directory/data/myid"
  {
    printf 'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%s\n' "$directory/data"
    printf 'clientPort=%s\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n' "$port"
    for line in "$@"; do echo "$line"; done
  } > "$directory/zoo.cfg"
}

start_zabkeeper() { # directory
  "$binary" server --config "$1/zoo.cfg" 2> "$1/server.log" &
  zabkeeper_pids+=($!)
}

stop_zabkeeper() {
  for pid in "${zabkeeper_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${zabkeeper_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  zabkeeper_pids=()
}

results="$work/results"
: > "$results"
# Runs every workload against the connect string; records "setup system workload line".
bench_all() { # setup system connect_string
  for workload in read write create mix sync-read; do
    line=$("$binary" bench --server "$3" --workload "$workload" --seconds "$seconds" \
      --sessions "$sessions" --outstanding "$outstanding")
    echo "$1 $2: $line"
    echo "$1|$2|$workload|$line" >> "$results"
  done
}

# Writes from every session for 10 s; 3 s in, the leader (found by srvr on PORTS) is killed.
failover() { # setup system connect_string kill_command_for_leader
  "$binary" bench --server "$3" --workload write --seconds 10 \
    --sessions "$sessions" --outstanding 1 > "$work/failover.out" &
  local bench_pid=$!
  sleep 3
  eval "$4"
  wait "$bench_pid"
  line=$(cat "$work/failover.out")
  echo "$1 $2 failover: $line"
  echo "$1|$2|failover|$line" >> "$results"
}

echo "== standalone: Zabkeeper $(git rev-parse --short HEAD)"
zabkeeper_config "$work/zabkeeper1" 1 22181
start_zabkeeper "$work/zabkeeper1"
wait_for 22181
bench_all standalone zabkeeper 127.0.0.1:22181
zabkeeper_rss=$(ps -o rss= -p "${zabkeeper_pids[0]}")
stop_zabkeeper

echo "== standalone: Apache ZooKeeper 3.8 (Debian)"
bash "$shared/tools/apache-zk.sh" start1 "$work/zk1" 22182
wait_for 22182
bench_all standalone zookeeper 127.0.0.1:22182
zookeeper_rss=$(ps -o rss= -p "$(cat "$work/zk1/n1.pid")")
bash "$shared/tools/apache-zk.sh" stop "$work/zk1"

echo "== 3-server ensembles on loopback: Zabkeeper"
servers=("server.1=127.0.0.1:22311:22321" "server.2=127.0.0.1:22312:22322" "server.3=127.0.0.1:22313:22323")
for id in 1 2 3; do
  zabkeeper_config "$work/zabkeeper3/$id" "$id" $((22300 + id)) "${servers[@]}"
  start_zabkeeper "$work/zabkeeper3/$id"
done
for id in 1 2 3; do wait_for $((22300 + id)); done
zabkeeper_hosts=127.0.0.1:22301,127.0.0.1:22302,127.0.0.1:22303
bench_all ensemble zabkeeper "$zabkeeper_hosts"
kill_zabkeeper_leader() {
  for id in 1 2 3; do
    if [ "$(mode_of $((22300 + id)))" = leader ]; then
      kill -9 "${zabkeeper_pids[$((id - 1))]}"
    fi
  done
}
failover ensemble zabkeeper "$zabkeeper_hosts" kill_zabkeeper_leader
stop_zabkeeper

echo "== 3-server ensembles on loopback: Apache ZooKeeper 3.8"
bash "$shared/tools/apache-zk.sh" start3 "$work/zk3" 22400
for id in 1 2 3; do wait_for $((22400 + id)); done
zookeeper_hosts=127.0.0.1:22401,127.0.0.1:22402,127.0.0.1:22403
bench_all ensemble zookeeper "$zookeeper_hosts"
kill_zookeeper_leader() {
  kill -9 "$(cat "$(bash "$shared/tools/apache-zk.sh" leader "$work/zk3")")"
}
failover ensemble zookeeper "$zookeeper_hosts" kill_zookeeper_leader
bash "$shared/tools/apache-zk.sh" stop "$work/zk3"

# The figures of one result line.
field() { # setup system workload pattern
  grep "^$1|$2|$3|" "$results" | grep -oE "$4" | head -1 | grep -oE '[0-9.]+' | tail -1
}

echo
echo "== summary ($sessions sessions x $outstanding outstanding, ${seconds} s per run, $(nproc) cores)"
printf '| setup | workload | Zabkeeper ops/s | ZooKeeper ops/s | ratio | Zabkeeper p99 ms | ZooKeeper p99 ms |\n'
printf '|---|---|---|---|---|---|---|\n'
for setup in standalone ensemble; do
  for workload in read write create mix sync-read; do
    ours=$(field $setup zabkeeper $workload '[0-9]+ ops/s')
    theirs=$(field $setup zookeeper $workload '[0-9]+ ops/s')
    ours_p99=$(field $setup zabkeeper $workload 'p99 [0-9.]+')
    theirs_p99=$(field $setup zookeeper $workload 'p99 [0-9.]+')
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$setup" "$workload" "$ours" "$theirs" "$ratio" "$ours_p99" "$theirs_p99"
  done
done
printf '| ensemble | leader kill -9: longest write gap | %s ms | %s ms | | | |\n' \
  "$(field ensemble zabkeeper failover 'longest gap [0-9]+')" \
  "$(field ensemble zookeeper failover 'longest gap [0-9]+')"
printf '| standalone | resident memory after the runs | %s MB | %s MB | | | |\n' \
  $((zabkeeper_rss / 1024)) $((zookeeper_rss / 1024))
