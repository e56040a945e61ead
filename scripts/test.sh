#!/usr/bin/env bash
# The whole test suite of the asyncops.jobs collection: one command, from a fresh clone, with
# nothing installed by hand (scripts/bootstrap.sh builds pinned venvs from tests/constraints/).
#
#   scripts/test.sh
#
# Steps (in order; each prints "::: step NAME", then "::: step NAME OK|FAILED (Ns)"):
#   setup               get-pip stand-ins, pythonX.Y symlinks, copy of the checkout under
#                       $WORK/ansible_collections/asyncops/jobs (tracked + untracked-not-ignored files)
#   venvs               build / reuse the pinned venvs: main and docs now, the others in the background
#   changelog-lint      antsibull-changelog lint
#   no-sanity-ignores   tests/sanity/ignore-*.txt must be empty (problems are fixed, not ignored)
#   sanity              ansible-test sanity, ansible-core 2.19, every interpreter found
#   units               ansible-test units --venv --requirements, every Python ansible-test selects
#   integration         ansible-test integration --python 3.11 (local, controller)
#   ansible-lint        ansible-lint --offline --profile production
#   build               ansible-galaxy collection build
#   galaxy-importer     Galaxy's import checks on the built tarball (its ansible-test step off)
#   docs-lint           antsibull-docs lint-collection-docs --plugin-docs .
#   builder-introspect  ansible-builder introspect --sanitize (meta/execution-environment.yml)
#   sanity-2.16 units-2.16 integration-2.16   ansible-core 2.16 on Python 3.11
#   sanity-2.21 units-2.21 integration-2.21   ansible-core 2.21 on Python 3.12
#   extra               tests/extra/run.sh, when that file exists (a hook for more test helpers)
# tests/benchmarks/ is never run from here.
#
# Environment:
#   ASYNCOPS_STEPS="sanity units"  run only these steps (setup and venvs always run)
#   ASYNCOPS_QUICK=1               skip the ansible-core 2.16 / 2.21 compatibility steps
#   ASYNCOPS_CACHE=DIR             where venvs live (default ~/.cache/asyncops-jobs)
#   ASYNCOPS_WORK=DIR              work directory (default: a new /tmp/asyncops-test-* dir)
#   ASYNCOPS_KEEP_WORK=1           keep the work directory (tests/output, tarball) afterwards
#
# Ends with the line "N passed, N failed"; exits non-zero when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
. scripts/bootstrap.sh

ALL_STEPS=(changelog-lint no-sanity-ignores sanity units integration ansible-lint build
  galaxy-importer docs-lint builder-introspect
  sanity-2.16 units-2.16 integration-2.16 sanity-2.21 units-2.21 integration-2.21 extra)
COMPAT_STEPS=" sanity-2.16 units-2.16 integration-2.16 sanity-2.21 units-2.21 integration-2.21 "
ONLY=" ${ASYNCOPS_STEPS:-} "
ONLY=${ONLY//,/ }
QUICK=${ASYNCOPS_QUICK:-0}

for s in ${ASYNCOPS_STEPS:-}; do
  s=${s//,/}
  [[ " ${ALL_STEPS[*]} setup venvs " == *" $s "* ]] || {
    echo "ASYNCOPS_STEPS: unknown step '$s'; steps are: ${ALL_STEPS[*]}" >&2; exit 2; }
done

# want STEP: is STEP selected in this run?
want() {
  local s=$1
  if [ -n "${ASYNCOPS_STEPS:-}" ]; then [[ $ONLY == *" $s "* ]]; return; fi
  if [ "$QUICK" = 1 ] && [[ $COMPAT_STEPS == *" $s "* ]]; then return 1; fi
  return 0
}

# Plain output: these logs are read in files and CI pages, not on a terminal.
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export PIP_DISABLE_PIP_VERSION_CHECK=1

WORK=${ASYNCOPS_WORK:-$(mktemp -d /tmp/asyncops-test-XXXXXX)}
mkdir -p "$WORK"
if [ "${ASYNCOPS_KEEP_WORK:-0}" != 1 ] && [ -z "${ASYNCOPS_WORK:-}" ]; then
  trap 'rm -rf "$WORK"' EXIT
fi

pass=0; fail=0; failed=(); timings=()
SUITE_START=$SECONDS
step() {
  local name=$1 start=$SECONDS rc; shift
  echo "::: step $name"
  "$@"; rc=$?
  local t=$((SECONDS - start))
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1)); echo "::: step $name OK (${t}s)"; timings+=("$(printf '%-20s %5ss  OK' "$name" "$t")")
  else
    fail=$((fail + 1)); failed+=("$name"); echo "::: step $name FAILED (exit $rc, ${t}s)"
    timings+=("$(printf '%-20s %5ss  FAILED' "$name" "$t")")
  fi
  return 0
}

