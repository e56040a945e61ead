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
    queue(ksc, duration=30, next_check_delay_ms=60000)
    result, failed = run_module(monkeypatch, ksc_async_wait, args(ksc, method='HostGroup.RemoveGroup', wait_timeout=2))
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
