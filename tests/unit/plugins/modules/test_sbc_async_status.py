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
    assert (result['reason'], result['timed_out'], result['changed']) == ('operation_failed', False, True)
    assert counters(sbc)['locks_released'] == 1 and sbc.simulator.lock_owner is None


def test_a_timeout_still_releases_the_lock(sbc, monkeypatch):
    sbc.simulator.configure({'durations': {'activate': 60}})
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action='activate', wait_timeout=3))
    assert failed
    assert result['msg'].startswith('Timed out after 3 s waiting for SBC activate; it was still running')
    assert result['vendor_status'] == 'inProgress' and result['changed'] is True
    assert (result['reason'], result['timed_out'], result['ran_on']) == ('timed_out', True, 'target')
    assert counters(sbc)['locks_released'] == 1 and sbc.simulator.lock_owner is None


def test_wait_timeout_bounds_the_whole_list_not_each_action(sbc, monkeypatch):
    # Each action alone fits in 5 s; together they do not, and the task must not take 3 x 5 s.
    sbc.simulator.configure({'durations': {'save': 3, 'verify': 3, 'activate': 3}})
    result, failed = run_module(monkeypatch, sbc_async_status,
                                args(sbc, action=['save', 'verify', 'activate'], wait_timeout=5))
    assert failed
    assert result['msg'].startswith('Timed out after 5 s waiting for SBC verify')
    assert (result['reason'], result['timed_out']) == ('timed_out', True)
    assert [a['action'] for a in result['actions']] == ['save']
    assert result['actions_not_started'] == ['activate']
    assert counters(sbc)['operations_started'] == 2
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
    assert result['reason'] == 'request_rejected' and result['changed'] is False


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
    assert result['reason'] == 'request_rejected' and 'actions' not in result
    assert counters(sbc).get('operations_started', 0) == 0


def test_backup_and_restore_send_their_sources(sbc, monkeypatch):
    result, failed = run_module(monkeypatch, sbc_async_status, args(
        sbc, action=['backup', 'restore'], filename='before.gz', backup_source='saved', restore_source='backupFile'))
    assert not failed, result['msg']
    by_endpoint = counters(sbc)['requests_by_endpoint']
    assert by_endpoint['POST /rest/v1.2/configuration/management?action=backup'] == 1
    assert by_endpoint['PUT /rest/v1.2/configuration/management?action=restore'] == 1


@pytest.mark.parametrize('extra, message', [
    (dict(action=['save', 'activate'], wait=False), 'wait=false allows only one action'),
    (dict(action=['save', 'activate'], lock=False), 'lock=false allows only one action'),
    (dict(action='backup'), 'action backup needs filename.'),
    (dict(action='backup', filename='b.gz', api_version='v1.0'), 'action backup needs REST API version v1.1'),
    (dict(action='restore'), 'action restore needs restore_source.'),
    (dict(action='restore', restore_source='backupFile'), 'action restore with restore_source=backupFile needs filename.'),
    (dict(action=[]), 'action is an empty list'),
    (dict(action=['save', 'reboot']), 'value of action must be one or more of'),
    (dict(action='save', operation='save'), 'parameters are mutually exclusive: action|operation'),
    (dict(action='save', token_lifetime=0), 'token_lifetime must be more than 0 and at most 86400 seconds, not 0.'),
    (dict(action='save', token_lifetime=-600), 'token_lifetime must be more than 0'),
    (dict(action='save', token_lifetime=6000000), 'token_lifetime must be more than 0 and at most 86400 seconds'),
    (dict(action='save', wait_timeout=0), 'wait_timeout must be more than 0'),
    (dict(action=['save', 'activate'], request_timeout=-1), 'request_timeout must be more than 0'),
])
def test_bad_input_is_refused_before_any_request(sbc, monkeypatch, extra, message):
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, **extra))
    assert failed and result['msg'].startswith(message), result['msg']
    assert (result['reason'], result.get('changed', False), result['timed_out']) == ('invalid_options', False, False)
    assert 'Traceback' not in json.dumps(result) and PASSWORD not in json.dumps(result)
    # Nothing sent at all: no token request, so no lock and no action either.
    assert counters(sbc)['requests_total'] == 0


def test_several_problems_are_named_in_one_msg(sbc, monkeypatch):
    result, failed = run_module(monkeypatch, sbc_async_status, args(
        sbc, action=['backup', 'restore'], wait=False, token_lifetime=0))
    assert failed and result['reason'] == 'invalid_options'
    assert len(result['problems']) == 4
    assert result['msg'].startswith('token_lifetime must be') and 'action restore needs restore_source.' in result['msg']
    assert counters(sbc)['requests_total'] == 0


def test_check_mode_on_a_device_with_no_operation_yet_reports_no_status(sbc, monkeypatch):
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action='save'), check_mode=True)
    assert not failed and result['changed'] is True
    assert 'status' not in result and 'operation' not in result
    assert counters(sbc)['requests_by_endpoint'] == {'POST /rest/v1.2/auth/token': 1, 'GET /rest/v1.2/admin/asyncstatus': 1}


