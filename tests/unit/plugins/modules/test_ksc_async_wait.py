# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ksc_async_wait's main() against the in-process KSC simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.asyncops.jobs.plugins.modules import ksc_async_wait
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module

USER = 'ksc-admin'
PASSWORD = 'Sim-KSC-pass-42'


@pytest.fixture(scope='module')
def ksc_server(start_simulator):
    from asyncops_simulators.ksc import KscSimulator
    return start_simulator(KscSimulator())


@pytest.fixture
def ksc(ksc_server, monkeypatch):
    ksc_server.reset()
    for name in ('KSC_HOST', 'KSC_USERNAME', 'KSC_PASSWORD', 'KSC_SESSION_ID'):
        monkeypatch.delenv(name, raising=False)
    return ksc_server


def args(sim, **extra):
    base = dict(host='127.0.0.1', port=sim.port, ca_path=sim.ca_path, username=USER, password=PASSWORD,
                poll_interval=0.05, max_poll_interval=0.2, wait_timeout=10)
    base.update(extra)
    return base


def queue(sim, **spec):
    sim.simulator.create_operation(spec)


def open_sessions(sim):
    return [sid for sid, session in sim.simulator.sessions.items() if not session['ended']]


def test_method_mode_starts_waits_and_ends_its_own_session(ksc, monkeypatch):
    queue(ksc, duration=0.3, next_check_delay_ms=100)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup',
                                                                  params={'nGroup': 17, 'nFlags': 1}))
    assert not failed, result
    assert result['changed'] is True and result['status'] == 'succeeded' and result['finalized'] is True
    assert result['state_code'] == 1 and result['action_guid'].startswith('{')
    assert 3 <= result['attempts'] <= 5  # 0.3 s / 0.1 s + 1, give or take the first check's timing
    assert ksc.simulator.counters.snapshot()['early_checks'] == 0
    assert open_sessions(ksc) == []
    assert PASSWORD not in json.dumps(result)


@pytest.mark.parametrize('shape', ['wrapped', 'plain'])
def test_failed_action_fails_the_task_with_details(ksc, monkeypatch, shape):
    queue(ksc, duration=0, outcome='failed', failure_shape=shape, description='Group 17 is not empty', error_code=1950)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', params={'nGroup': 17}))
    assert failed
    assert result['status'] == 'failed' and result['state_code'] == 0
    assert result['error']['code'] == 1950 and result['error']['module'] == 'KLSRV'
    assert result['error']['description'] == 'Group 17 is not empty'
    assert result['msg'].startswith('KSC action %s failed: Group 17 is not empty' % result['action_guid'])
    assert open_sessions(ksc) == []


def test_timeout_keeps_the_last_status_and_ends_the_session(ksc, monkeypatch):
    queue(ksc, duration=30, next_check_delay_ms=100)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', wait_timeout=1))
    assert failed
    assert result['msg'].startswith('Timed out after 1 s waiting for KSC action')
    assert result['status'] == 'running' and result['action_guid']
    assert open_sessions(ksc) == []
    assert ksc.simulator.counters.snapshot()['early_checks'] == 0


def test_hint_larger_than_the_rest_of_the_deadline_stops_early(ksc, monkeypatch):
    # wait_timeout well above what a login takes on a loaded machine, well below the 60 s hint.
    queue(ksc, duration=30, next_check_delay_ms=60000)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', wait_timeout=20))
    assert failed and 'after the deadline' in result['msg']
    assert result['attempts'] == 1


def test_transient_5xx_is_retried_without_an_early_check(ksc, monkeypatch):
    from asyncops_simulators.kit import Fault
    queue(ksc, duration=0.5, next_check_delay_ms=200)
    ksc.simulator.faults.append(Fault('status', status=503, endpoint='CheckActionState', count=2, after=1))
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup'))
    assert not failed, result
    assert result['status'] == 'succeeded'
    assert any('transient_error' in entry for entry in result['history'])
    counters = ksc.simulator.counters.snapshot()
    assert counters['faults_applied'] == 2 and counters['early_checks'] == 0