# --- setup ---------------------------------------------------------------------------------
COLL=""; PYBIN=""
do_setup() {
  ao_shims || return 1
  PYBIN=$(ao_pybin) || return 1
  echo "interpreters: $(cd "$PYBIN" && ls | tr '\n' ' ')"
  COLL=$(ao_copy "$WORK") || return 1
  echo "collection copy: $COLL"
}
step setup do_setup
if [ -z "$COLL" ]; then
  echo "setup failed: nothing else can run"
  echo "$pass passed, $((fail + 1)) failed"
  exit 1
fi

# --- venvs ----------------------------------------------------------------------------------
# The venvs the first steps need (main, docs) are built before them; the others build in the
# background while sanity and units run (downloads overlap with CPU-bound tests), and each step
# waits for its own venv. A venv whose pins did not change is reused as it is.
declare -A VENV=()
need=()
want changelog-lint && need+=(docs)
{ want sanity || want units || want integration || want build || want galaxy-importer || want extra; } && need+=(main)
want docs-lint && need+=(docs)
want ansible-lint && need+=(lint)
want galaxy-importer && need+=(galaxy-importer)
want builder-introspect && need+=(ansible-builder)
{ want sanity-2.16 || want units-2.16 || want integration-2.16; } && need+=(core-2.16)
{ want sanity-2.21 || want units-2.21 || want integration-2.21; } && need+=(core-2.21)
mapfile -t need < <(printf '%s\n' "${need[@]}" | awk 'NF && !seen[$0]++')
VLOG="$WORK/venv-logs"
mkdir -p "$VLOG"
build_venv() {   # in a subshell: writes $VLOG/NAME.path (empty on failure), then NAME.done
  ao_venv "$1" >"$VLOG/$1.path" 2>"$VLOG/$1.log"
  touch "$VLOG/$1.done"
}
BG_PID=""
do_venvs() {
  local n rc=0 first=() rest=() pids=()
  for n in "${need[@]}"; do
    case $n in main|docs) first+=("$n") ;; *) rest+=("$n") ;; esac
  done
  for n in "${first[@]}"; do build_venv "$n" & pids+=("$!"); done
  if [ ${#rest[@]} -gt 0 ]; then
    # two at a time, behind the first ones
    ( for n in "${rest[@]}"; do
        build_venv "$n" &
        while [ "$(jobs -rp | wc -l)" -ge 2 ]; do sleep 0.5; done
      done; wait ) &
    BG_PID=$!
  fi
  for n in "${pids[@]}"; do wait "$n"; done
  for n in "${first[@]}"; do
    VENV[$n]=$(cat "$VLOG/$n.path" 2>/dev/null)
    if [ -n "${VENV[$n]}" ]; then
      grep -h 'ready' "$VLOG/$n.log"; echo "venv $n: ${VENV[$n]}"
    else
      cat "$VLOG/$n.log"; echo "venv $n: FAILED"; rc=1
    fi
  done
  [ ${#rest[@]} -eq 0 ] || echo "building in the background: ${rest[*]}"
  return $rc
}
[ ${#need[@]} -gt 0 ] && step venvs do_venvs

# Make sure venv NAME is ready (waiting for its background build); sets VENV[NAME].
ensure_venv() {
  local name=$1 waited=0
  [ -n "${VENV[$name]:-}" ] && return 0
  while [ ! -e "$VLOG/$name.done" ]; do
    [ -n "$BG_PID" ] && ! kill -0 "$BG_PID" 2>/dev/null && [ ! -e "$VLOG/$name.done" ] && break
    [ $waited -eq 0 ] && echo "waiting for venv $name ..."
    sleep 1; waited=$((waited + 1))
  done
  VENV[$name]=$(cat "$VLOG/$name.path" 2>/dev/null)
  if [ -z "${VENV[$name]}" ]; then
    cat "$VLOG/$name.log" 2>/dev/null; echo "venv $name is not available"; return 1
  fi
  grep -h 'ready' "$VLOG/$name.log"
  [ $waited -eq 0 ] || echo "venv $name ready after ${waited}s of waiting"
}

# Run a command in the collection copy with venv NAME's bin (then the pythonX.Y links) on PATH.
in_venv() {
  local name=$1; shift
  ensure_venv "$name" || return 1
  (cd "$COLL" && env PATH="${VENV[$name]}/bin:$PYBIN:$PATH" VIRTUAL_ENV="${VENV[$name]}" "$@")
}

has_unit_tests() {
  [ -n "$(find "$COLL/tests/unit" -type f \( -name 'test_*.py' -o -name '*_test.py' \) 2>/dev/null | head -1)" ]
}
has_integration_targets() {
  [ -n "$(find "$COLL/tests/integration/targets" -mindepth 2 -maxdepth 2 -name aliases 2>/dev/null | head -1)" ]
}

# --- steps ---------------------------------------------------------------------------------
do_changelog_lint() { in_venv docs antsibull-changelog lint; }

do_no_sanity_ignores() {
  local f bad=0
  for f in "$COLL"/tests/sanity/ignore-*.txt; do
    [ -e "$f" ] || continue
    if grep -qv '^[[:space:]]*$' "$f"; then
      echo "${f#"$COLL"/} is not empty: fix the code instead of ignoring sanity tests:"
      sed 's/^/    /' "$f"; bad=1
    fi
  done
  [ $bad -eq 0 ] && echo "no sanity ignore entries"
  return $bad
}

do_sanity() { in_venv main ansible-test sanity --color no; }
# $1 venv, $2 python version
do_sanity_py() { in_venv "$1" ansible-test sanity --color no --python "$2"; }

do_units() {   # $1 venv, then extra ansible-test arguments
  local v=$1; shift
  if ! has_unit_tests; then echo "no unit test files under tests/unit: nothing to run"; return 0; fi
  in_venv "$v" ansible-test units --color no --venv --requirements "$@"
}

do_integration() {   # $1 venv, $2 python version
  if ! has_integration_targets; then echo "no integration targets: nothing to run"; return 0; fi
  local rc
  in_venv "$1" ansible-test integration --color no --python "$2"; rc=$?
  rm -f "$COLL/tests/integration/inventory"
  return $rc
}

# ansible-lint and ansible-doc resolve asyncops.jobs.* through the copy's ansible_collections tree.
do_ansible_lint() { in_venv lint env ANSIBLE_COLLECTIONS_PATH="$WORK" ansible-lint --offline --profile production; }

TARBALL=""
do_build() {
  rm -rf "$WORK/dist"
  in_venv main ansible-galaxy collection build --force --output-path "$WORK/dist" || return 1
  TARBALL=$(ls "$WORK"/dist/*.tar.gz 2>/dev/null | head -1)
  [ -n "$TARBALL" ] || { echo "no tarball produced"; return 1; }
  echo "built $TARBALL ($(du -h "$TARBALL" | cut -f1), $(tar -tzf "$TARBALL" | wc -l) entries)"
}

do_galaxy_importer() {
  if [ -z "$TARBALL" ]; then
    do_build || return 1
  fi
  local cfg="$WORK/galaxy-importer.cfg" out="$WORK/galaxy-importer.log" rc
  ensure_venv galaxy-importer || return 1
  # Galaxy's ansible-test step needs a container engine (absent here); ansible-test runs in the
  # sanity steps above anyway. Everything else Galaxy checks on upload stays on.
  cat >"$cfg" <<'EOF'
[galaxy-importer]
run_ansible_test = False
ansible_test_local_image = False
local_image_docker = False
run_ansible_doc = True
run_ansible_lint = True
offline_ansible_lint = True
run_flake8 = False
check_changelog = True
check_required_tags = False
require_v1_or_greater = False
log_level_main = INFO
EOF
  (cd "$WORK/dist" && env GALAXY_IMPORTER_CONFIG="$cfg" PATH="${VENV[galaxy-importer]}/bin:$PATH" \
    python -m galaxy_importer.main "$TARBALL") 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || return "$rc"
  # The importer exits 0 on some findings it only logs; a published collection must have none.
  if grep -E '^(ERROR|WARNING|CRITICAL): |Traceback' "$out" >/dev/null; then
    echo "galaxy-importer reported errors or warnings (above)"; return 1
  fi
  grep -q 'Importer processing completed successfully' "$out" || { echo "galaxy-importer did not complete"; return 1; }
}

do_docs_lint() { in_venv docs env ANSIBLE_COLLECTIONS_PATH="$WORK" antsibull-docs lint-collection-docs --plugin-docs .; }

do_builder_introspect() {
  local out rc
  [ -f "$COLL/meta/execution-environment.yml" ] || { echo "meta/execution-environment.yml is missing"; return 1; }
  out=$(in_venv ansible-builder ansible-builder introspect --sanitize "$WORK" 2>&1); rc=$?
  echo "$out"
  [ $rc -eq 0 ] || return $rc
  # Every runtime requirement of the collection must reach an execution environment.
  local req missing=0
  while read -r req; do
    req=${req%%[<>=!~; ]*}; [ -n "$req" ] || continue
    grep -qiE "^[[:space:]-]*'?$req([^a-z0-9_.-].*)?#.*asyncops\.jobs" <<<"$out" || { echo "requirement '$req' not picked up by ansible-builder"; missing=1; }
  done < <(sed 's/#.*//' "$COLL/requirements.txt")
  return $missing
}

do_extra() {
  local hook="$COLL/tests/extra/run.sh"
  [ -x "$hook" ] || { echo "tests/extra/run.sh exists but is not executable (git update-index --chmod=+x)"; return 1; }
  in_venv main env ASYNCOPS_COLLECTION_ROOT="$COLL" ASYNCOPS_WORK="$WORK" \
    ANSIBLE_COLLECTIONS_PATH="$WORK" ASYNCOPS_PYBIN="$PYBIN" "$hook"
}

want changelog-lint     && step changelog-lint do_changelog_lint
want no-sanity-ignores  && step no-sanity-ignores do_no_sanity_ignores
want sanity             && step sanity do_sanity
want units              && step units do_units main
want integration        && step integration do_integration main 3.11
want ansible-lint       && step ansible-lint do_ansible_lint
want build              && step build do_build
want galaxy-importer    && step galaxy-importer do_galaxy_importer
want docs-lint          && step docs-lint do_docs_lint
want builder-introspect && step builder-introspect do_builder_introspect
for spec in 2.16:3.11 2.21:3.12; do
  v=${spec%%:*}; py=${spec#*:}
  want "sanity-$v"      && step "sanity-$v" do_sanity_py "core-$v" "$py"
  want "units-$v"       && step "units-$v" do_units "core-$v" --python "$py"
  want "integration-$v" && step "integration-$v" do_integration "core-$v" "$py"
done
if want extra && [ -e "$COLL/tests/extra/run.sh" ]; then step extra do_extra; fi

[ -z "$BG_PID" ] || wait "$BG_PID" 2>/dev/null
echo "::: timings"
printf '    %s\n' "${timings[@]}"
echo "    total                $((SECONDS - SUITE_START))s"
[ ${#failed[@]} -eq 0 ] || echo "failed steps: ${failed[*]}  (rerun some with ASYNCOPS_STEPS=\"...\"; keep tests/output with ASYNCOPS_KEEP_WORK=1)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
