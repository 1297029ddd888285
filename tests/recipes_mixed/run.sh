#!/usr/bin/env bash
# Mixed-language lock: two kazoo Lock processes (Python) and two processes of the Rust
# library's Lock (examples/lock_contender.rs) contend for one path on the server at HOSTS.
# Each holder owns a marker file created with O_EXCL while it holds, so two holders at once
# fail at once; the shared history is then checked for exclusion and sequence order.
#   tests/recipes_mixed/run.sh HOSTS PYTHON
set -euo pipefail
cd "$(dirname "$0")/../.."
hosts=$1
python=$2
rounds=5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
path="/mixed-lock-$RANDOM$RANDOM"
cargo build --quiet --example lock_contender
pids=()
for name in rust-1 rust-2; do
  timeout 120 target/debug/examples/lock_contender --server "$hosts" --path "$path" \
    --rounds $rounds --hold-ms 20 --marker "$work/held" --history "$work/history" \
    --name "$name" > /dev/null &
  pids+=($!)
done
for name in kazoo-1 kazoo-2; do
  timeout 120 "$python" tests/recipes_mixed/kazoo_contender.py "$hosts" "$path" $rounds 20 \
    "$work/held" "$work/history" "$name" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if [ $failed != 0 ]; then
  echo "a contender failed; the history so far:" >&2
  cat "$work/history" >&2 || true
  exit 1
fi
"$python" tests/recipes_mixed/check_history.py "$work/history" $rounds rust-1 rust-2 kazoo-1 kazoo-2
