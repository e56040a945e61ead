# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sbc_async_status main() against the in-process SBC simulator, on one virtual clock.

The wait loop, the client's token timing and the simulator all read the same clock, and the
wait loop's sleeps move it: no test sleeps through an operation or a token lifetime.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils import sbc as sbc_client_module
from ansible_collections.asyncops.jobs.plugins.module_utils import wait as wait_module
from ansible_collections.asyncops.jobs.plugins.modules import sbc_async_status
from ansible_collections.asyncops.jobs.tests.unit.plugins.module_utils.test_sbc import VirtualClock
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module

PASSWORD = 'Unit-sbc-Module-Pass-8125'


@pytest.fixture(scope='module')
def sbc_server(start_simulator):
    from asyncops_simulators.sbc import SbcSimulator
    return start_simulator(SbcSimulator())


@pytest.fixture
def sbc(sbc_server, monkeypatch):
    sbc_server.reset()
    clock = VirtualClock()
    sbc_server.simulator.clock = clock.now
    sbc_server.simulator.configure({'password': PASSWORD, 'durations': {
        'save': 1, 'verify': 1, 'activate': 2, 'backup': 1, 'restore': 1}})
    for name in ('SBC_HOST', 'SBC_USERNAME', 'SBC_PASSWORD', 'SBC_PORT', 'SBC_CA_PATH', 'SBC_TOKEN_LIFETIME'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(wait_module, 'SystemClock', lambda: clock)
    monkeypatch.setattr(sbc_client_module, 'SystemClock', lambda: clock)
    return sbc_server


def args(sim, **extra):
    base = dict(host='127.0.0.1', port=sim.port, ca_path=sim.ca_path, username='admin', password=PASSWORD,
                poll_interval=0.3, max_poll_interval=1)
    base.update(extra)
    return base


def counters(sim):
    return sim.simulator.counters.snapshot()


def test_save_verify_activate_run_in_order_under_one_lock(sbc, monkeypatch):
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action=['save', 'verify', 'activate']))
    assert not failed, result['msg']
    assert result['changed'] is True
    assert [(a['action'], a['status'], a['vendor_status']) for a in result['actions']] == [
        ('save', 'succeeded', 'success'), ('verify', 'succeeded', 'success'), ('activate', 'succeeded', 'success')]
    assert result['actions'][1]['additional_info']['verifySummary']['verify']['type'] == 'warning'
    assert (result['operation'], result['status']) == ('activate', 'succeeded')
    seen = counters(sbc)
    assert (seen['locks_taken'], seen['locks_released'], seen['operations_started']) == (1, 1, 3)
    assert sbc.simulator.lock_owner is None


def test_a_failing_verify_stops_the_list_and_still_releases_the_lock(sbc, monkeypatch):
    sbc.simulator.configure({'failures': {'verify': 'realm-id of sip-interface is not valid.'}})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action=['save', 'verify', 'activate']))
    assert failed
    assert result['msg'] == 'The verify operation on the SBC ended fail: realm-id of sip-interface is not valid.'
    assert result['actions_not_started'] == ['activate']
    assert result['error'] == {'name': 'fail', 'operation': 'verify', 'message': 'realm-id of sip-interface is not valid.'}
    assert [a['action'] for a in result['actions']] == ['save', 'verify']
    assert counters(sbc)['locks_released'] == 1 and sbc.simulator.lock_owner is None


def test_a_timeout_still_releases_the_lock(sbc, monkeypatch):
    sbc.simulator.configure({'durations': {'activate': 60}})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action='activate', wait_timeout=3))
    assert failed
    assert result['msg'].startswith('Timed out after 3 s waiting for the activate operation; it was still running')
    assert result['vendor_status'] == 'inProgress' and result['changed'] is True
    assert counters(sbc)['locks_released'] == 1 and sbc.simulator.lock_owner is None


def test_wait_timeout_bounds_the_whole_list_not_each_action(sbc, monkeypatch):
    # Each action alone fits in 5 s; together they do not, and the task must not take 3 x 5 s.
    sbc.simulator.configure({'durations': {'save': 3, 'verify': 3, 'activate': 3}})
    result, failed = run_module(monkeypatch, sbc_async_status,
                                args(sbc, action=['save', 'verify', 'activate'], wait_timeout=5))
    assert failed
    assert result['msg'].startswith('Timed out after 5 s waiting for the verify operation')
    assert [a['action'] for a in result['actions']] == ['save']
    assert counters(sbc)['locks_released'] == 1 and sbc.simulator.lock_owner is None


