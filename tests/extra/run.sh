#!/usr/bin/env bash
# Fidelity tests that need vendors' own SDKs and AWX's engine (test-only dependencies): the SDKs
# talk to our simulators and sign requests next to our signer. They run in a venv of their own,
# pinned in tests/constraints/extra.{in,txt} like every other venv, so the collection's runtime
# dependencies stay requests and xmltodict.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${ASYNCOPS_COLLECTION_ROOT:-$(cd "$here/../.." && pwd)}
export AO_ROOT=$root   # bootstrap.sh pins venvs from this copy's tests/constraints
# shellcheck source=scripts/bootstrap.sh
. "$root/scripts/bootstrap.sh"
venv=$(ao_venv extra)
# The collection is imported as ansible_collections.asyncops.jobs; a symlinked tree is enough for Python.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/ansible_collections/asyncops"
ln -s "$root" "$tree/ansible_collections/asyncops/jobs"
cd "$tree/ansible_collections/asyncops/jobs"
# tests/extra/doubles: test doubles that do not ship with the simulators role (the AWX API).
PYTHONPATH="$tree:$root/roles/simulators/files:$root/tests/extra/doubles" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/extra "$@"
