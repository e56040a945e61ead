#!/usr/bin/env bash
# The whole test suite of the asyncops.jobs collection: one command, from a fresh clone, with
# nothing installed by hand (scripts/bootstrap.sh builds pinned venvs from tests/constraints/,
# the packages step installs the Debian tools below).
#
#   scripts/test.sh
#
# Every step prints "::: step NAME", its log, then "::: step NAME OK|FAILED|SKIPPED (Ns)".
# setup, packages and venvs run first, in order; the other steps then run $ASYNCOPS_JOBS at a time
# (default: the number of cores), each in its own copy of the checkout (so no two ansible-test
# runs share a tests/output), and each step's log is printed as one block when it ends.
#   setup                    get-pip stand-ins, pythonX.Y links, one copy of the checkout under
#                            $WORK/base/ansible_collections/asyncops/jobs (tracked + untracked-not-ignored
#                            files) that every step copies again
#   packages                 Debian packages the steps need: shellcheck (sanity), chromium and
#                            chromium-driver (docs-site); apt-get update + install when one is missing
#   venvs                    build / reuse the pinned venvs: main and docs now, the others in the background
#   changelog-lint           antsibull-changelog lint
#   no-sanity-ignores        tests/sanity/ignore-*.txt must be empty (problems are fixed, not ignored)
#   references               no comment, docstring or document names a repository file that does not exist
#   sanity                   ansible-test sanity, ansible-core 2.19, every interpreter found; fails when a
#                            test is skipped for a missing program (e.g. shellcheck)
#   units                    ansible-test units --venv --requirements, every Python ansible-test selects
#   integration              ansible-test integration --python 3.11: modules run the default way
#                            (on the controller, for these local targets)
#   integration-target       the same with asyncops_jobs_run_on: target (as extra vars, from
#                            tests/integration/integration_config.yml in that step's copy)
#   ansible-lint             ansible-lint --offline --profile production
#   build                    ansible-galaxy collection build; the tarball must hold no tests, test
#                            doubles or development scripts
#   galaxy-importer          Galaxy's import checks on the built tarball (its ansible-test step off)
#   docs-lint                antsibull-docs lint-collection-docs --plugin-docs .
#   docs-site                scripts/docs-site.sh: the HTML site (antsibull-docs sphinx-init + sphinx),
#                            checked in headless chromium; kept in tests/output/docs-site/ of the checkout
#   builder-introspect       ansible-builder introspect --sanitize (meta/execution-environment.yml)
#   sanity-V units-V         ansible-core V = 2.16 (Python 3.11), 2.17 (3.12), 2.18 (3.13), 2.20 (3.12),
#                            2.21 (3.12): sanity and units on that one Python (the "# python:" line of
#                            tests/constraints/core-V.in)
#   integration-V integration-V-target   the two integration runs, for V = 2.16 and 2.21
#   extra                    tests/extra/run.sh, when that file exists (SDK and AWX fidelity tests)
# A step whose venv needs a Python that is not installed is SKIPPED (listed before the last line).
# tests/benchmarks/ is never run from here.
#
# Environment:
#   ASYNCOPS_STEPS="sanity units"  run only these steps (setup, packages and venvs run as needed)
#   ASYNCOPS_QUICK=1               skip the steps of the other ansible-core versions (*-2.NN*)
#   ASYNCOPS_JOBS=N                steps run at once (default: nproc)
#   ASYNCOPS_CACHE=DIR             where venvs live (default ~/.cache/asyncops-jobs)
#   ASYNCOPS_WORK=DIR              work directory (default: a new /tmp/asyncops-test-* dir)
#   ASYNCOPS_KEEP_WORK=1           keep the work directory (each step's copy and tests/output, the tarball)
#   ASYNCOPS_GET_PIP_SHIMS=0       do not write ansible-test's get-pip stand-ins (scripts/bootstrap.sh)
#   ASYNCOPS_PYTHON_X_Y=PATH       the interpreter for Python X.Y (scripts/bootstrap.sh)
#
# Ends with the line "N passed, N failed"; exits non-zero when any step failed.
set -uo pipefail
# One function, called on the last line: bash reads it whole before running it, so editing or
# checking out this file while the suite runs cannot change what the running suite does.
# (The step functions inside it are called by name, through step and run_body.)
# shellcheck disable=SC2317
suite() {
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
# shellcheck source=scripts/bootstrap.sh
. scripts/bootstrap.sh

CORES=(2.16 2.17 2.18 2.20 2.21)
INTEGRATION_CORES=" 2.16 2.21 "
ALL_STEPS=(changelog-lint no-sanity-ignores references sanity units integration integration-target
  ansible-lint build galaxy-importer docs-lint docs-site builder-introspect)
for v in "${CORES[@]}"; do
  ALL_STEPS+=("sanity-$v" "units-$v")
  [[ $INTEGRATION_CORES == *" $v "* ]] && ALL_STEPS+=("integration-$v" "integration-$v-target")
done
ALL_STEPS+=(extra)
ONLY=" ${ASYNCOPS_STEPS:-} "
ONLY=${ONLY//,/ }
QUICK=${ASYNCOPS_QUICK:-0}
JOBS=${ASYNCOPS_JOBS:-$(nproc 2>/dev/null || echo 2)}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || { echo "ASYNCOPS_JOBS must be a positive number, not '$JOBS'" >&2; exit 2; }

for s in ${ASYNCOPS_STEPS:-}; do
  s=${s//,/}
  [[ " ${ALL_STEPS[*]} setup packages venvs " == *" $s "* ]] || {
    echo "ASYNCOPS_STEPS: unknown step '$s'; steps are: ${ALL_STEPS[*]}" >&2; exit 2; }
done

# want STEP: is STEP selected in this run?
want() {
  local s=$1
  if [ -n "${ASYNCOPS_STEPS:-}" ]; then [[ $ONLY == *" $s "* ]]; return; fi
  if [ "$QUICK" = 1 ] && [[ $s == *-2.[0-9]* ]]; then return 1; fi
  return 0
}

# The venv a step runs in ("" for none).
venv_of() {
  case $1 in
    changelog-lint|docs-lint|docs-site) echo docs ;;
    sanity|units|integration|integration-target|build|references) echo main ;;
    extra) echo extra ;;
    ansible-lint) echo lint ;;
    galaxy-importer) echo galaxy-importer ;;
    builder-introspect) echo ansible-builder ;;
    *-2.[0-9]*) local v=${1#*-}; echo "core-${v%-target}" ;;
  esac
}