def test_check_mode_does_not_call_the_method(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup'), check_mode=True)
    assert not failed and result['changed'] is True and result['action_guid'] is None
    assert 'POST /api/v1.0/HostGroup.RemoveGroup' not in ksc.simulator.counters.snapshot()['requests_by_endpoint']


def test_action_guid_from_a_session_of_another_task(ksc, monkeypatch):
    from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
    starter = KscClient('127.0.0.1', port=ksc.port, username=USER, password=PASSWORD, ca_path=ksc.ca_path)
    session_id = starter.start_session()
    queue(ksc, duration=0.2, next_check_delay_ms=100)
    guid = starter.start_action('HostGroup.MoveHostsFromGroupToGroup', {'nSrcGroupId': 5, 'nDstGroupId': 9})
    result, failed = run_module(monkeypatch, ksc_async_wait, dict(args(ksc, username=None, password=None),
                                                                  session_id=session_id, action_guid=guid))
    assert not failed, result
    assert result['changed'] is False and result['status'] == 'succeeded'
    assert session_id in open_sessions(ksc)  # a session the module was given is the caller's to end
    again, failed = run_module(monkeypatch, ksc_async_wait, dict(args(ksc), session_id=session_id, action_guid=guid))
    assert failed and 'already finished and KSC forgot it' in again['msg']
    assert again['error']['code'] == 1186


def test_action_guid_without_its_session_explains_session_id(ksc, monkeypatch):
    from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
    starter = KscClient('127.0.0.1', port=ksc.port, username=USER, password=PASSWORD, ca_path=ksc.ca_path)
    starter.start_session()
    guid = starter.start_action('HostGroup.RemoveGroup', {'nGroup': 3})
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, action_guid=guid))
    assert failed and 'belongs to another KSC session' in result['msg'] and 'session_id' in result['msg']
    assert result['error']['name'] == 'STDE_NOACCESS'


def test_wrong_password_gives_one_sentence_and_no_secret(ksc, monkeypatch):
    secret = 'Not-The-Password-77'
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, password=secret, method='HostGroup.RemoveGroup'))
    assert failed and 'login failed' in result['msg']
    assert secret not in json.dumps(result)


def test_credentials_are_required_without_session_id(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, password=None, method='HostGroup.RemoveGroup'))
    assert failed and 'KSC_USERNAME / KSC_PASSWORD' in result['msg']


def test_wait_false_with_method_needs_a_session(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, wait=False, method='HostGroup.RemoveGroup'))
    assert failed and 'session_id' in result['msg']
    assert 'POST /api/v1.0/HostGroup.RemoveGroup' not in ksc.simulator.counters.snapshot()['requests_by_endpoint']


def test_wait_false_reads_once(ksc, monkeypatch):
    from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
    starter = KscClient('127.0.0.1', port=ksc.port, username=USER, password=PASSWORD, ca_path=ksc.ca_path)
    session_id = starter.start_session()
    queue(ksc, duration=30, next_check_delay_ms=100)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, wait=False, session_id=session_id,
                                                                  method='VServers.DelVServer', params={'lVServer': 2}))
    assert not failed and result['status'] == 'running' and result['finalized'] is False and result['attempts'] == 1
    assert session_id not in json.dumps(result)


class KscClock(object):
    """Moves the simulator's actions forward instead of sleeping; ``after_sleep`` runs after each sleep.

    Actions (and their lNextCheckDelay) age by what the wait slept, so the simulator still counts
    any check that came before its hint as early.
    """

    def __init__(self, sim, after_sleep=None):
        self.sim = sim
        self.t = 0.0
        self.sleeps = []
        self.after_sleep = after_sleep

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds
        self.sleeps.append(seconds)
        with self.sim.simulator.lock:
            for action in self.sim.simulator.actions.values():
                action.started -= seconds
                if action.not_before is not None:
                    action.not_before -= seconds
        if self.after_sleep is not None:
            self.after_sleep()


@pytest.fixture
def clock(ksc, monkeypatch):
    from ansible_collections.asyncops.jobs.plugins.module_utils import wait as wait_module
    virtual = KscClock(ksc)
    monkeypatch.setattr(wait_module, 'SystemClock', lambda: virtual)
    return virtual


def end_every_session(sim):
    def end():
        for session in sim.simulator.sessions.values():
            session['ended'] = True
    return end


def requests(sim):
    return sim.simulator.counters.snapshot()['requests_by_endpoint']


# KSC's body for a call in an ended session is undocumented: a plain 403, or a 403 with a
# PxgError such as STDE_NOACCESS, which must not read as "the action belongs to another session".
ENDED_SESSION_ANSWERS = pytest.mark.parametrize('ended_session_error', [None, 1184])


@ENDED_SESSION_ANSWERS
def test_own_session_ended_mid_wait_says_so(ksc, clock, monkeypatch, ended_session_error):
    ksc.simulator.configure({'ended_session_error': ended_session_error})
    queue(ksc, duration=30, next_check_delay_ms=1000)
    clock.after_sleep = end_every_session(ksc)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', wait_timeout=60))
    assert failed
    assert result['reason'] == 'request_rejected' and result['timed_out'] is False and result['ran_on'] == 'target'
    assert result['session_ended'] is True and result['http_status'] == 403
    assert result['msg'].startswith('The KSC session this task had started ended or expired (KSC refused it with HTTP 403)')
    assert result['status'] == 'running' and result['finalized'] is False  # the last status seen
    assert result['action_guid'] in result['msg'] and 'start the action again' in result['msg']
    assert 'another KSC session' not in result['msg']
    assert clock.sleeps and clock.sleeps[0] >= 1.0  # the one wait before the loss honoured the hint
    counters = ksc.simulator.counters.snapshot()
    assert counters['requests_by_endpoint']['POST /api/v1.0/AsyncActionStateChecker.CheckActionState'] == 2
    assert counters['early_checks'] == 0
    (session_id,) = ksc.simulator.sessions
    assert session_id not in json.dumps(result)


