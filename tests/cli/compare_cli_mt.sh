#!/usr/bin/env bash
# Runs the same script through Apache ZooKeeper's C client shell (cli_mt, Debian's
# zookeeper-bin) against two servers and compares the outputs, with what legitimately differs
# (times, zxids, session ids, the order of children) normalised away. A second session then
# lists the script's node again: the first session's ephemeral must be gone with it.
#   tests/cli/compare_cli_mt.sh SCRIPT PORT_A PORT_B
set -euo pipefail
script=$1
cli_mt=/usr/lib/zookeeper/bin/cli_mt
run() { # port
  # cli_mt reads its shell commands as they come and runs them asynchronously: a command piped
  # in before the previous one answered can overtake it (even the quit), so each waits a little.
  {
    sleep 1
    while IFS= read -r command; do
      echo "$command"
      sleep 0.3
    done < "$script"
    echo quit
  } | timeout 120 "$cli_mt" -h "127.0.0.1:$1" 2>&1 | normalise
  timeout 30 "$cli_mt" -h "127.0.0.1:$1" -c "ls /cm" 2>&1 | normalise
  # The ephemeral went with the first session: /cm is empty and goes too, so the script can run
  # again on the same server.
  timeout 30 "$cli_mt" -h "127.0.0.1:$1" -c "delete /cm" 2>&1 | normalise
}
normalise() {
  sed -E \
    -e '/^Watcher SESSION_EVENT state = CONNECTED_STATE$/d' \
    -e 's/^Got a new session id: 0x[0-9a-f]+$/Got a new session id: SESSION/' \
    -e 's/^time = [0-9]+ msec$/time = T msec/' \
    -e 's/^(\s*)(ctime|mtime) ?= ?.*/\1\2 = TIME/' \
    -e 's/^(\s*)([cm]zxid)=[0-9a-f]+$/\1\2=ZXID/' \
    -e 's/ephemeralOwner = [1-9a-f][0-9a-f]*$/ephemeralOwner = SESSION/' |
    sort_children
}
# Children come in the server's own order (Apache ZooKeeper's is a hash set's); cli_mt prints
# them as they come, one per tab-indented line, so each run of them is sorted.
sort_children() {
  local line run=()
  while IFS= read -r line; do
    if [[ $line =~ ^$'\t'[^\ =]+$ ]]; then
      run+=("$line")
      continue
    fi
    if ((${#run[@]})); then printf '%s\n' "${run[@]}" | LC_ALL=C sort; run=(); fi
    printf '%s\n' "$line"
  done
  if ((${#run[@]})); then printf '%s\n' "${run[@]}" | LC_ALL=C sort; fi
}
a=$(mktemp); b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
run "$2" > "$a"
run "$3" > "$b"
# Both sides empty, or both refused, would "match": the reference must show the script ran.
for expected in 'name = /cm/s-0000000001' '/cm: rc = 0' 'rc = -110' 'rc = -111' 'hello' 'eph' 'ephemeralOwner = SESSION'; do
  if ! grep -qF -- "$expected" "$a"; then
    echo "cli_mt against port $2 did not print '$expected':" >&2
    cat "$a" >&2
    exit 1
  fi
done
if diff -u "$a" "$b"; then
  echo "cli_mt outputs match ($(wc -l < "$a") lines)"
else
  echo "cli_mt outputs differ" >&2
  exit 1
fi