# Plain output: these logs are read in files and CI pages, not on a terminal.
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export PIP_DISABLE_PIP_VERSION_CHECK=1

WORK=${ASYNCOPS_WORK:-$(mktemp -d /tmp/asyncops-test-XXXXXX)}
mkdir -p "$WORK"
if [ "${ASYNCOPS_KEEP_WORK:-0}" != 1 ] && [ -z "${ASYNCOPS_WORK:-}" ]; then
  trap 'rm -rf "$WORK"' EXIT
fi
LOGS=$WORK/logs
rm -rf "$LOGS"; mkdir -p "$LOGS"

pass=0; fail=0; failed=(); skipped=(); declare -A TIMING=()
SUITE_START=$SECONDS
# record NAME RC SECONDS [reason]: count a finished step and print its last line.
record() {
  local name=$1 rc=$2 t=$3 why=${4:-}
  if [ -e "$LOGS/$name.skip" ]; then
    skipped+=("$name"); echo "::: step $name SKIPPED ($(cat "$LOGS/$name.skip"), ${t}s)"
    TIMING[$name]=$(printf '%-24s %5ss  SKIPPED' "$name" "$t")
  elif [ "$rc" -eq 0 ]; then
    pass=$((pass + 1)); echo "::: step $name OK (${t}s)"
    TIMING[$name]=$(printf '%-24s %5ss  OK' "$name" "$t")
  else
    fail=$((fail + 1)); failed+=("$name"); echo "::: step $name FAILED (exit $rc${why:+, $why}, ${t}s)"
    TIMING[$name]=$(printf '%-24s %5ss  FAILED' "$name" "$t")
  fi
}
# Foreground steps (setup, packages, venvs): live output.
step() {
  local name=$1 start=$SECONDS rc; shift
  echo "::: step $name"
  "$@"; rc=$?
  record "$name" "$rc" $((SECONDS - start))
}

