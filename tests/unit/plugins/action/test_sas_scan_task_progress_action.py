# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sas_scan_task_progress the controller way (what its action plugin runs): progress lines, and a
wrongly typed option failing as the target way fails, without a secret.

Controller-only code is imported here, so these tests live apart from the module's own tests,
which also run on Pythons the controller does not support.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.asyncops.jobs.plugins.module_utils.operations import sas_scan_task_progress as op
from ansible_collections.asyncops.jobs.plugins.module_utils.task import perform
from ansible_collections.asyncops.jobs.plugins.plugin_utils.controller_task import (
    ControllerTask,
    OperationAction,
    validate_like_a_module,
)
from ansible_collections.asyncops.jobs.plugins.modules import sas_scan_task_progress
# The simulator fixtures and option helpers of the module's tests, so both ways run alike.
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.test_sas_scan_task_progress import (  # noqa: F401  pylint: disable=unused-import
    args,
    sas,
    sas_session,
    use_clock,
)
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module

SECRET = 'typo-Secret-ab12cd34ef'
TOKEN = 'CAIS-env-token-0e1f2a'


def test_progress_lines_name_the_scan_and_estimate_nothing(monkeypatch, sas):
    class Recording(ControllerTask):
        lines = []

        def show_progress(self, line):
            self.lines.append(line)

    use_clock(monkeypatch, sas)
    task_id = sas.simulator.create_operation({'duration': 10})['id']
    params, dummy, error = validate_like_a_module(op.SPEC, args(sas, task_id=task_id, poll_interval=1,
                                                                max_poll_interval=2, progress_interval=30),
                                                  'sas_scan_task_progress')
    assert error is None
    result, failed = perform(op.SPEC, op.run, params, False, lambda: Recording(op.SPEC, params, False, 'sas01'),
                             'controller')
    assert not failed and result['vendor_status'] == 'Success', result
    prefix = 'asyncops.jobs.sas_scan_task_progress [sas01]: virus scan task %d: ' % task_id
    assert all(line.startswith(prefix) for line in Recording.lines)
    assert [line[len(prefix):].split(',')[0] for line in Recording.lines] == ['init', 'Processing', 'Success']
    # The service reports a word, not a percentage: no line may pretend to know the time left.
    assert not any('left' in line for line in Recording.lines)


def test_a_wrongly_typed_option_fails_alike_both_ways_without_a_secret(monkeypatch, sas):
    monkeypatch.setenv('ALICLOUD_SECURITY_TOKEN', TOKEN)
    options = args(sas, target_info='web-01', access_key_secret=SECRET)
    params, no_log_values, error = validate_like_a_module(op.SPEC, options, 'sas_scan_task_progress')
    assert SECRET in json.dumps(params) and TOKEN in json.dumps(params)   # what would be printed unmasked
    controller = OperationAction._failure(None, op.SPEC, error, no_log_values, params)  # pylint: disable=protected-access
    module, failed = run_module(monkeypatch, sas_scan_task_progress, options)
    assert failed and controller['failed']
    assert "option 'target_info'" in controller['msg']
    for key in ('msg', 'reason', 'timed_out'):
        assert controller[key] == module[key], key
    # The controller's own invocation, masked with the values found before validation failed.
    printed = json.dumps(controller)
    assert 'invocation' in controller
    assert SECRET not in printed and TOKEN not in printed
    assert sas.simulator.counters.snapshot()['requests_total'] == 0
