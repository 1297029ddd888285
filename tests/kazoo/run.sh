#!/usr/bin/env bash
# kazoo's own test modules (test_client.py and test_lock.py unless KAZOO_TESTS names others)
# from its PyPI source distribution, pointed at already running servers through
# ../shared/tools/kazoo_external.py.
#   [KAZOO_TESTS="test_election.py ..."] tests/kazoo/run.sh HOST:PORT[,HOST:PORT...] [pytest args...]
# Tests that need a multi-server ensemble, TLS, SASL or stopping the server are skipped by the
# plugin; SKIPPED.md lists them with the reason.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$here/../../../shared}
hosts=$1; shift
cache=${KAZOO_CACHE:-$here/../../target/kazoo}
if [ ! -x "$cache/venv/bin/pytest" ]; then
  mkdir -p "$cache"
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install -q --upgrade pip
  "$cache/venv/bin/pip" download -q --no-binary :all: --no-deps kazoo==2.11.0 -d "$cache"
  tar -xzf "$cache"/kazoo-2.11.0.tar.gz -C "$cache"
  "$cache/venv/bin/pip" install -q -e "$cache/kazoo-2.11.0[test]" 'pyopenssl<24.3'
fi
cd "$cache/kazoo-2.11.0"
modules=()
for module in ${KAZOO_TESTS:-test_client.py test_lock.py}; do
  modules+=("kazoo/tests/$module")
done
CI=true ZOOKEEPER_VERSION=3.8.0 ZK_EXTERNAL_HOSTS="$hosts" PYTHONPATH="$shared/tools" \
  timeout 900 "$cache/venv/bin/pytest" -p kazoo_external -q \
  "${modules[@]}" "$@"
