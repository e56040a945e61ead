#!/usr/bin/env bash
# Run a benchmark with the suite's pinned ansible-core venv, from any fresh checkout:
#
#   tests/benchmarks/run.sh ksc_hint_floor [--runs 3]
#   tests/benchmarks/run.sh sbc_token_renewal
#   tests/benchmarks/run.sh solidfire_many_handles [--handles 1000 --baseline-handles 100]
#   tests/benchmarks/run.sh finished_operation [--repeat 15 --instructions]
#
# Benchmarks are never part of scripts/test.sh: they print figures (as ratios against a baseline
# measured in the same run), they do not pass or fail on timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?usage: tests/benchmarks/run.sh NAME [ARGS...]; names: $(find tests/benchmarks -maxdepth 1 -name '*.py' -printf '%f\n' | sed 's/\.py$//' | sort | tr '\n' ' ')}
shift
. scripts/bootstrap.sh
MAIN=$(ao_venv main)
tree=$(mktemp -d /tmp/asyncops-bench-XXXXXX)
trap 'rm -rf "$tree"' EXIT
coll=$(ao_copy "$tree")
export PATH="$MAIN/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$tree" PYTHONPATH="$tree"
cd "$coll"
exec "$MAIN/bin/python" "tests/benchmarks/$name.py" "$@"
