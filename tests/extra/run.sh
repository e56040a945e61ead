#!/usr/bin/env bash
# Fidelity tests that need vendors' own SDKs (test-only dependencies, pinned in requirements-*.txt):
# the SDKs talk to our simulators and sign requests next to our signer. They run in a venv of
# their own so the collection's runtime dependencies stay requests and xmltodict.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${ASYNCOPS_CACHE:-$HOME/.cache/asyncops-jobs}
python=${ASYNCOPS_EXTRA_PYTHON:-$(ls /root/.pyenv/versions/3.11.*/bin/python3.11 2>/dev/null | head -1)}
python=${python:-python3}
shopt -s nullglob
reqs=("$here"/requirements*.txt)
[ ${#reqs[@]} -gt 0 ] || { echo "no extra requirements"; exit 0; }
stamp=$(cat "${reqs[@]}" | sha256sum | cut -c1-12)
venv="$cache/venv-extra-$stamp"
if [ ! -x "$venv/bin/pytest" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  args=()
  for r in "${reqs[@]}"; do args+=(-r "$r"); done
  "$venv/bin/pip" install -q --disable-pip-version-check "${args[@]}" 2>&1 | grep -v 'is ignored' || true
  "$venv/bin/pytest" --version >/dev/null
fi
# The collection is imported as ansible_collections.asyncops.jobs; a symlinked tree is enough for Python.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/ansible_collections/asyncops"
ln -s "$root" "$tree/ansible_collections/asyncops/jobs"
cd "$tree/ansible_collections/asyncops/jobs"
PYTHONPATH="$tree:$root/roles/simulators/files" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/extra "$@"
