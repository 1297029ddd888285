#!/usr/bin/env bash
# Runs the same script of cli_mt commands (the shell of ZooKeeper's C client, Debian's
# zookeeper-bin) against two servers and compares the outputs, with what legitimately differs
# (times, zxids, session ids, the client's log-line prefixes) normalised away.
#   tests/cli/compare_cli_mt.sh SCRIPT PORT_A PORT_B
#
# Script lines:
#   CMD            fed to one long-lived cli_mt session (started on demand, ended by `quit` or
#                  the end of the script). cli_mt answers asynchronously and drops what is still
#                  pending when its input ends, so after each CMD a `sync /zookeeper` marker is
#                  fed too and its reply awaited: every reply and watch event CMD caused is out
#                  before the next line goes in, and the session (with its ephemerals) lives on.
#   @new CMD       CMD alone in a fresh session (`cli_mt -c CMD`): another client's view. Only
#                  for commands whose reply ends cli_mt's batch mode (not exists, addauth, myid).
#   @zkcli CMD     CMD run by zkCli.sh, for set-up cli_mt can not do (its create always uses the
#                  open ACL, and it has no setAcl); that output is not compared.
#   @expect LINE   not run: LINE (\t for a tab) must be a whole line of both normalised
#                  outputs, so that two empty or broken outputs can not pass as a match.
#   # ..., blank   ignored.
set -euo pipefail
script=$1
cli_mt=/usr/lib/zookeeper/bin/cli_mt
zkcli=/usr/share/zookeeper/bin/zkCli.sh
marker=/zookeeper
work=$(mktemp -d)
cli_pid=
cleanup() {
  if [ -n "$cli_pid" ]; then kill "$cli_pid" 2>/dev/null || true; fi
  # KEEP=1 keeps the raw and normalised outputs for a look after a failure.
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() { # message; shows what the fed session printed so far
  echo "compare_cli_mt: $1" >&2
  if [ -f "$work/fed.log" ]; then sed 's/^/  | /' "$work/fed.log" >&2; fi
  exit 1
}

# The fed session writes to its own log; whatever it printed since the last call is appended to
# the run's output in script order, so a watch event another session triggers lands in the
# chunk of the next fed command on both servers instead of inside that session's output.
fed_done=0
flush_fed() { # out
  local size
  size=$(stat -c %s "$work/fed.log")
  if [ "$size" -gt "$fed_done" ]; then
    dd if="$work/fed.log" iflag=skip_bytes,count_bytes skip="$fed_done" \
      count="$((size - fed_done))" status=none >> "$1"
    fed_done=$size
  fi
}

markers=0
await_marker() {
  local seen
  for _ in $(seq 1 500); do
    seen=$(grep -c "^\[$marker\]: rc = 0\$" "$work/fed.log" || true)
    [ "$seen" -ge "$markers" ] && return 0
    kill -0 "$cli_pid" 2>/dev/null || fail "cli_mt ended before answering marker $markers"
    sleep 0.02
  done
  fail "no reply to marker $markers within 10 s"
}

start_fed() { # port
  rm -f "$work/in" "$work/fed.log"
  mkfifo "$work/in"
  : > "$work/fed.log"
  fed_done=0
  markers=0
  # TZ fixes how the zero time (Thu Jan  1 00:00:00 1970) prints; timeout bounds the session.
  TZ=UTC timeout 120 "$cli_mt" -h "127.0.0.1:$1" < "$work/in" > "$work/fed.log" 2>&1 &
  cli_pid=$!
  exec 3> "$work/in"
}

end_fed() { # out
  local rc=0
  echo quit >&3
  exec 3>&-
  wait "$cli_pid" || rc=$?
  cli_pid=
  flush_fed "$1"
  [ "$rc" = 0 ] || fail "cli_mt session exited with status $rc"
}

run() { # port out
  local port=$1 out=$2 line cmd rc words
  : > "$out"
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      '' | '#'*) ;;
      '@expect '*) ;;
      '@new '*)
        cmd=${line#@new }
        echo "> new session: $cmd" >> "$out"
        rc=0
        TZ=UTC timeout 20 "$cli_mt" -h "127.0.0.1:$port" -c "$cmd" < /dev/null >> "$out" 2>&1 || rc=$?
        [ "$rc" = 0 ] || fail "cli_mt -c '$cmd' exited with status $rc"
        ;;
      '@zkcli '*)
        read -ra words <<< "${line#@zkcli }"
        timeout 60 "$zkcli" -server "127.0.0.1:$port" "${words[@]}" < /dev/null > "$work/zkcli.log" 2>&1 \
          || fail "zkCli.sh ${words[*]} failed: $(tail -3 "$work/zkcli.log")"
        ;;
      quit)
        if [ -n "$cli_pid" ]; then echo "> quit" >> "$out"; end_fed "$out"; fi
        ;;
      '@'*) fail "unknown directive: $line" ;;
      *)
        [ -n "$cli_pid" ] || start_fed "$port"
        echo "> $line" >> "$out"
        markers=$((markers + 1))
        printf '%s\nsync %s\n' "$line" "$marker" >&3
        await_marker
        flush_fed "$out"
        ;;
    esac
  done < "$script"
  if [ -n "$cli_pid" ]; then end_fed "$out"; fi
}

