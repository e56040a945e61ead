#!/usr/bin/env bash
# Re-resolve tests/constraints/<name>.in against PyPI today and rewrite <name>.txt with the exact
# versions installed (see docs/refreshing-pins.md).
#   scripts/refresh-pins.sh            refresh every constraints file
#   scripts/refresh-pins.sh main lint  refresh only these
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in tests/constraints/*.in; do names+=("$(basename "$f" .in)"); done
fi
tmp=$(mktemp -d /tmp/asyncops-pins-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
refresh() {
  local name=$1 in="tests/constraints/$1.in" pyver py
  pyver=$(ao_venv_python_version "$in"); pyver=${pyver:-3.11}
  py=$(ao_python "$pyver")
  "$py" -m venv "$tmp/$name"
  "$tmp/$name/bin/python" -m pip install "${AO_PIP_FLAGS[@]}" -r "$in"
  {
    echo "# Exact pins for $name.in (Python $("$py" -c 'import platform; print(platform.python_version())')),"
    echo "# written by scripts/refresh-pins.sh on $(date -u +%F). Do not edit by hand."
    "$tmp/$name/bin/python" -m pip freeze --exclude-editable | sort -f
  } >"tests/constraints/$name.txt"
  echo "refreshed tests/constraints/$name.txt"
}
pids=()
for n in "${names[@]}"; do
  [ -f "tests/constraints/$n.in" ] || { echo "no tests/constraints/$n.in" >&2; exit 2; }
  refresh "$n" >"$tmp/$n.log" 2>&1 &
  pids+=("$!:$n")
done
rc=0
for pn in "${pids[@]}"; do
  if ! wait "${pn%%:*}"; then rc=1; echo "FAILED: ${pn#*:}"; cat "$tmp/${pn#*:}.log"; else tail -1 "$tmp/${pn#*:}.log"; fi
done
exit $rc