# --- setup ---------------------------------------------------------------------------------
BASE=""; PYBIN=""
do_setup() {
  ao_shims || return 1
  PYBIN=$(ao_pybin) || return 1
  echo "interpreters: $(ao_pythons | tr '\n' ';' | sed 's/;/; /g')"
  BASE=$(ao_copy "$WORK/base") || return 1
  echo "collection copy: $BASE"
}
step setup do_setup
if [ -z "$BASE" ]; then
  echo "setup failed: nothing else can run"
  echo "$pass passed, $((fail + 1)) failed"
  exit 1
fi

# --- packages -------------------------------------------------------------------------------
# Debian packages, installed the way CI machines of this kind allow (root, apt). Nothing is
# installed when every program is there already.
do_packages() {
  local want_pkgs=("$@") absent=() p prog
  for p in "${want_pkgs[@]}"; do
    case $p in chromium-driver) prog=chromedriver ;; *) prog=$p ;; esac
    command -v "$prog" >/dev/null 2>&1 || absent+=("$p")
  done
  if [ ${#absent[@]} -eq 0 ]; then echo "already installed: ${want_pkgs[*]}"; return 0; fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "missing Debian packages ${absent[*]}, and no root or password-less sudo to install them:"
      echo "    apt-get update && apt-get install -y ${absent[*]}"
      return 1
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "missing ${absent[*]} and no apt-get to install them"; return 1; }
  echo "installing ${absent[*]}"
  if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
         "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${absent[@]}"; } >"$LOGS/apt.log" 2>&1; then
    tail -20 "$LOGS/apt.log"; echo "apt-get failed (above)"; return 1
  fi
  for p in "${absent[@]}"; do echo "installed $p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null)"; done
}
pkgs=()
for s in sanity "${CORES[@]/#/sanity-}"; do want "$s" && { pkgs+=(shellcheck); break; }; done
want docs-site && pkgs+=(chromium chromium-driver)
[ ${#pkgs[@]} -gt 0 ] && step packages do_packages "${pkgs[@]}"

# --- venvs ----------------------------------------------------------------------------------
# Every venv builds in the background, two at a time, main and docs first; a step starts once
# its venv is ready (downloads overlap with the CPU-bound steps). A venv whose pins did not
# change is reused as it is.
declare -A VENV=()
need=()
for s in "${ALL_STEPS[@]}"; do want "$s" && v=$(venv_of "$s") && [ -n "$v" ] && need+=("$v"); done
want extra && need+=(main)   # tests/extra/run.sh runs from the main venv's PATH
mapfile -t need < <(printf '%s\n' main docs "${need[@]}" | awk -v want=" ${need[*]} " 'NF && index(want, " " $0 " ") && !seen[$0]++')
VLOG="$WORK/venv-logs"
mkdir -p "$VLOG"
build_venv() {   # in a subshell: writes $VLOG/NAME.path (empty on failure), NAME.rc, then NAME.done
  ao_venv "$1" >"$VLOG/$1.path" 2>"$VLOG/$1.log"
  echo $? >"$VLOG/$1.rc"
  touch "$VLOG/$1.done"
}
BG_PID=""
do_venvs() {
  ( for n in "${need[@]}"; do
      build_venv "$n" &
      while [ "$(jobs -rp | wc -l)" -ge 2 ]; do sleep 0.5; done
    done; wait ) &
  BG_PID=$!
  echo "building or reusing in the background, in this order: ${need[*]}"
}
[ ${#need[@]} -gt 0 ] && step venvs do_venvs

# --- helpers for the steps (they run in subshells: STEP, COLL and SCOPE are theirs) ----------
STEP=""; COLL=""; SCOPE=""

# Make sure venv NAME is ready (waiting for its background build); sets VENV[NAME]. A venv whose
# Python is not installed marks the step skipped.
ensure_venv() {
  local name=$1 waited=0
  [ -n "${VENV[$name]:-}" ] && return 0
  while [ ! -e "$VLOG/$name.done" ]; do
    if [ -z "$BG_PID" ] || ! kill -0 "$BG_PID" 2>/dev/null; then
      [ -e "$VLOG/$name.done" ] || build_venv "$name"   # not in the background plan: build it here
      break
    fi
    [ $waited -eq 0 ] && echo "waiting for venv $name ..."
    sleep 1; waited=$((waited + 1))
  done
  VENV[$name]=$(cat "$VLOG/$name.path" 2>/dev/null)
  if [ -z "${VENV[$name]}" ]; then
    cat "$VLOG/$name.log" 2>/dev/null
    if [ "$(cat "$VLOG/$name.rc" 2>/dev/null)" = "$AO_NO_PYTHON" ]; then
      echo "no Python $(ao_venv_python_version "$ROOT/tests/constraints/$name.in") for venv $name" >"$LOGS/$STEP.skip"
    fi
    echo "venv $name is not available"; return 1
  fi
  grep -h 'ready' "$VLOG/$name.log"
  [ $waited -eq 0 ] || echo "venv $name ready after ${waited}s of waiting"
}

# Run a command in the step's collection copy with venv NAME's bin (then the pythonX.Y links) on PATH.
in_venv() {
  local name=$1; shift
  ensure_venv "$name" || return 1
  (cd "$COLL" && env PATH="${VENV[$name]}/bin:$PYBIN:$PATH" VIRTUAL_ENV="${VENV[$name]}" "$@")
}

# The Python version of venv NAME (the "# python:" line of its .in file).
py_of() { ao_venv_python_version "$ROOT/tests/constraints/$1.in"; }

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

do_references() { in_venv main python scripts/check-references.py; }

# $1 venv, then extra ansible-test arguments. A sanity test skipped because a program (shellcheck,
# ...) is missing is a failure: its checks did not run.
do_sanity() {
  local v=$1 out="$SCOPE/sanity.out" rc; shift
  in_venv "$v" ansible-test sanity --color no "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  if grep -E 'Required program ".*" not found|Skipping sanity test .*(missing|could not be found)' "$out" >"$out.skips"; then
    echo "sanity skipped tests because something is missing (install it; the packages step should have):"
    sed 's/^/    /' "$out.skips"
    [ "$rc" -ne 0 ] || rc=1
  fi
  return "$rc"
}

do_units() {   # $1 venv, then extra ansible-test arguments
  local v=$1; shift
  if ! has_unit_tests; then echo "no unit test files under tests/unit: nothing to run"; return 0; fi
  in_venv "$v" ansible-test units --color no --venv --requirements "$@"
}

# $1 venv, $2 "target" for the run where modules run as ordinary modules on the target.
do_integration() {
  local v=$1 way=${2:-controller} cfg rc
  if ! has_integration_targets; then echo "no integration targets: nothing to run"; return 0; fi
  if [ "$way" = target ]; then
    # ansible-test passes no environment through to the playbooks, but loads this file as extra vars.
    cfg="$COLL/tests/integration/integration_config.yml"
    [ -s "$cfg" ] || echo '---' >"$cfg"
    echo 'asyncops_jobs_run_on: target' >>"$cfg"
    echo "tests/integration/integration_config.yml: asyncops_jobs_run_on: target"
  fi
  in_venv "$v" ansible-test integration --color no --python "$(py_of "$v")"; rc=$?
  rm -f "$COLL/tests/integration/inventory"
  return $rc
}

# ansible-lint and ansible-doc resolve asyncops.jobs.* through the copy's ansible_collections tree.
do_ansible_lint() { in_venv lint env ANSIBLE_COLLECTIONS_PATH="$SCOPE" ansible-lint --offline --profile production; }

# What users install: no tests, test doubles, development scripts or CI files.
TARBALL_FORBIDDEN='^(tests|scripts|\.ci|\.github|\.git|\.cache|\.ansible|changelogs/\.plugin-cache\.yaml)(/|$)|(^|/)(awx_api\.py|conftest\.py|test_[^/]*\.py|__pycache__)$|\.py[co]$|\.tar\.gz$'
do_build() {
  local dist="$WORK/dist" tarball bad
  rm -rf "$dist"
  in_venv main ansible-galaxy collection build --force --output-path "$dist" || return 1
  tarball=$(find "$dist" -maxdepth 1 -name '*.tar.gz' | head -1)
  [ -n "$tarball" ] || { echo "no tarball produced"; return 1; }
  echo "built $tarball ($(du -h "$tarball" | cut -f1), $(tar -tzf "$tarball" | wc -l) entries)"
  bad=$(tar -tzf "$tarball" | sed 's|^\./||; s|/$||' | grep -E "$TARBALL_FORBIDDEN")
  if [ -n "$bad" ]; then
    echo "the tarball ships files users do not need (add them to build_ignore in galaxy.yml):"
    awk '{ print "    " $0 }' <<<"$bad"; return 1
  fi
  echo "no tests, test doubles or development scripts in the tarball"
}

do_galaxy_importer() {
  local tarball cfg="$SCOPE/galaxy-importer.cfg" out="$SCOPE/galaxy-importer.log" rc
  tarball=$(find "$WORK/dist" -maxdepth 1 -name '*.tar.gz' 2>/dev/null | head -1)
  [ -n "$tarball" ] || { echo "no tarball: the build step failed"; return 1; }
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
  mkdir -p "$SCOPE/importer"
  (cd "$SCOPE/importer" && env GALAXY_IMPORTER_CONFIG="$cfg" PATH="${VENV[galaxy-importer]}/bin:$PATH" \
    python -m galaxy_importer.main "$tarball") 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || return "$rc"
  # The importer exits 0 on some findings it only logs; a published collection must have none.
  if grep -E '^(ERROR|WARNING|CRITICAL): |Traceback' "$out" >/dev/null; then
    echo "galaxy-importer reported errors or warnings (above)"; return 1
  fi
  grep -q 'Importer processing completed successfully' "$out" || { echo "galaxy-importer did not complete"; return 1; }
}

do_docs_lint() { in_venv docs env ANSIBLE_COLLECTIONS_PATH="$SCOPE" antsibull-docs lint-collection-docs --plugin-docs .; }

# The site and its screenshot land in the checkout's tests/output/docs-site/ (ignored by git),
# where the README tells users to open them.
do_docs_site() {
  local keep="$ROOT/tests/output/docs-site" rc
  ensure_venv docs || return 1
  (cd "$COLL" && ASYNCOPS_DOCS_VENV="${VENV[docs]}" scripts/docs-site.sh "$SCOPE/docs-site"); rc=$?
  if [ -d "$SCOPE/docs-site/html" ]; then
    rm -rf "$keep.tmp"; mkdir -p "$keep.tmp"
    cp -a "$SCOPE/docs-site/html" "$keep.tmp/"
    find "$SCOPE/docs-site" -maxdepth 1 -name '*.png' -exec cp {} "$keep.tmp/" \;
    rm -rf "$keep"; mv "$keep.tmp" "$keep"
    echo "kept: $keep/html/index.html"
    find "$keep" -maxdepth 1 -name "*.png" -printf "screenshot: %p\n"
  fi
  return $rc
}

do_builder_introspect() {
  local out rc
  [ -f "$COLL/meta/execution-environment.yml" ] || { echo "meta/execution-environment.yml is missing"; return 1; }
  out=$(in_venv ansible-builder ansible-builder introspect --sanitize "$SCOPE" 2>&1); rc=$?
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
  ensure_venv extra || return 1
  in_venv main env ASYNCOPS_COLLECTION_ROOT="$COLL" ASYNCOPS_WORK="$SCOPE" \
    ANSIBLE_COLLECTIONS_PATH="$SCOPE" ASYNCOPS_PYBIN="$PYBIN" "$hook"
}

# run_body NAME: the step's command (in its own copy, $COLL).
run_body() {
  local name=$1 v
  v=$(venv_of "$name")
  case $name in
    changelog-lint)     do_changelog_lint ;;
    no-sanity-ignores)  do_no_sanity_ignores ;;
    references)         do_references ;;
    sanity)             do_sanity main ;;
    units)              do_units main ;;
    integration)        do_integration main ;;
    integration-target) do_integration main target ;;
    ansible-lint)       do_ansible_lint ;;
    build)              do_build ;;
    galaxy-importer)    do_galaxy_importer ;;
    docs-lint)          do_docs_lint ;;
    docs-site)          do_docs_site ;;
    builder-introspect) do_builder_introspect ;;
    extra)              do_extra ;;
    sanity-*)           do_sanity "$v" --python "$(py_of "$v")" ;;
    units-*)            do_units "$v" --python "$(py_of "$v")" ;;
    integration-*-target) do_integration "$v" target ;;
    integration-*)      do_integration "$v" ;;
    *) echo "no such step: $name"; return 2 ;;
  esac
}

