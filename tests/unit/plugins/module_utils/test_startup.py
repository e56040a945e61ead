# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a module loads when it starts on the target.

A module run imports, and compiles from its zip (zipimport caches no bytecode), every file it
imports, on every run: what only some tasks need is imported where it is used. See the
finished_operation benchmark in tests/benchmarks/README.md for what that costs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import HttpClient

PREFIX = 'ansible_collections.asyncops.jobs.plugins.'
ON_DEMAND = ('xmltodict', PREFIX + 'module_utils.progress', PREFIX + 'module_utils.request_budget')


def modules_loaded_by(module):
    """``sys.modules`` of a fresh interpreter after importing a module and its operation, as a module run does."""
    code = ('import importlib, json, sys\n'
            'importlib.import_module(%r)\n'
            'importlib.import_module(%r)\n'
            'print(json.dumps(sorted(sys.modules)))\n'
            % (PREFIX + 'modules.' + module, PREFIX + 'module_utils.operations.' + module))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return set(json.loads(subprocess.check_output([sys.executable, '-c', code], env=env)))


@pytest.mark.parametrize('module', ['solidfire_async_result', 'integration_task', 'sbc_async_status'])
def test_a_module_start_loads_neither_progress_nor_the_request_budget_nor_xmltodict(module):
    loaded = modules_loaded_by(module)
    assert PREFIX + 'module_utils.task' in loaded  # the check looks at the right interpreter
    assert [name for name in ON_DEMAND if name in loaded] == []


class _Response(object):
    content = b'<task id="1"><state>Completed</state></task>'
    status_code = 200
    url = 'https://127.0.0.1:7271/api/2.0/virtualization/tasks/1'


def test_xml_is_parsed_with_xmltodict_imported_on_first_use():
    http = HttpClient('https://127.0.0.1:7271/api/2.0/virtualization/')
    assert http.xml(_Response())['task']['state'] == 'Completed'


def test_xml_without_xmltodict_fails_in_one_sentence(monkeypatch):
    monkeypatch.setitem(sys.modules, 'xmltodict', None)  # what "import xmltodict" then raises: ImportError
    http = HttpClient('https://127.0.0.1:7271/api/2.0/virtualization/')
    with pytest.raises(TerminalError) as caught:
        http.xml(_Response())
    assert caught.value.message == 'The Python library xmltodict is required on the host that runs this module.'
