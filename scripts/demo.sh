#!/usr/bin/env bash
# The demo: build the collection from this checkout, install it into a private collections path
# and run playbooks/demo.yml with the pinned ansible-core of tests/constraints/main.txt.
#
#   scripts/demo.sh [extra ansible-playbook arguments, e.g. -v]
#
# Nothing is installed outside ${ASYNCOPS_CACHE:-~/.cache/asyncops-jobs} and a temporary directory;
# set ASYNCOPS_KEEP_WORK=1 to keep that directory (it holds the tarball and installed collection).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. scripts/bootstrap.sh

PLAYBOOK=${ASYNCOPS_DEMO_PLAYBOOK:-playbooks/demo.yml}
[ -f "$PLAYBOOK" ] || { echo "demo: $PLAYBOOK not found" >&2; exit 1; }

echo "demo: preparing the pinned ansible-core venv (first run downloads it, later runs reuse it)" >&2
MAIN=$(ao_venv main)

WORK=$(mktemp -d /tmp/asyncops-demo-XXXXXX)
if [ "${ASYNCOPS_KEEP_WORK:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; else echo "demo: work dir $WORK" >&2; fi

# Build from a clean copy of the checkout (tracked files plus untracked files that are not
# ignored), exactly as a user would get it from a release tarball.
SRC=$(ao_copy "$WORK/src")
"$MAIN/bin/ansible-galaxy" collection build --force --output-path "$WORK/dist" "$SRC" >&2
"$MAIN/bin/ansible-galaxy" collection install --offline --force \
  -p "$WORK/collections" "$WORK"/dist/*.tar.gz >&2

export PATH="$MAIN/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
export ANSIBLE_STDOUT_CALLBACK=default
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_LOCALHOST_WARNING=False
export ANSIBLE_INVENTORY_UNPARSED_WARNING=False
export ANSIBLE_RETRY_FILES_ENABLED=False
cd "$ROOT"
"$MAIN/bin/ansible-playbook" "$PLAYBOOK" "$@"
