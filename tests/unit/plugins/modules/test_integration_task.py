# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""integration_task and integration_task_info main() against the in-process Integration Server simulator.

The wait loop's clock is replaced by one that moves the simulator's task timelines forward, so
no test sleeps through a task's duration.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils import wait as wait_module
from ansible_collections.asyncops.jobs.plugins.modules import integration_task, integration_task_info
from ansible_collections.asyncops.jobs.tests.unit.plugins.module_utils.test_integration_server import Clock
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module

USER = 'kis-admin'
PASSWORD = 'kis-Secret-0'


@pytest.fixture(scope='module')
def kis_server(start_simulator):
    from asyncops_simulators.integration_server import IntegrationServerSimulator
    return start_simulator(IntegrationServerSimulator())


@pytest.fixture
def kis(kis_server, monkeypatch):
    kis_server.reset()
    kis_server.simulator.configure({'cancelled_word': 'Canceled', 'password': PASSWORD})
    for name in ('KIS_HOST', 'KIS_USERNAME', 'KIS_PASSWORD', 'KIS_PORT', 'KIS_CA_PATH'):
        monkeypatch.delenv(name, raising=False)
    clock = Clock(kis_server)
    monkeypatch.setattr(wait_module, 'SystemClock', lambda: clock)
    return kis_server


def args(sim, **extra):
    base = dict(host='127.0.0.1', port=sim.port, ca_path=sim.ca_path, username=USER, password=PASSWORD,
                poll_interval=0.5, max_poll_interval=1)
    base.update(extra)
    return base


def info_args(sim, **extra):
    base = dict(host='127.0.0.1', port=sim.port, ca_path=sim.ca_path, username=USER, password=PASSWORD)
    base.update(extra)
    return base


def create(sim, **spec):
    return sim.simulator.create_operation(spec)['id']


def age(sim, task_id, seconds):
    sim.simulator.tasks[task_id].started -= seconds


def requests(sim):
    return sim.simulator.counters.snapshot()['requests_by_endpoint']


def test_completed_task_returns_its_result(kis, monkeypatch):
    task_id = create(kis, duration=3)
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id))
    assert not failed and result['changed'] is False
    assert (result['status'], result['vendor_status']) == ('succeeded', 'Completed')
    assert result['task']['id'] == task_id and result['task']['progress'] == 100
    assert result['result'] == {'taskId': task_id}
    assert result['attempts'] >= 3
    assert result['history'][-1]['vendor_status'] == 'Completed'


def test_failed_task_fails_with_its_error(kis, monkeypatch):
    task_id = create(kis, duration=1, outcome='failed', error='Tenant name acme is taken.')
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id))
    assert failed
    assert result['msg'] == 'Task %s ended Failed: Tenant name acme is taken.' % task_id
    assert result['error'] == {'name': 'Failed', 'message': 'Tenant name acme is taken.'}
    assert result['status'] == 'failed' and result['task']['state'] == 'Failed'


def test_cancel_running_task_then_rerun_is_unchanged(kis, monkeypatch):
    task_id = create(kis, duration=60, stop_duration=2)
    first, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id, state='cancelled'))
    assert not failed and first['changed'] is True
    assert first['status'] == 'cancelled'
    assert [h['vendor_status'] for h in first['history']] == ['Stopping', 'Canceled']
    again, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id, state='cancelled'))
    assert not failed and again['changed'] is False and again['status'] == 'cancelled'
    assert 'warnings' not in again


def test_cancel_answered_200_is_changed_without_waiting(kis, monkeypatch):
    task_id = create(kis, duration=60)
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id, state='cancelled'))
    assert not failed and result['changed'] is True and result['vendor_status'] == 'Canceled'
    assert requests(kis) == {'POST tasks/{id}/cancel': 1, 'GET tasks/{id}': 1}


def test_cancel_without_wait_reports_stopping(kis, monkeypatch):
    task_id = create(kis, duration=60, stop_duration=30)
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id, state='cancelled', wait=False))
    assert not failed and result['changed'] is True
    assert (result['status'], result['vendor_status']) == ('running', 'Stopping')


def test_cancel_completed_task_is_unchanged_with_a_warning(kis, monkeypatch):
    task_id = create(kis, duration=1)
    age(kis, task_id, 5)
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id, state='cancelled'))
    assert not failed and result['changed'] is False
    assert result['warnings'] == ['Task %s could not be cancelled because it had already finished (Completed).' % task_id]


def test_cancel_child_task_fails_pointing_at_the_parent(kis, monkeypatch):
    parent = create(kis, duration=60)
    child = create(kis, duration=60, parent=parent)
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=child, state='cancelled'))
    assert failed and result['http_status'] == 405
    assert 'cancel the parent task instead' in result['msg']
    assert result['task_id'] == child
    assert kis.simulator.tasks[child].cancel_requested_at is None


@pytest.mark.parametrize('state', ['completed', 'cancelled'])
def test_unknown_task_fails_naming_the_id(kis, monkeypatch, state):
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id='ghost-7', state=state))
    assert failed and result['http_status'] == 404
    assert 'ghost-7' in result['msg']