# --- scheduling ------------------------------------------------------------------------------
# Steps wait for what they need: galaxy-importer for build's tarball. Sanity steps run one at a
# time: they share ansible-test's venv cache (~/.ansible/test/venv), which is not safe to build
# into twice at once. Integration steps run one at a time too: their targets once shared one
# simulator state dir in /tmp (they now keep it under ansible-test's output_dir, so this could be
# lifted), and their timing-sensitive scenarios are steadier without a second run on the two cores.
# Otherwise the longest step (by the last run's timings) starts first.
dep_of() { case $1 in galaxy-importer) want build && echo build ;; esac; }
class_of() { case $1 in sanity|sanity-*) echo sanity ;; integration|integration-*) echo integration ;; esac; }
TIMES_FILE="$AO_CACHE/step-times.txt"
declare -A EST=()
if [ -f "$TIMES_FILE" ]; then
  while read -r n t; do EST[$n]=$t; done <"$TIMES_FILE"
fi
estimate() {
  [ -n "${EST[$1]:-}" ] && { echo "${EST[$1]}"; return; }
  case $1 in
    sanity) echo 400 ;; units) echo 300 ;; sanity-*) echo 150 ;; units-*) echo 60 ;;
    integration*|extra) echo 120 ;; docs-site|galaxy-importer|ansible-lint) echo 60 ;; *) echo 10 ;;
  esac
}

