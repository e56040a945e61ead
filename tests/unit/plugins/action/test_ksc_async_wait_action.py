# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ksc_async_wait the controller way (what its action plugin runs): progress lines, and no session id in them or in msg.

Controller-only code is imported here, so these tests live apart from the module's own tests,
which also run on Pythons the controller does not support.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# The simulator fixtures and helpers of the module's tests, so both ways run alike.
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.test_ksc_async_wait import (  # noqa: F401  pylint: disable=unused-import
    args,
    clock,
    end_every_session,
    ksc,
    ksc_server,
    queue,
)


def run_on_controller(sim, params, check_mode=False):
    """The operation as the action plugin runs it, with its progress lines kept: ``(result, failed, lines)``."""
    from ansible_collections.asyncops.jobs.plugins.module_utils.operations import ksc_async_wait as operation
    from ansible_collections.asyncops.jobs.plugins.module_utils.task import perform
    from ansible_collections.asyncops.jobs.plugins.plugin_utils.controller_task import (
        ControllerTask,
        validate_like_a_module,
    )
    lines = []

    class Capture(ControllerTask):
        def show_progress(self, line):
            lines.append(line)

    validated, dummy, error = validate_like_a_module(operation.SPEC, params, 'asyncops.jobs.ksc_async_wait')
    assert error is None
    result, failed = perform(operation.SPEC, operation.run, validated, check_mode,
                             lambda: Capture(operation.SPEC, validated, check_mode, 'ksc01'), 'controller')
    return result, failed, lines


def test_progress_lines_name_the_action_and_never_the_session(ksc, clock):
    queue(ksc, duration=4, next_check_delay_ms=1000)
    result, failed, lines = run_on_controller(ksc, args(ksc, method='HostGroup.RemoveGroup', progress_interval=1))
    assert not failed, result
    assert result['ran_on'] == 'controller' and result['status'] == 'succeeded'
    assert lines and all(line.startswith('asyncops.jobs.ksc_async_wait [ksc01]: KSC action %s: '
                                         % result['action_guid']) for line in lines)
    assert 'not finalized' in lines[0] and '%' not in lines[0]  # KSC reports no percentage
    (session_id,) = ksc.simulator.sessions
    assert session_id not in json.dumps([result, lines])
    assert ksc.simulator.counters.snapshot()['early_checks'] == 0


def test_session_loss_on_the_controller_keeps_the_session_out_of_msg(ksc, clock):
    queue(ksc, duration=30, next_check_delay_ms=1000)
    clock.after_sleep = end_every_session(ksc)
    result, failed, lines = run_on_controller(ksc, args(ksc, method='HostGroup.RemoveGroup', progress_interval=1))
    assert failed and result['reason'] == 'request_rejected' and result['session_ended'] is True
    (session_id,) = ksc.simulator.sessions
    assert session_id not in json.dumps([result, lines])
