# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ksc_session's main() against the in-process KSC simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.asyncops.jobs.plugins.modules import ksc_session
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
    base = dict(host='127.0.0.1', port=sim.port, ca_path=sim.ca_path, username=USER, password=PASSWORD)
    base.update(extra)
    return base


def test_present_starts_a_session_and_absent_ends_it(ksc, monkeypatch):
    started, failed = run_module(monkeypatch, ksc_session, args(ksc))
    assert not failed and started['changed'] is True
    session_id = started['session_id']
    assert ksc.simulator.sessions[session_id]['ended'] is False
    ended, failed = run_module(monkeypatch, ksc_session, dict(host='127.0.0.1', port=ksc.port, ca_path=ksc.ca_path,
                                                              state='absent', session_id=session_id))
    assert not failed and ended['changed'] is True
    assert ksc.simulator.sessions[session_id]['ended'] is True
    again, failed = run_module(monkeypatch, ksc_session, args(ksc, state='absent', session_id=session_id))
    assert not failed and again['changed'] is False


def test_present_keeps_an_alive_session(ksc, monkeypatch):
    started, dummy = run_module(monkeypatch, ksc_session, args(ksc))
    kept, failed = run_module(monkeypatch, ksc_session, args(ksc, session_id=started['session_id']))
    assert not failed and kept['changed'] is False and kept['alive'] is True
    assert len(ksc.simulator.sessions) == 1


def test_present_replaces_an_ended_session(ksc, monkeypatch):
    started, dummy = run_module(monkeypatch, ksc_session, args(ksc))
    run_module(monkeypatch, ksc_session, args(ksc, state='absent', session_id=started['session_id']))
    renewed, failed = run_module(monkeypatch, ksc_session, args(ksc, session_id=started['session_id']))
    assert not failed and renewed['changed'] is True and renewed['alive'] is False
    assert renewed['session_id'] != started['session_id']


def test_check_mode_starts_and_ends_nothing(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_session, args(ksc), check_mode=True)
    assert not failed and result['changed'] is True and 'session_id' not in result
    assert ksc.simulator.sessions == {}
    started, dummy = run_module(monkeypatch, ksc_session, args(ksc))
    result, failed = run_module(monkeypatch, ksc_session, args(ksc, state='absent', session_id=started['session_id']),
                                check_mode=True)
    assert not failed and result['changed'] is True
    assert ksc.simulator.sessions[started['session_id']]['ended'] is False


def test_wrong_password(ksc, monkeypatch):
    secret = 'Not-The-Password-77'
    result, failed = run_module(monkeypatch, ksc_session, args(ksc, password=secret))
    assert failed and result['msg'].startswith('KSC login failed for internal user ksc-admin')
    assert secret not in json.dumps(result)


def test_absent_needs_a_session_id(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_session, args(ksc, state='absent'))
    assert failed and 'session_id' in result['msg']


def test_missing_credentials_name_the_environment_variables(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_session, args(ksc, username=None))
    assert failed and 'KSC_USERNAME / KSC_PASSWORD' in result['msg']


def requests(sim):
    return sim.simulator.counters.snapshot()['requests_by_endpoint']


def start(sim, monkeypatch):
    started, failed = run_module(monkeypatch, ksc_session, args(sim))
    assert not failed, started
    return started['session_id']


@pytest.mark.parametrize('check_mode', [False, True])
def test_absent_on_a_session_ksc_expired_is_no_change(ksc, monkeypatch, check_mode):
    session_id = start(ksc, monkeypatch)
    ksc.simulator.configure({'session_lifetime': 0.001})  # KSC expires it, nobody ended it
    result, failed = run_module(monkeypatch, ksc_session, dict(host='127.0.0.1', port=ksc.port, ca_path=ksc.ca_path,
                                                               state='absent', session_id=session_id),
                                check_mode=check_mode)
    assert not failed, result
    assert result['changed'] is False and result['alive'] is False and result['ran_on'] == 'target'
    assert 'reason' not in result and session_id not in json.dumps(result)


def test_absent_on_a_session_ksc_never_knew_is_no_change(ksc, monkeypatch):
    result, failed = run_module(monkeypatch, ksc_session, args(ksc, state='absent', session_id='nsSimNeverIssued0'))
    assert not failed and result['changed'] is False
    assert requests(ksc) == {'POST /api/v1.0/Session.EndSession': 1}


def test_check_mode_absent_reports_a_change_only_for_an_alive_session(ksc, monkeypatch):
    session_id = start(ksc, monkeypatch)
    alive, failed = run_module(monkeypatch, ksc_session, args(ksc, state='absent', session_id=session_id),
                               check_mode=True)
    assert not failed and alive['changed'] is True and alive['alive'] is True
    assert 'POST /api/v1.0/Session.EndSession' not in requests(ksc)
    run_module(monkeypatch, ksc_session, args(ksc, state='absent', session_id=session_id))
    gone, failed = run_module(monkeypatch, ksc_session, args(ksc, state='absent', session_id=session_id),
                              check_mode=True)
    assert not failed and gone['changed'] is False and gone['alive'] is False


def test_present_returns_the_new_session_id_by_contract(ksc, monkeypatch):
    started, failed = run_module(monkeypatch, ksc_session, args(ksc))
    assert not failed and started['ran_on'] == 'target'
    assert started['session_id'] in ksc.simulator.sessions  # not masked: later tasks need it


def test_present_with_an_expired_session_and_no_credentials_starts_nothing(ksc, monkeypatch):
    session_id = start(ksc, monkeypatch)
    ksc.simulator.sessions[session_id]['ended'] = True
    ksc.simulator.counters.reset()
    result, failed = run_module(monkeypatch, ksc_session, dict(host='127.0.0.1', port=ksc.port, ca_path=ksc.ca_path,
                                                               session_id=session_id))
    assert failed and result['reason'] == 'invalid_options' and result['alive'] is False
    assert 'ended or expired' in result['msg'] and 'KSC_USERNAME / KSC_PASSWORD' in result['msg']
    assert requests(ksc) == {'POST /api/v1.0/Session.Ping': 1}
    assert session_id not in json.dumps(result)


@pytest.mark.parametrize('bad, words', [
    (dict(state='absent'), 'state=absent needs the session_id'),
    (dict(password=None), 'KSC_USERNAME / KSC_PASSWORD'),
    (dict(request_timeout=-1), 'request_timeout must be more than 0'),
    (dict(state='gone'), 'state must be one of'),
])
def test_bad_options_are_refused_before_any_request(ksc, monkeypatch, bad, words):
    result, failed = run_module(monkeypatch, ksc_session, args(ksc, **bad))
    assert failed and words in result['msg'] and result['reason'] == 'invalid_options'
    assert ksc.simulator.counters.snapshot()['requests_total'] == 0
