#!/usr/bin/env bash
# Bootstrap the tools this collection is tested and demonstrated with, from the Python
# interpreters of the machine (PATH, pyenv) and PyPI.
#
# Everything goes into a cache directory, ${ASYNCOPS_CACHE:-$HOME/.cache/asyncops-jobs}:
#   venvs/<name>-<hash>/   one virtual environment per tests/constraints/<name>.in, installed with
#                          the exact pins of tests/constraints/<name>.txt. <hash> covers both files
#                          and the interpreter's version, so a venv is rebuilt only when they change.
#   pybin/                 pythonX.Y -> the real interpreter, for every X.Y found. Only the test
#                          steps put it on PATH: pyenv's shims fail inside ansible-test for
#                          versions other than the global one (ansible-test drops PYENV_VERSION).
#
# Interpreters: for Python X.Y, $ASYNCOPS_PYTHON_X_Y if set (e.g. ASYNCOPS_PYTHON_3_12=/opt/py/bin/python3.12),
# else the newest X.Y.Z under the pyenv root ($PYENV_ROOT, else `pyenv root`, else ~/.pyenv), else
# pythonX.Y on PATH (never a pyenv shim). A version that is missing is reported, never guessed.
#
# One workaround outside the cache, on by default because ansible-test cannot work here without
# it, off with ASYNCOPS_GET_PIP_SHIMS=0: ~/.ansible/test/cache/get_pip_<ver>.py, offline stand-ins
# for the get-pip.py download ansible-test otherwise tries (and fails) to fetch from a host these
# machines cannot reach. Each file says what wrote it; a get_pip file we did not write is left alone.
#
# Use as a command:
#   scripts/bootstrap.sh                  build every venv, the shims and pybin (prints a summary)
#   scripts/bootstrap.sh venv NAME        build (if needed) and print the path of venv NAME
#   scripts/bootstrap.sh shims            write the get-pip stand-ins
#   scripts/bootstrap.sh pybin            (re)create the symlink folder and print its path
#   scripts/bootstrap.sh copy DEST        copy the checkout to DEST/ansible_collections/asyncops/jobs
#   scripts/bootstrap.sh python X.Y       print the path of the newest installed Python X.Y
#   scripts/bootstrap.sh pythons          list the Python versions found, and where
# or source it (". scripts/bootstrap.sh") and call the ao_* functions below.

