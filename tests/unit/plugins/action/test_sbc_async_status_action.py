# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sbc_async_status the controller way (what its action plugin runs): progress lines, and bad input refused alike.

Controller-only code is imported here, so these tests live apart from the module's own tests,
which also run on Pythons the controller does not support.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.asyncops.jobs.plugins.modules import sbc_async_status
# The simulator fixtures and helpers of the module's tests, so both ways run alike.
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.test_sbc_async_status import (  # noqa: F401  pylint: disable=unused-import
    PASSWORD,
    args,
    counters,
    sbc,
    sbc_server,
)
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module


# --- the controller way: the same operation in the action plugin's Task, with live progress -------------

class _Display(object):
    def __init__(self):
        self.lines = []

    def display(self, line):
        self.lines.append(line)


def run_on_controller(monkeypatch, extra, check_mode=False):
    """What OperationAction._run_here does, without a play around it: ``(result, failed, lines)``."""
    from ansible_collections.asyncops.jobs.plugins.module_utils.operations import sbc_async_status as operation
    from ansible_collections.asyncops.jobs.plugins.module_utils.task import perform
    from ansible_collections.asyncops.jobs.plugins.plugin_utils import controller_task

    shown = _Display()
    monkeypatch.setattr(controller_task, 'display', shown)
    spec = operation.SPEC
    params, no_log_values, error = controller_task.validate_like_a_module(spec, extra, spec.fqcn)
    assert error is None
    result, failed = perform(spec, operation.run, params, check_mode,
                             lambda: controller_task.ControllerTask(spec, params, check_mode, 'sbc1'),
                             controller_task.CONTROLLER)
    return result, failed, shown.lines


def test_progress_lines_name_the_host_and_the_operation_and_no_token(sbc, monkeypatch):
    sbc.simulator.configure({'durations': {'activate': 60}})
    result, failed, lines = run_on_controller(monkeypatch, args(sbc, action='activate', progress_interval=10))
    assert not failed, result['msg']
    assert result['ran_on'] == 'controller' and result['status'] == 'succeeded'
    assert lines[0] == 'asyncops.jobs.sbc_async_status [sbc1]: SBC activate: inProgress (activate), check 1, 0s of 10m'
    assert lines[-1].startswith('asyncops.jobs.sbc_async_status [sbc1]: SBC activate: success (activate), check ')
    # One line per change, and one about every 10 s while the 60 s activate runs.
    assert 5 <= len(lines) <= 9, lines
    assert not any(PASSWORD in line or 'Bearer' in line for line in lines)


@pytest.mark.parametrize('extra', [
    dict(action=['save', 'activate'], lock=False),
    dict(action='save', token_lifetime=0),
    dict(action=[]),
])
def test_bad_input_gets_the_same_refusal_on_the_controller(sbc, monkeypatch, extra):
    module_result, module_failed = run_module(monkeypatch, sbc_async_status, args(sbc, **extra))
    result, failed, lines = run_on_controller(monkeypatch, args(sbc, **extra))
    assert failed and module_failed and not lines
    assert (result['msg'], result['reason'], result['ran_on']) == (module_result['msg'], 'invalid_options', 'controller')
    assert counters(sbc)['requests_total'] == 0