def test_check_mode_reads_but_cancels_nothing(kis, monkeypatch):
    running = create(kis, duration=60)
    age(kis, running, 1)
    done = create(kis, duration=1)
    age(kis, done, 5)
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=running, state='cancelled'), check_mode=True)
    assert not failed and result['changed'] is True and result['task']['state'] == 'Running'
    finished, failed = run_module(monkeypatch, integration_task, args(kis, task_id=done, state='cancelled'), check_mode=True)
    assert not failed and finished['changed'] is False and finished['warnings']
    assert 'POST tasks/{id}/cancel' not in requests(kis)
    assert kis.simulator.tasks[running].cancel_requested_at is None


def test_timeout_keeps_the_last_status(kis, monkeypatch):
    task_id = create(kis, duration=600)
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id=task_id, wait_timeout=5))
    assert failed
    assert result['msg'].startswith('Timed out after 5 s waiting for task %s; it was still running (vendor status Running)' % task_id)
    assert result['status'] == 'running' and result['task']['state'] == 'Running'
    assert result['task_id'] == task_id


def test_bad_credentials_fail_without_the_password(kis, monkeypatch):
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id='x', password='Wrong-pass-99'))
    assert failed and result['http_status'] == 401
    assert 'Wrong-pass-99' not in json.dumps(result)


def test_connection_from_environment(kis, monkeypatch):
    task_id = create(kis, duration=1)
    monkeypatch.setenv('KIS_HOST', '127.0.0.1')
    monkeypatch.setenv('KIS_PORT', str(kis.port))
    monkeypatch.setenv('KIS_USERNAME', USER)
    monkeypatch.setenv('KIS_PASSWORD', PASSWORD)
    monkeypatch.setenv('KIS_CA_PATH', kis.ca_path)
    result, failed = run_module(monkeypatch, integration_task, dict(task_id=task_id, poll_interval=0.5))
    assert not failed and result['status'] == 'succeeded'


def test_twenty_tasks_take_one_request_per_round(kis, monkeypatch):
    ids = kis.simulator.create_operation(dict(duration=2, count=20))['ids']
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_ids=ids))
    assert not failed and result['summary']['succeeded'] == 20
    assert [t['id'] for t in result['tasks']] == ids
    assert requests(kis) == {'GET tasks': result['attempts']}
    assert result['attempts'] < 10


def test_many_tasks_fail_when_one_failed(kis, monkeypatch):
    good = create(kis, duration=1)
    bad = create(kis, duration=1, outcome='failed')
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_ids=[good, bad]))
    assert failed and result['summary'] == {'running': 0, 'succeeded': 1, 'failed': 1, 'cancelled': 0}
    assert result['msg'] == '1 of 2 tasks did not complete: %s Failed.' % bad


def test_many_tasks_cancelled_and_rerun(kis, monkeypatch):
    ids = kis.simulator.create_operation(dict(duration=60, stop_duration=1, count=3))['ids']
    done = create(kis, duration=1)
    age(kis, done, 5)
    preview, failed = run_module(monkeypatch, integration_task, args(kis, task_ids=ids + [done], state='cancelled'),
                                 check_mode=True)
    assert not failed and preview['changed_task_ids'] == ids
    first, failed = run_module(monkeypatch, integration_task, args(kis, task_ids=ids + [done], state='cancelled'))
    assert not failed and first['changed'] is True and first['changed_task_ids'] == ids
    assert first['summary'] == {'running': 0, 'succeeded': 1, 'failed': 0, 'cancelled': 3}
    assert len(first['warnings']) == 1 and done in first['warnings'][0]
    again, failed = run_module(monkeypatch, integration_task, args(kis, task_ids=ids, state='cancelled'))
    assert not failed and again['changed'] is False and again['changed_task_ids'] == []


def test_task_id_and_task_ids_are_exclusive(kis, monkeypatch):
    result, failed = run_module(monkeypatch, integration_task, args(kis, task_id='a', task_ids=['b']))
    assert failed and 'mutually exclusive' in result['msg']


def test_info_one_task_and_filters(kis, monkeypatch):
    report = create(kis, type='CreateTenantReport', duration=60)
    age(kis, report, 1)
    create(kis, type='DeleteTenant', duration=60, created_ago=7200)
    one, failed = run_module(monkeypatch, integration_task_info, info_args(kis, task_id=report))
    assert not failed and one['changed'] is False
    assert [(t['id'], t['status']) for t in one['tasks']] == [(report, 'running')]
    since = one['tasks'][0]['created']
    recent, failed = run_module(monkeypatch, integration_task_info, info_args(kis, created_from=since, state='Running'))
    assert not failed and [t['id'] for t in recent['tasks']] == [report]
    reports, failed = run_module(monkeypatch, integration_task_info, info_args(kis, type='DeleteTenant'))
    assert not failed and [t['type'] for t in reports['tasks']] == ['DeleteTenant']


def test_info_rejects_bad_filters_before_asking(kis, monkeypatch):
    result, failed = run_module(monkeypatch, integration_task_info, info_args(kis, created_from='01/05/2024'))
    assert failed and 'created_from must be YYYY-MM-DDThh:mm:ss' in result['msg']
    result, failed = run_module(monkeypatch, integration_task_info, info_args(kis, state='running'))
    assert failed and 'state' in result['msg']
    assert requests(kis) == {}


def test_info_unknown_task_fails_naming_it(kis, monkeypatch):
    result, failed = run_module(monkeypatch, integration_task_info, info_args(kis, task_id='ghost-9'))
    assert failed and 'ghost-9' in result['msg'] and result['http_status'] == 404