AO_ROOT=${AO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
AO_CACHE=${ASYNCOPS_CACHE:-$HOME/.cache/asyncops-jobs}
AO_GET_PIP_VERSIONS=${AO_GET_PIP_VERSIONS:-"23.1.2 24.2 25.2"}   # ansible-core 2.16-17 / 2.18-19 / 2.20-21
AO_PYTHON_VERSIONS=${AO_PYTHON_VERSIONS:-"2.7 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13 3.14"}
AO_PIP_FLAGS=(--disable-pip-version-check --no-input -q)
AO_SHIM_MARK="Written by asyncops.jobs scripts/bootstrap.sh"
# ao_venv exits with this status when the venv's interpreter is not installed (callers may skip).
AO_NO_PYTHON=3

ao_log() { echo "bootstrap: $*" >&2; }

# The pyenv root, wherever pyenv lives (nothing printed when there is no pyenv).
ao_pyenv_root() {
  local root=${PYENV_ROOT:-}
  if [ -z "$root" ] && command -v pyenv >/dev/null 2>&1; then root=$(pyenv root 2>/dev/null); fi
  [ -n "$root" ] || root=$HOME/.pyenv
  [ -d "$root/versions" ] && echo "$root"
  return 0
}

# Newest installed interpreter for X.Y (see the header for the order); quiet with -q.
ao_python() {
  local quiet=0; [ "${1:-}" = -q ] && { quiet=1; shift; }
  local want=$1 var cand best="" root dir
  var=ASYNCOPS_PYTHON_${want//./_}
  root=$(ao_pyenv_root)
  if [ -n "${!var:-}" ]; then
    best=${!var}
  else
    if [ -n "$root" ]; then
      for cand in "$root"/versions/"$want".*/bin/python"$want"; do
        [ -x "$cand" ] || continue
        [[ $cand =~ /versions/$want\.[0-9]+/ ]] || continue   # skip e.g. 3.11-dev, 3.11.7t
        best=$(printf '%s\n%s\n' "$best" "$cand" | sed '/^$/d' | sort -V | tail -1)
      done
    fi
    if [ -z "$best" ]; then
      local IFS=:
      for dir in $PATH; do
        cand=$dir/python$want
        [ -x "$cand" ] && [[ $cand != */shims/* ]] && [[ $dir != "$AO_CACHE/pybin" ]] && { best=$cand; break; }
      done
    fi
  fi
  if [ -z "$best" ] || ! "$best" -c 'import sys' >/dev/null 2>&1; then
    [ $quiet = 1 ] || ao_log "Python $want not found (looked at \$$var, ${root:-no pyenv}${root:+/versions}, PATH)"
    return 1
  fi
  echo "$best"
}

# The "# python: X.Y" line of a constraints .in file.
ao_venv_python_version() {
  sed -n 's/^# *python: *\([0-9.]*\).*/\1/p' "$1" | head -1
}

# Build (once) and print the directory of the virtual environment for tests/constraints/NAME.in.
ao_venv() {
  local name=$1 cdir="$AO_ROOT/tests/constraints"
  local in="$cdir/$name.in" txt="$cdir/$name.txt" pyver py hash dir lock
  if [ ! -f "$in" ] || [ ! -f "$txt" ]; then ao_log "unknown venv '$name' (need $in and $txt)"; return 1; fi
  pyver=$(ao_venv_python_version "$in"); pyver=${pyver:-3.11}
  py=$(ao_python "$pyver") || { ao_log "venv $name needs Python $pyver (tests/constraints/$name.in): install it, or set ASYNCOPS_PYTHON_${pyver//./_}"; return $AO_NO_PYTHON; }
  hash=$( { cat "$in" "$txt"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-12)
  dir="$AO_CACHE/venvs/$name-$hash"
  mkdir -p "$AO_CACHE/venvs" "$AO_CACHE/locks"
  lock="$AO_CACHE/locks/venv-$name.lock"
  (
    flock -w 1800 9 || { ao_log "timed out waiting for $lock"; exit 1; }
    if [ -f "$dir/.bootstrap-ok" ] && [ -x "$dir/bin/python" ]; then
      touch "$dir/.bootstrap-ok"
      exit 0
    fi
    local start=$SECONDS
    ao_log "building venv $name (python $pyver) in $dir"
    rm -rf "$dir"
    "$py" -m venv "$dir" || exit 1
    # pip resolves the .in requirements against the exact pins of the .txt: a drift between the
    # two files is an error here, not a silently different environment.
    if ! "$dir/bin/python" -m pip install "${AO_PIP_FLAGS[@]}" -c "$txt" -r "$in" >"$dir/.bootstrap.log" 2>&1; then
      cat "$dir/.bootstrap.log" >&2
      ao_log "pip install failed for venv $name; see above"
      rm -rf "$dir"
      exit 1
    fi
    "$dir/bin/python" -m pip freeze --all >"$dir/.bootstrap-freeze.txt" 2>/dev/null
    date -u +%FT%TZ >"$dir/.bootstrap-ok"
    ao_log "venv $name ready ($((SECONDS - start))s)"
    # Drop this venv's older builds that nobody used for a week.
    find "$AO_CACHE/venvs" -maxdepth 2 -path "$AO_CACHE/venvs/$name-*/.bootstrap-ok" -mtime +7 \
      -printf '%h\n' 2>/dev/null | { grep -vxF "$dir" || true; } | xargs -r rm -rf
    exit 0
  ) 9>"$lock" || return 1
  echo "$dir"
}

# Offline stand-ins for ansible-test's get-pip download (see the header).
ao_shims() {
  local cache="$HOME/.ansible/test/cache" py ver whl shim
  if [ "${ASYNCOPS_GET_PIP_SHIMS:-1}" = 0 ]; then
    echo "get-pip stand-ins: off (ASYNCOPS_GET_PIP_SHIMS=0); ansible-test downloads get-pip.py itself"
    return 0
  fi
  py=$(ao_python -q 3.11) || py=$(command -v python3) || return 1
  mkdir -p "$cache" "$AO_CACHE/locks"
  (
    flock -w 600 9 || exit 1
    for ver in $AO_GET_PIP_VERSIONS; do
      shim="$cache/get_pip_${ver//./_}.py"
      if [ -e "$shim" ] && ! grep -q "$AO_SHIM_MARK" "$shim"; then
        ao_log "$shim was not written by this script: left as it is"; continue
      fi
      whl=$(find "$cache" -maxdepth 1 -name "pip-$ver-*.whl" | head -1)
      if [ -z "$whl" ]; then
        "$py" -m pip download "${AO_PIP_FLAGS[@]}" --no-deps --only-binary=:all: -d "$cache" "pip==$ver" 2>&1 |
          grep -v 'is ignored' >&2
        [ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
        whl=$(find "$cache" -maxdepth 1 -name "pip-$ver-*.whl" | head -1)
        [ -n "$whl" ] || { ao_log "pip $ver wheel missing after download"; exit 1; }
      fi
      cat >"$shim.tmp" <<PY
# $AO_SHIM_MARK (ASYNCOPS_GET_PIP_SHIMS=0 turns this off):
# installs pip $ver from a local wheel instead of downloading get-pip.py, whose host is
# unreachable from the machines this collection is tested on. Delete this file to undo.
import sys
sys.path.insert(0, "$whl")
from pip._internal.cli.main import main
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
sys.exit(main(['install', '--upgrade', '--force-reinstall', '--find-links', "$cache"] + args))
PY
      mv -f "$shim.tmp" "$shim"
    done
  ) 9>"$AO_CACHE/locks/shims.lock" || return 1
  echo "get-pip stand-ins: $cache/get_pip_{${AO_GET_PIP_VERSIONS// /,}}.py (pip from PyPI wheels; ASYNCOPS_GET_PIP_SHIMS=0 to skip)"
}

# Folder of pythonX.Y symlinks to the real interpreters of every version found; prints its path.
ao_pybin() {
  local dir="$AO_CACHE/pybin" p v
  mkdir -p "$dir"
  for v in $AO_PYTHON_VERSIONS; do
    if p=$(ao_python -q "$v"); then
      [ "$(readlink "$dir/python$v" 2>/dev/null)" = "$p" ] || ln -sfn "$p" "$dir/python$v"
    else
      rm -f "$dir/python$v"
    fi
  done
  echo "$dir"
}

# "X.Y path" for every Python version found.
ao_pythons() {
  local v p
  for v in $AO_PYTHON_VERSIONS; do
    if p=$(ao_python -q "$v"); then echo "$v $p"; else echo "$v (not found)"; fi
  done
}

# Copy the checkout (tracked files, plus untracked files that are not ignored, plus .git) to
# DEST/ansible_collections/<namespace>/<name>: ansible-test refuses a symlinked collection root.
ao_copy() {
  local dest=$1 ns name coll
  ns=$(sed -n 's/^namespace: *//p' "$AO_ROOT/galaxy.yml")
  name=$(sed -n 's/^name: *//p' "$AO_ROOT/galaxy.yml")
  coll="$dest/ansible_collections/$ns/$name"
  rm -rf "$coll"
  mkdir -p "$coll"
  if git -C "$AO_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$AO_ROOT" && git ls-files -z -c -o --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
      tar --null --no-recursion -T - -cf -) | tar -xf - -C "$coll" || return 1
    cp -a "$AO_ROOT/.git" "$coll/.git" || return 1
    rm -f "$coll/.git/index.lock"
  else
    cp -a "$AO_ROOT"/. "$coll"/ || return 1
    rm -rf "$coll/tests/output" "$coll/.ansible" "$coll/tests/integration/inventory"
  fi
  echo "$coll"
}

ao_main() {
  set -uo pipefail
  local cmd=${1:-all}
  case "$cmd" in
    venv)   shift; local n; for n in "$@"; do ao_venv "$n" || return 1; done ;;
    shims)  ao_shims ;;
    pybin)  ao_pybin ;;
    copy)   ao_copy "${2:?usage: bootstrap.sh copy DEST}" ;;
    python) ao_python "${2:?usage: bootstrap.sh python X.Y}" ;;
    pythons) ao_pythons ;;
    all)
      local f n d vrc rc=0
      ao_shims || rc=1
      echo "pybin: $(ao_pybin)"
      for f in "$AO_ROOT"/tests/constraints/*.in; do
        n=$(basename "$f" .in)
        d=$(ao_venv "$n"); vrc=$?
        if [ $vrc -eq 0 ]; then echo "venv $n: $d"
        elif [ $vrc -eq "$AO_NO_PYTHON" ]; then echo "venv $n: SKIPPED (needs Python $(ao_venv_python_version "$f"), not installed)"
        else echo "venv $n: FAILED"; rc=1; fi
      done
      return $rc ;;
    -h|--help|help) sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
    *) echo "unknown command '$cmd' (try --help)" >&2; return 2 ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  ao_main "$@"
  exit $?
fi