# Apache ZooKeeper lists children in its hash set's order, which no client may rely on; the
# children a list reply prints (tab-indented after "PATH: rc = 0") are sorted.
sort_children() {
  awk '
    function flush(  i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && kids[j - 1] > kids[j]; j--) {
        t = kids[j]; kids[j] = kids[j - 1]; kids[j - 1] = t
      }
      for (i = 1; i <= n; i++) print kids[i]
      n = 0
    }
    listing && /^\t/ && !/^\tctime = / { kids[++n] = $0; next }
    { flush(); print; listing = /^\/[^ ]*: rc = 0$/ }
    END { flush() }
  '
}

normalise() {
  sort_children | sed -E \
    -e "/^\[${marker//\//\\/}\]: rc = 0\$/{N;/\n\tname = ${marker//\//\\/}\$/d}" \
    -e '/^time = [0-9]+ msec$/d' \
    -e 's/^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+:[0-9]+\(0x[0-9a-f]+\):(ZOO_[A-Z]+@)/\1/' \
    -e 's/(Got a new session id: )0x[0-9a-f]+/\1SESSION/' \
    -e 's/(ephemeralOwner = )[0-9a-f]*[1-9a-f][0-9a-f]*$/\1SESSION/' \
    -e 's/((czxid|mzxid)=)[0-9a-f]*[1-9a-f][0-9a-f]*$/\1ZXID/' \
    -e '/(ctime = |mtime=)Thu Jan  1 00:00:00 1970$/!s/(ctime = |mtime=).*/\1TIME/' \
    -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' \
  | gather_log_lines
}

# The C client logs from its I/O thread while the watcher prints from its completion thread, so
# where a log line falls among the other lines is a race in the client; the log lines are
# compared as a sorted block at the end instead.
gather_log_lines() {
  awk '
    /^ZOO_[A-Z]+@/ { logs[++n] = $0; next }
    { print }
    END {
      if (n) print "> client log lines:"
      for (i = 2; i <= n; i++) for (j = i; j > 1 && logs[j - 1] > logs[j]; j--) {
        t = logs[j]; logs[j] = logs[j - 1]; logs[j - 1] = t
      }
      for (i = 1; i <= n; i++) print logs[i]
    }
  '
}

a=$work/a; b=$work/b
run "$2" "$work/raw_a"; normalise < "$work/raw_a" > "$a"
run "$3" "$work/raw_b"; normalise < "$work/raw_b" > "$b"
if ! diff -u --label "port $2" --label "port $3" "$a" "$b"; then
  echo "cli_mt outputs differ" >&2
  exit 1
fi
# Both outputs are equal; make sure they say what the script is there to show.
missing=0
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    '@expect '*)
      expected=${line#@expect }
      expected=${expected//\\t/$'\t'}
      if ! grep -Fxq -- "$expected" "$a"; then
        echo "expected line missing from both outputs: ${line#@expect }" >&2
        missing=1
      fi
      ;;
  esac
done < "$script"
if [ "$missing" != 0 ]; then
  sed 's/^/  | /' "$a" >&2
  exit 1
fi
echo "cli_mt outputs match ($(wc -l < "$a") lines)"