def test_a_short_token_during_a_long_activate_is_renewed_and_the_lock_kept(sbc, monkeypatch):
    sbc.simulator.configure({'token_lifetime': 4, 'durations': {'activate': 10}})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action='activate', token_lifetime=4))
    assert not failed, result['msg']
    seen = counters(sbc)
    assert result['status'] == 'succeeded'
    assert seen['token_renewals'] >= 2
    assert seen.get('responses_423', 0) == 0 and seen.get('responses_401', 0) == 0
    assert seen['locks_released'] == 1


def test_a_report_of_another_operation_fails_naming_both(sbc, monkeypatch):
    sbc.simulator.create_operation({'operation': 'save', 'duration': 5})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, operation='activate'))
    assert failed
    assert 'reports the save operation, not activate' in result['msg']
    assert (result['operation'], result['expected_operation']) == ('save', 'activate')


def test_read_only_waits_for_an_operation_started_elsewhere(sbc, monkeypatch):
    sbc.simulator.create_operation({'operation': 'activate', 'duration': 3})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, operation='activate'))
    assert not failed
    assert (result['changed'], result['status'], result['operation']) == (False, 'succeeded', 'activate')
    assert result['attempts'] > 1
    assert counters(sbc).get('operations_started', 0) == 0


def test_one_read_returns_the_running_word(sbc, monkeypatch):
    sbc.simulator.configure({'in_progress_word': 'processing'})
    sbc.simulator.create_operation({'operation': 'backup', 'duration': 3})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, wait=False))
    assert not failed
    assert (result['status'], result['vendor_status'], result['attempts']) == ('running', 'processing', 1)


def test_check_mode_takes_no_lock_and_starts_nothing(sbc, monkeypatch):
    sbc.simulator.create_operation({'operation': 'save', 'duration': 0})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action=['save', 'activate']), check_mode=True)
    assert not failed
    assert result['changed'] is True
    assert [a['action'] for a in result['actions']] == ['save', 'activate']
    seen = counters(sbc)
    assert seen.get('locks_taken', 0) == 0 and seen.get('operations_started', 0) == 0


def test_bad_credentials_give_one_sentence_and_no_password(sbc, monkeypatch):
    wrong = 'Wrong-' + PASSWORD
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, password=wrong, action='save'))
    assert failed
    assert result['msg'] == 'The SBC at 127.0.0.1 rejected the credentials of user admin (HTTP 401).'
    assert result['http_status'] == 401
    assert wrong not in json.dumps(result) and PASSWORD not in json.dumps(result)


def test_a_lock_held_elsewhere_fails_before_anything_starts(sbc, monkeypatch):
    sbc.simulator.configure({'lock_holder': True})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action='save'))
    assert failed
    assert 'configuration lock is held by another user' in result['msg']
    assert counters(sbc).get('operations_started', 0) == 0


def test_backup_and_restore_send_their_sources(sbc, monkeypatch):
    result, failed = run_module(monkeypatch, sbc_async_status, args(
        sbc, action=['backup', 'restore'], filename='before.gz', backup_source='saved', restore_source='backupFile'))
    assert not failed, result['msg']
    by_endpoint = counters(sbc)['requests_by_endpoint']
    assert by_endpoint['POST /rest/v1.2/configuration/management?action=backup'] == 1
    assert by_endpoint['PUT /rest/v1.2/configuration/management?action=restore'] == 1


@pytest.mark.parametrize('extra, message', [
    (dict(action=['save', 'activate'], wait=False), 'Wait=false allows only one action'),
    (dict(action='backup'), 'Backup needs filename'),
    (dict(action='restore'), 'Restore needs restore_source'),
    (dict(action=[]), 'Action must name at least one action'),
])
def test_bad_input_is_refused_before_any_request(sbc, monkeypatch, extra, message):
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, **extra))
    assert failed and result['msg'].startswith(message)
    assert counters(sbc)['requests_total'] == 0


def test_check_mode_on_a_device_with_no_operation_yet_reports_no_status(sbc, monkeypatch):
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action='save'), check_mode=True)
    assert not failed and result['changed'] is True
    assert 'status' not in result and 'operation' not in result
    assert counters(sbc)['requests_by_endpoint'] == {'POST /rest/v1.2/auth/token': 1, 'GET /rest/v1.2/admin/asyncstatus': 1}