def test_no_action_starts_after_the_deadline_passed(sbc, monkeypatch):
    # The status read that sees save succeed is slow (here: it moves the clock past the deadline):
    # verify must not be started, since it could only be abandoned under a released lock.
    clock = wait_module.SystemClock()
    real_read = sbc_client_module.SbcClient.read_status

    def slow_read(self, link=None):
        report = real_read(self, link)
        if report['operation'] == 'save' and report['status'] == 'succeeded':
            clock.sleep(30)
        return report
    monkeypatch.setattr(sbc_client_module.SbcClient, 'read_status', slow_read)
    result, failed = run_module(monkeypatch, sbc_async_status,
                                args(sbc, action=['save', 'verify', 'activate'], wait_timeout=20))
    assert failed
    assert result['msg'] == 'Timed out after 20 s before starting the verify operation; save finished.'
    assert (result['reason'], result['timed_out'], result['changed']) == ('timed_out', True, True)
    assert result['actions_not_started'] == ['verify', 'activate']
    assert [(a['action'], a['status']) for a in result['actions']] == [('save', 'succeeded')]
    seen = counters(sbc)
    assert seen['operations_started'] == 1
    assert seen['locks_released'] == 1 and sbc.simulator.lock_owner is None


def test_the_lock_keeps_its_token_alive_even_with_a_long_backoff(sbc, monkeypatch):
    # With the default 30 s backoff cap a 4 s token would expire between two reads (a 401, the
    # lock gone); under the lock the wait's pauses are capped at 10 % of token_lifetime.
    sbc.simulator.configure({'token_lifetime': 4, 'durations': {'activate': 20}})
    result, failed = run_module(monkeypatch, sbc_async_status, args(
        sbc, action='activate', token_lifetime=4, poll_interval=2, max_poll_interval=30))
    assert not failed, result['msg']
    seen = counters(sbc)
    assert seen['token_renewals'] >= 4 and seen.get('responses_401', 0) == 0
    # 20 s in pauses of at most 0.4 s; the uncapped backoff would have read about five times.
    assert result['attempts'] >= 50 and seen['locks_released'] == 1


def test_status_reads_failing_past_retries_stop_the_list_and_release_the_lock(sbc, monkeypatch):
    from asyncops_simulators.kit import Fault
    sbc.simulator.faults.append(Fault('status', status=503, endpoint='asyncstatus', count=100))
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action=['save', 'activate'], retries=2))
    assert failed and result['reason'] == 'retries_exhausted'
    assert result['msg'].startswith('Gave up after 3 consecutive failed requests (retries=2)')
    assert result['actions_not_started'] == ['activate'] and result['changed'] is True
    assert counters(sbc)['locks_released'] == 1 and sbc.simulator.lock_owner is None


def test_a_failed_release_after_a_good_list_fails_the_task_and_says_so(sbc, monkeypatch):
    from asyncops_simulators.kit import Fault
    sbc.simulator.faults.append(Fault('status', status=500, endpoint='configuration/unlock', count=1))
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action='save'))
    assert failed and result['changed'] is True
    assert result['msg'].startswith('Could not release the configuration lock on the SBC at 127.0.0.1 (HTTP 500)')
    assert result['lock_release_error'] == result['msg']
    assert [(a['action'], a['status']) for a in result['actions']] == [('save', 'succeeded')]


def test_a_failed_release_after_a_failed_action_keeps_the_action_failure(sbc, monkeypatch):
    from asyncops_simulators.kit import Fault
    sbc.simulator.configure({'failures': {'save': 'Disk full.'}})
    sbc.simulator.faults.append(Fault('status', status=500, endpoint='configuration/unlock', count=1))
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action=['save', 'activate']))
    assert failed and result['reason'] == 'operation_failed'
    assert result['msg'] == 'The save operation on the SBC ended fail: Disk full.'
    assert result['lock_release_error'].startswith('Could not release the configuration lock')


class _TokenInErrorText(dict):
    """Verify fails with a text that quotes the access token holding the lock (a careless device)."""

    def __init__(self, simulator):
        super(_TokenInErrorText, self).__init__()
        self.simulator = simulator
        self.tokens = []

    def get(self, action, default=None):
        if action != 'verify':
            return default
        self.tokens.append(self.simulator.lock_owner)
        return 'Session %s may not verify.' % self.simulator.lock_owner


def test_no_access_token_in_a_failure(sbc, monkeypatch):
    echo = _TokenInErrorText(sbc.simulator)
    sbc.simulator.failures = echo
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action=['save', 'verify']))
    assert failed and result['reason'] == 'operation_failed'
    assert len(echo.tokens) == 1 and len(echo.tokens[0]) == 32
    assert result['msg'] == 'The verify operation on the SBC ended fail: Session ******** may not verify.'
    assert echo.tokens[0] not in json.dumps(result), json.dumps(result)


def test_a_refused_start_stops_the_list_and_names_what_did_not_start(sbc, monkeypatch):
    from asyncops_simulators.kit import Fault
    sbc.simulator.faults.append(Fault('status', status=400, endpoint='action=verify', count=1))
    result, failed = run_module(monkeypatch, sbc_async_status, args(sbc, action=['save', 'verify', 'activate']))
    assert failed and result['reason'] == 'request_rejected' and result['http_status'] == 400
    assert result['msg'].startswith('Could not start the verify operation on the SBC at 127.0.0.1 (HTTP 400)')
    assert result['actions_not_started'] == ['activate']
    assert [a['action'] for a in result['actions']] == ['save']
    assert counters(sbc)['locks_released'] == 1 and sbc.simulator.lock_owner is None
