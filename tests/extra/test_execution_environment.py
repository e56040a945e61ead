# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution-environment definitions, as far as they can be checked without a container engine.

``ansible-builder create`` on the sample ``extensions/ee/execution-environment.yml`` must write a
build context that installs the collection (galaxy requirements), its Python dependencies and its
system packages, with the pinned ansible-core and ansible-runner; ``ansible-builder introspect`` must
read the collection's own ``meta/execution-environment.yml``. ``ansible-builder build`` needs podman
or docker, which CI machines here do not have.
"""

import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'extensions', 'ee', 'execution-environment.yml')


def _builder(*args, cwd=None):
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-builder')] + list(args)
    answer = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)
    assert answer.returncode == 0, '%s\n%s\n%s' % (' '.join(command), answer.stdout, answer.stderr)
    return answer.stdout


def _requirement_names(path):
    names = set()
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                names.add(line.split(';')[0].split('[')[0].split('=')[0].split('>')[0].split('<')[0].strip().lower())
    return names


def test_sample_is_a_version_3_definition():
    with open(SAMPLE) as f:
        definition = yaml.safe_load(f)
    assert definition['version'] == 3
    assert definition['images']['base_image']['name']
    deps = definition['dependencies']
    assert deps['ansible_core']['package_pip'].startswith('ansible-core==2.19.')
    assert deps['ansible_runner']['package_pip'].startswith('ansible-runner==')


def test_builder_create_writes_a_complete_context(tmp_path):
    context = tmp_path / 'context'
    _builder('create', '-f', SAMPLE, '-c', str(context), '--output-filename', 'Containerfile')
    containerfile = (context / 'Containerfile').read_text()
    build = context / '_build'

    with open(SAMPLE) as f:
        definition = yaml.safe_load(f)
    assert 'EE_BASE_IMAGE="%s"' % definition['images']['base_image']['name'] in containerfile
    assert 'ansible-core==2.19.' in containerfile and 'ansible-runner==' in containerfile

    # The collection, from the galaxy requirements, installed in the galaxy stage.
    with open(str(build / 'requirements.yml')) as f:
        galaxy = yaml.safe_load(f)
    assert 'asyncops.jobs' in [c['name'] if isinstance(c, dict) else c for c in galaxy['collections']]
    assert 'ansible-galaxy collection install' in containerfile and 'requirements.yml' in containerfile

    # Its Python dependencies and system packages, the same lists the collection ships.
    assert {'requests', 'xmltodict'} <= _requirement_names(str(build / 'requirements.txt'))
    assert _requirement_names(str(build / 'requirements.txt')) == _requirement_names(os.path.join(ROOT, 'requirements.txt'))
    assert 'ca-certificates' in (build / 'bindep.txt').read_text()
    assert '_build/requirements.txt' in containerfile and '_build/bindep.txt' in containerfile


def test_collection_metadata_introspects(tmp_path):
    """What an EE build finds in the installed collection's meta/execution-environment.yml."""
    tree = tmp_path / 'collections'
    os.makedirs(str(tree / 'ansible_collections' / 'asyncops'))
    os.symlink(ROOT, str(tree / 'ansible_collections' / 'asyncops' / 'jobs'))
    found = yaml.safe_load(_builder('introspect', '--sanitize', str(tree)).split('\n', 1)[1])
    python = ' '.join(found['python'])
    assert 'requests' in python and 'xmltodict' in python and 'asyncops.jobs' in python
    assert any('ca-certificates' in line for line in found['system'])