pending=()
for s in "${ALL_STEPS[@]}"; do
  want "$s" || continue
  [ "$s" = extra ] && [ ! -e "$BASE/tests/extra/run.sh" ] && continue
  pending+=("$s")
done
mapfile -t pending < <(for s in "${pending[@]}"; do echo "$(estimate "$s") $s"; done | sort -k1,1nr -s | cut -d' ' -f2)

declare -A PID_OF=() STATE=()   # STATE: running, done
start_step() {
  local name=$1
  STATE[$name]=running
  (
    STEP=$name
    SCOPE="$WORK/steps/$name"
    start=$SECONDS
    rm -rf "$SCOPE"; mkdir -p "$SCOPE/ansible_collections/asyncops"
    COLL="$SCOPE/ansible_collections/asyncops/jobs"
    if cp -a "$BASE" "$COLL"; then run_body "$name"; rc=$?; else rc=1; fi
    echo "$rc $((SECONDS - start))" >"$LOGS/$name.rc.tmp" && mv "$LOGS/$name.rc.tmp" "$LOGS/$name.rc"
  ) >"$LOGS/$name.log" 2>&1 </dev/null &
  PID_OF[$!]=$name
  echo "--- started $name"
}
# venv_pending NAME: is NAME still being built in the background?
venv_pending() { [ ! -e "$VLOG/$1.done" ] && [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; }
runnable() {
  local s=$1 d c r v
  v=$(venv_of "$s")
  if [ -n "$v" ] && venv_pending "$v"; then return 1; fi
  d=$(dep_of "$s"); [ -z "$d" ] || [ "${STATE[$d]:-}" = "done" ] || return 1
  c=$(class_of "$s")
  if [ -n "$c" ]; then
    for r in "${!STATE[@]}"; do [ "${STATE[$r]}" = running ] && [ "$(class_of "$r")" = "$c" ] && return 1; done
  fi
  return 0
}
running_count() { local n=0 r; for r in "${!STATE[@]}"; do [ "${STATE[$r]}" = running ] && n=$((n + 1)); done; echo $n; }

while [ ${#pending[@]} -gt 0 ] || [ "$(running_count)" -gt 0 ]; do
  while [ "$(running_count)" -lt "$JOBS" ]; do
    pick=""
    # a sanity step whenever none runs (that chain is the longest), else the first runnable one
    for s in "${pending[@]}"; do [ "$(class_of "$s")" = sanity ] && runnable "$s" && { pick=$s; break; }; done
    if [ -z "$pick" ]; then for s in "${pending[@]}"; do runnable "$s" && { pick=$s; break; }; done; fi
    [ -n "$pick" ] || break
    rest=(); for s in "${pending[@]}"; do [ "$s" = "$pick" ] || rest+=("$s"); done
    pending=("${rest[@]}")
    start_step "$pick"
  done
  # A step has ended when its .rc file exists (its last write); venvs may become ready meanwhile.
  sleep 1
  for pid in "${!PID_OF[@]}"; do
    name=${PID_OF[$pid]}
    [ -e "$LOGS/$name.rc" ] || continue
    wait "$pid" 2>/dev/null
    unset "PID_OF[$pid]"
    STATE[$name]="done"
    read -r rc t <"$LOGS/$name.rc" 2>/dev/null || { rc=1; t=0; }
    echo "::: step $name"
    cat "$LOGS/$name.log"
    record "$name" "$rc" "$t"
    [ -e "$LOGS/$name.skip" ] || EST[$name]=$t
  done
done

[ -z "$BG_PID" ] || wait "$BG_PID" 2>/dev/null
if mkdir -p "$AO_CACHE" 2>/dev/null; then
  for n in "${!EST[@]}"; do echo "$n ${EST[$n]}"; done | sort >"$TIMES_FILE.tmp" && mv -f "$TIMES_FILE.tmp" "$TIMES_FILE"
fi
echo "::: timings (steps ran $JOBS at a time)"
for s in setup packages venvs "${ALL_STEPS[@]}"; do
  [ -n "${TIMING[$s]:-}" ] && printf '    %s\n' "${TIMING[$s]}"
done
echo "    total                    $((SECONDS - SUITE_START))s"
[ ${#failed[@]} -eq 0 ] || echo "failed steps: ${failed[*]}  (rerun some with ASYNCOPS_STEPS=\"...\"; keep tests/output with ASYNCOPS_KEEP_WORK=1)"
[ ${#skipped[@]} -eq 0 ] || echo "${#skipped[@]} skipped (a Python version is not installed): ${skipped[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
}
suite "$@"
exit
