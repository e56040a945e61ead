#!/usr/bin/env bash
# Build the collection's HTML documentation site the way docs.ansible.com does (antsibull-docs
# sphinx-init + its Sphinx build: module pages, role pages, docs/docsite/rst/*), then check it in
# headless chromium (scripts/check-docs-site.py) and keep a screenshot of a module page.
#
#   scripts/docs-site.sh [DEST]      default DEST: tests/output/docs-site
#
# Then open DEST/html/index.html in a browser. Needs the docs venv (built here from
# tests/constraints/docs.*) and, for the check, Debian's chromium and chromium-driver
# (apt-get install -y chromium chromium-driver; scripts/test.sh installs them itself).
# ASYNCOPS_DOCS_CHECK=0 builds without the browser check. Offline: Sphinx's intersphinx gets a
# local inventory of the few Ansible docs labels the generated pages use (links still point at
# docs.ansible.com) and nothing is fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bootstrap.sh
. scripts/bootstrap.sh
DEST=${1:-tests/output/docs-site}
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
VENV=${ASYNCOPS_DOCS_VENV:-$(ao_venv docs)}
export PATH="$VENV/bin:$PATH"

# antsibull-docs reads the collection from a collections path: a copy of this checkout.
rm -rf "$DEST/src" "$DEST/sphinx" "$DEST/html"
COLL=$(ao_copy "$DEST/src")
export ANSIBLE_COLLECTIONS_PATH="$DEST/src"
SITE="$DEST/sphinx"
mkdir -m 700 "$SITE"   # antsibull-docs wants a folder only its owner can write
antsibull-docs sphinx-init --use-current --dest-dir "$SITE" asyncops.jobs >"$DEST/sphinx-init.log"

cat >"$SITE/rst/index.rst" <<'EOF'
.. _docsite_root_index:

asyncops.jobs
=============

Start, watch and cancel long-running operations on Kaspersky Security Center, Oracle
Communications SBC, NetApp SolidFire, Alibaba Cloud Security Center and Kaspersky Integration
Server with one wait loop.

.. toctree::
   :maxdepth: 2
   :caption: Collection:

   collections/asyncops/jobs/index

.. toctree::
   :maxdepth: 1
   :caption: Indexes:
   :glob:

   collections/index_*
   collections/environment_variables
EOF

# Labels of the Ansible docs the generated pages refer to, so references resolve (to
# docs.ansible.com) without fetching its inventory.
"$VENV/bin/python" - "$SITE/ansible_devel.inv" <<'PY'
import sys
import zlib
labels = [
    ('action_plugins', 'plugins/action.html#action-plugins', 'Action plugins'),
    ('common_return_values', 'reference_appendices/common_return_values.html#common-return-values', 'Return Values'),
    ('ansible_configuration_settings', 'reference_appendices/config.html#ansible-configuration-settings',
     'Ansible Configuration Settings'),
]
body = ''.join('%s std:label -1 %s %s\n' % label for label in labels)
with open(sys.argv[1], 'wb') as f:
    f.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
            b'# The remainder of this file is compressed using zlib.\n' + zlib.compress(body.encode()))
PY
cat >>"$SITE/conf.py" <<'EOF'

# asyncops.jobs scripts/docs-site.sh: offline, from a local inventory only.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv'),
}
project = 'asyncops.jobs'
html_short_title = 'asyncops.jobs documentation'
html_title = 'asyncops.jobs documentation'
EOF

start=$SECONDS
(
  cd "$SITE"
  antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --use-current \
    --dest-dir rst asyncops.jobs
  # -W: a warning (an unknown reference, a malformed page) fails the build.
  sphinx-build -q -W --keep-going -b html -c . rst build/html
) >"$DEST/build.log" 2>&1 || { cat "$DEST/build.log"; echo "docs-site: the build failed (above)"; exit 1; }
# antsibull-docs renders a module whose documentation it cannot read as an error page, and goes on.
if grep -E '^ERROR:antsibull|did not return correct DOCUMENTATION' "$DEST/build.log"; then
  echo "docs-site: antsibull-docs could not render some documentation (above)"; exit 1
fi
mv "$SITE/build/html" "$DEST/html"
echo "docs-site: built $DEST/html ($(find "$DEST/html" -name '*.html' | wc -l) pages, $((SECONDS - start))s)"

[ "${ASYNCOPS_DOCS_CHECK:-1}" = 0 ] && { echo "docs-site: browser check skipped (ASYNCOPS_DOCS_CHECK=0)"; exit 0; }
"$VENV/bin/python" scripts/check-docs-site.py --site "$DEST/html" --collection "$COLL" \
  --screenshot "$DEST/ksc_async_wait_module.png"
echo "docs-site: open $DEST/html/index.html"