@ENDED_SESSION_ANSWERS
def test_given_session_ended_mid_wait_says_so(ksc, clock, monkeypatch, ended_session_error):
    ksc.simulator.configure({'ended_session_error': ended_session_error})
    from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
    starter = KscClient('127.0.0.1', port=ksc.port, username=USER, password=PASSWORD, ca_path=ksc.ca_path)
    session_id = starter.start_session()
    guid = ksc.simulator.create_operation(dict(session_id=session_id, duration=30, next_check_delay_ms=500))['guid']
    clock.after_sleep = end_every_session(ksc)
    result, failed = run_module(monkeypatch, ksc_async_wait, dict(args(ksc, username=None, password=None),
                                                                  session_id=session_id, action_guid=guid))
    assert failed and result['reason'] == 'request_rejected' and result['session_ended'] is True
    assert result['msg'].startswith('KSC no longer accepts the session given in session_id (it ended or expired')
    assert guid in result['msg'] and 'asyncops.jobs.ksc_session' in result['msg']
    assert 'another KSC session' not in result['msg']
    assert result['changed'] is False and result['action_guid'] == guid
    assert session_id not in json.dumps(result)


def test_session_expired_before_the_start_starts_nothing(ksc, monkeypatch):
    from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
    session_id = KscClient('127.0.0.1', port=ksc.port, username=USER, password=PASSWORD,
                           ca_path=ksc.ca_path).start_session()
    ksc.simulator.sessions[session_id]['ended'] = True
    result, failed = run_module(monkeypatch, ksc_async_wait, dict(args(ksc), session_id=session_id,
                                                                  method='HostGroup.RemoveGroup'))
    assert failed and result['reason'] == 'request_rejected'
    assert 'so no action was started' in result['msg']
    assert ksc.simulator.actions == {}
    assert session_id not in json.dumps(result)


def test_failure_reasons(ksc, monkeypatch):
    queue(ksc, duration=0, outcome='failed')
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup'))
    assert failed and result['reason'] == 'operation_failed' and result['timed_out'] is False
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, password='wrong', method='HostGroup.RemoveGroup'))
    assert failed and result['reason'] == 'request_rejected'


def test_timeout_has_reason_and_timed_out(ksc, clock, monkeypatch):
    queue(ksc, duration=3600, next_check_delay_ms=1000)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', wait_timeout=5))
    assert failed and result['reason'] == 'timed_out' and result['timed_out'] is True
    assert result['status'] == 'running' and result['action_guid']
    assert sum(clock.sleeps) <= 5
    assert open_sessions(ksc) == []  # ended although the wait failed


@pytest.mark.parametrize('bad, words', [
    (dict(wait=False), 'wait=false with method needs session_id'),
    (dict(password=None), 'KSC_USERNAME / KSC_PASSWORD'),
    (dict(wait_timeout=0), 'wait_timeout must be more than 0'),
    (dict(wait_timeout=-5), 'wait_timeout must be more than 0'),
    (dict(request_timeout=0), 'request_timeout must be more than 0'),
])
def test_bad_options_are_refused_before_any_request(ksc, monkeypatch, bad, words):
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', **bad))
    assert failed and words in result['msg']
    assert result['reason'] == 'invalid_options' and result['timed_out'] is False
    assert ksc.simulator.counters.snapshot()['requests_total'] == 0


def test_guid_and_method_together_are_refused(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', action_guid='{X}'))
    assert failed and 'mutually exclusive' in result['msg'] and result['reason'] == 'invalid_options'
    assert ksc.simulator.counters.snapshot()['requests_total'] == 0


def test_no_action_is_started_once_the_login_used_up_the_deadline(ksc, clock, monkeypatch):
    from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
    real_start = KscClient.start_session

    def slow_start(client):
        session_id = real_start(client)
        clock.t += 11  # the login answered after the whole wait_timeout
        return session_id

    monkeypatch.setattr(KscClient, 'start_session', slow_start)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', wait_timeout=10))
    assert failed and result['reason'] == 'timed_out' and result['timed_out'] is True
    assert result['changed'] is False and result['msg'].startswith('Timed out after 10 s before calling HostGroup.RemoveGroup')
    assert 'POST /api/v1.0/HostGroup.RemoveGroup' not in requests(ksc)
    assert open_sessions(ksc) == []
