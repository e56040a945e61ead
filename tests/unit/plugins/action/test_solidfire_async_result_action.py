# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""solidfire_async_result the controller way (what its action plugin runs): progress lines, and
the same results as the target way for the same input.

Controller-only code is imported here, so these tests live apart from the module's own tests,
which also run on Pythons the controller does not support.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.operations import solidfire_async_result as op
from ansible_collections.asyncops.jobs.plugins.module_utils.task import perform
from ansible_collections.asyncops.jobs.plugins.plugin_utils.controller_task import (
    ControllerTask,
    OperationAction,
    validate_like_a_module,
)
# The simulator fixtures and option helpers of the module's tests, so both ways run alike.
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.test_solidfire_async_result import (  # noqa: F401  pylint: disable=unused-import
    PASSWORD,
    args,
    operation,
    run,
    sf,
    sf_server,
)


class _RecordingTask(object):
    """The controller side's Task with its progress lines kept instead of displayed."""

    @staticmethod
    def run(sim, **options):
        class Recording(ControllerTask):
            lines = []

            def show_progress(self, line):
                self.lines.append(line)

        params, dummy, error = validate_like_a_module(op.SPEC, args(sim, progress_interval=1, **options), 'sf')
        assert error is None
        result, failed = perform(op.SPEC, op.run, params, False,
                                 lambda: Recording(op.SPEC, params, False, 'sf01'), 'controller')
        assert PASSWORD not in json.dumps(result) and PASSWORD not in ''.join(Recording.lines)
        return result, failed, Recording.lines


def test_progress_of_a_batch_counts_handles_done(sf):
    # Far apart, so that each count is seen in some round even if the machine is slow (the
    # simulator's operations also move on in real time).
    handles = [operation(sf, duration=d) for d in (1, 10, 30)]
    result, failed, lines = _RecordingTask.run(sf, async_handles=handles)
    assert not failed and result['ran_on'] == 'controller'
    assert lines and all(line.startswith('asyncops.jobs.solidfire_async_result [sf01]: 3 async handles: ')
                         for line in lines)
    assert any(' 1 of 3 handles done' in line for line in lines)
    assert any(' 2 of 3 handles done' in line for line in lines)


def test_progress_of_one_handle_names_it_and_its_percentage(sf):
    handle = operation(sf, duration=5)
    result, failed, lines = _RecordingTask.run(sf, async_handle=handle)
    assert not failed and result['status'] == 'succeeded'
    assert lines[0].startswith('asyncops.jobs.solidfire_async_result [sf01]: async handle %d: running ' % handle)
    assert any(' %' in line for line in lines)


@pytest.mark.parametrize('options', [dict(async_handles=[]), dict(async_handles='many'), dict(handles=[1]),
                                     dict(async_handles=[777001, 777002]), dict(async_handle=777003)])
def test_both_ways_give_the_same_result(monkeypatch, sf, options):
    module_result, module_failed = run(monkeypatch, sf, **options)
    sf.reset()
    controller_result, controller_failed = _run_on_controller(sf, options)
    assert module_failed is True and controller_failed is True
    assert (module_result['ran_on'], controller_result['ran_on']) == ('target', 'controller')
    for key in ('msg', 'reason', 'timed_out', 'summary', 'results', 'error'):
        assert module_result.get(key) == controller_result.get(key), key
    # ansible-core's own validation failures carry no changed; the executor reads that as false.
    assert module_result.get('changed', False) is controller_result['changed'] is False


def _run_on_controller(sim, options):
    """What the action plugin answers for ``options``, its argument validation included."""
    params, no_log_values, error = validate_like_a_module(op.SPEC, args(sim, **options), 'solidfire_async_result')
    if error:
        return OperationAction._failure(None, op.SPEC, error, no_log_values, params), True  # pylint: disable=protected-access
    result, failed, dummy = _RecordingTask.run(sim, **options)
    return result, failed
