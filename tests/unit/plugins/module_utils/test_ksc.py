# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KSC client against the in-process KSC simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import (
    STDE_NOACCESS,
    STDE_NOTFOUND,
    KscClient,
    KscError,
    KscSessionEnded,
    action_error,
    unwrap,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import FAILED, RUNNING, SUCCEEDED, WaitPolicy, wait_for

USER = 'ksc-admin'
PASSWORD = 'Sim-KSC-pass-42'


@pytest.fixture(scope='module')
def ksc_server(start_simulator):
    from asyncops_simulators.ksc import KscSimulator
    return start_simulator(KscSimulator())


@pytest.fixture
def ksc(ksc_server):
    ksc_server.reset()
    return ksc_server


def client(sim, **kwargs):
    kwargs.setdefault('username', USER)
    kwargs.setdefault('password', PASSWORD)
    return KscClient('127.0.0.1', port=sim.port, ca_path=sim.ca_path, timeout=5, **kwargs)


def queue(sim, **spec):
    sim.simulator.create_operation(spec)


def fault(sim, **spec):
    from asyncops_simulators.kit import Fault
    sim.simulator.faults.append(Fault(**spec))


def fast_forward(sim, guid):
    """Move the action's clock past its end and its last hint, instead of sleeping through them."""
    action = sim.simulator.actions[guid]
    action.started -= action.duration
    action.not_before = time.monotonic()


def test_unwrap_nested_typed_values():
    wrapped = {'a': {'type': 'long', 'value': 5}, 'b': [{'type': 'params', 'value': {'c': {'type': 'double', 'value': 1.5}}}],
               'd': 'text', 'e': {'type': 'unknown-kind', 'value': 1}}
    assert unwrap(wrapped) == {'a': 5, 'b': [{'c': 1.5}], 'd': 'text', 'e': {'type': 'unknown-kind', 'value': 1}}


@pytest.mark.parametrize('shape', ['wrapped', 'plain'])
def test_action_error_reads_both_shapes_of_klblag_error_info(shape):
    info = {'KLBLAG_ERROR_CODE': 1950, 'KLBLAG_ERROR_MODULE': 'KLSRV', 'KLBLAG_ERROR_MSG': 'Group not empty', 'KLBLAG_ERROR_SUBCODE': 0}
    if shape == 'wrapped':
        info = {'type': 'params', 'value': info}
    error = action_error({'GNRL_EA_DESCRIPTION': 'Cannot delete group', 'KLBLAG_ERROR_INFO': info})
    assert error == {'code': 1950, 'module': 'KLSRV', 'message': 'Group not empty', 'subcode': 0,
                     'description': 'Cannot delete group'}


def test_action_error_with_only_a_description():
    assert action_error({'GNRL_EA_DESCRIPTION': 'Broken'}) == {'message': 'Broken', 'description': 'Broken'}


def test_session_start_action_check_until_finalized(ksc):
    queue(ksc, duration=0.3, next_check_delay_ms=100)
    ksc_client = client(ksc)
    session_id = ksc_client.start_session()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 17, 'nFlags': 1})
    first = ksc_client.check_action(guid)
    assert first.status == RUNNING and first.delay_hint == pytest.approx(0.1)
    assert first.payload['state_data']['KLSRV_PROGRESS'] >= 0  # unwrapped from {"type": "long"}
    fast_forward(ksc, guid)
    last = ksc_client.check_action(guid)
    assert last.status == SUCCEEDED and last.payload['finalized'] and last.payload['state_code'] == 1
    assert ksc.simulator.counters.snapshot()['early_checks'] == 0
    assert ksc_client.end_session() is True
    assert ksc.simulator.sessions[session_id]['ended']


def test_guid_is_read_from_the_other_out_parameters(ksc):
    ksc_client = client(ksc)
    ksc_client.start_session()
    assert ksc_client.start_action('VServers.DelVServer', {'lVServer': 3}).startswith('{')
    with pytest.raises(TerminalError) as caught:
        ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1}, guid_key='strRequestId')
    assert 'strRequestId' in caught.value.message


def test_failed_action_reports_state_data_details(ksc):
    queue(ksc, duration=0, outcome='failed', failure_shape='plain', description='Group 17 is not empty', error_code=1950)
    ksc_client = client(ksc)
    ksc_client.start_session()
    observation = ksc_client.check_action(ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 17}))
    assert observation.status == FAILED and observation.payload['state_code'] == 0
    assert observation.payload['error']['code'] == 1950
    assert observation.payload['error']['description'] == 'Group 17 is not empty'


def test_finalized_guid_disappears(ksc):
    queue(ksc, duration=0)
    ksc_client = client(ksc)
    ksc_client.start_session()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    assert ksc_client.check_action(guid).status == SUCCEEDED
    with pytest.raises(KscError) as caught:
        ksc_client.check_action(guid)
    assert caught.value.code == STDE_NOTFOUND
    assert 'already finished and KSC forgot it' in caught.value.message
    assert caught.value.fields['error']['name'] == 'STDE_NOTFOUND'


def test_action_of_another_session_is_refused_with_advice(ksc):
    starter = client(ksc)
    starter.start_session()
    guid = starter.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    other = client(ksc)
    other.start_session()
    with pytest.raises(KscError) as caught:
        other.check_action(guid)
    assert caught.value.code == STDE_NOACCESS
    assert 'session_id' in caught.value.message


def test_early_check_is_transient_with_the_last_hint_as_retry_after(ksc):
    queue(ksc, duration=30, next_check_delay_ms=5000)
    ksc_client = client(ksc)
    ksc_client.start_session()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    assert ksc_client.check_action(guid).delay_hint == 5.0
    with pytest.raises(TransientError) as caught:
        ksc_client.check_action(guid)
    assert caught.value.retry_after == 5.0
    assert 'STDE_UNAVAIL' in caught.value.message
    assert ksc.simulator.counters.snapshot()['early_checks'] == 1


def test_server_error_during_a_wait_keeps_the_hint_as_floor(ksc):
    queue(ksc, duration=30, next_check_delay_ms=2000)
    ksc_client = client(ksc)
    ksc_client.start_session()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    ksc_client.check_action(guid)
    fault(ksc, kind='status', status=503, endpoint='CheckActionState')
    with pytest.raises(TransientError) as caught:
        ksc_client.check_action(guid)
    assert caught.value.retry_after == 2.0


def test_wrong_password_is_terminal_and_never_echoes_the_password(ksc):
    secret = 'Wr0ng-Secret-Value'
    with pytest.raises(TerminalError) as caught:
        client(ksc, password=secret).start_session()
    text = repr(caught.value.to_result())
    assert 'login failed' in caught.value.message
    assert 'KSC_PASSWORD' in caught.value.message
    assert secret not in text


def test_pxg_error_is_found_at_any_http_status(ksc):
    ksc.simulator.error_http_status = 500
    ksc_client = client(ksc)
    ksc_client.start_session()
    with pytest.raises(KscError) as caught:  # a 500 would otherwise be read as transient
        ksc_client.check_action('{00000000-0000-0000-0000-000000000000}')
    assert caught.value.code == STDE_NOTFOUND


def test_connection_login_is_bound_to_the_connection(ksc):
    ksc_client = client(ksc)
    ksc_client.login()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    assert ksc_client.check_action(guid).status == RUNNING
    ksc_client.http.session.close()  # a new TCP connection starts unauthenticated
    with pytest.raises(TerminalError) as caught:
        ksc_client.check_action(guid)
    assert caught.value.fields['http_status'] == 401


@pytest.mark.parametrize('kind', ['drop', 'disconnect'])
def test_session_wait_survives_a_connection_closed_mid_wait(ksc, kind):
    """The decision: a wait runs in a session, so losing the keep-alive connection loses nothing."""
    queue(ksc, duration=0.6, next_check_delay_ms=100)
    ksc_client = client(ksc)
    ksc_client.start_session()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    fault(ksc, kind=kind, endpoint='CheckActionState', after=1)
    before = ksc.simulator.counters.snapshot()['connections']
    outcome = wait_for(lambda: ksc_client.check_action(guid), WaitPolicy(timeout=10, poll_interval=0.05, retries=2))
    assert outcome.observation.status == SUCCEEDED
    assert ksc.simulator.counters.snapshot()['connections'] > before
    assert ksc.simulator.counters.snapshot()['early_checks'] == 0


def test_ended_session_is_refused_with_403(ksc):
    ksc_client = client(ksc)
    session_id = ksc_client.start_session()
    assert client(ksc, session_id=session_id).end_session() is True
    assert client(ksc, session_id=session_id).ping() is False
    assert client(ksc, session_id=session_id).end_session() is False


def test_domain_account_and_virtual_server_are_sent_as_ksc_expects(ksc):
    ksc.simulator.users.append({'name': 'jdoe', 'password': 'Domain-pass-1', 'internal': False, 'domain': 'CORP'})
    ksc.simulator.vservers.append('VS Branch')
    client(ksc, username='jdoe', password='Domain-pass-1', internal_user=False, domain='CORP', vserver='VS Branch').login()
    with pytest.raises(KscError) as caught:
        client(ksc, username='jdoe', password='Domain-pass-1', internal_user=False, domain='CORP', vserver='VS Other').login()
    assert 'on virtual server VS Other' in caught.value.message
    with pytest.raises(KscError):
        client(ksc, username='jdoe', password='Domain-pass-1', internal_user=True).login()


def test_checker_closing_the_connection_after_finalized_actions_is_harmless(ksc):
    ksc.simulator.close_after_finalized = 1
    ksc_client = client(ksc)
    ksc_client.start_session()
    before = ksc.simulator.counters.snapshot()['connections']
    for dummy in range(2):
        queue(ksc, duration=0)
        assert ksc_client.check_action(ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})).status == SUCCEEDED
    assert ksc.simulator.counters.snapshot()['connections'] == before + 1


def control(sim, action, **body):
    """The simulator's own control API, over HTTPS as a playbook would call it."""
    import requests
    response = requests.post('%s/_sim/%s' % (sim.base_url, action), json=body, verify=sim.ca_path, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize('ended_session_error', [None, STDE_NOACCESS])
def test_session_ended_mid_wait_is_its_own_error(ksc, ended_session_error):
    """Whether the 403 is bare or carries STDE_NOACCESS, it is not "another session's action"."""
    ksc.simulator.ended_session_error = ended_session_error
    queue(ksc, duration=30, next_check_delay_ms=20)
    ksc_client = client(ksc)
    ksc_client.start_session()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    checks = []

    def check():
        checks.append(1)
        if len(checks) == 2:
            control(ksc, 'end_sessions')
        return ksc_client.check_action(guid)
    with pytest.raises(KscSessionEnded) as caught:
        wait_for(check, WaitPolicy(timeout=10, poll_interval=0.01, retries=3))
    assert len(checks) == 2  # terminal at once: retrying cannot bring a session back
    message = caught.value.message
    assert 'session ended or expired' in message and 'asyncops.jobs.ksc_session' in message
    assert 'another' not in message
    assert caught.value.fields['session_ended'] is True and caught.value.fields['http_status'] == 403


def test_an_action_of_another_live_session_is_still_reported_as_such(ksc):
    ksc.simulator.ended_session_error = STDE_NOACCESS
    starter = client(ksc)
    starter.start_session()
    guid = starter.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    other = client(ksc)
    other.start_session()
    with pytest.raises(KscError) as caught:
        other.check_action(guid)
    assert not isinstance(caught.value, KscSessionEnded)
    assert 'belongs to another KSC session' in caught.value.message


@pytest.mark.parametrize('how', ['ended', 'forgotten', 'pxg'])
def test_end_session_on_a_session_already_gone_returns_false(ksc, how):
    if how == 'pxg':
        ksc.simulator.ended_session_error = STDE_NOACCESS
    session_id = client(ksc).start_session()
    control(ksc, 'end_sessions', session_id=session_id, forget=(how == 'forgotten'))
    gone = client(ksc, session_id=session_id)
    assert gone.ping() is False
    assert gone.end_session() is False
    assert gone.session_id is None


def test_end_sessions_also_ends_connection_logins(ksc):
    ksc_client = client(ksc)
    ksc_client.login()
    ksc_client.call('Session.Ping')
    assert control(ksc, 'end_sessions')['connection_logins_ended'] is True
    with pytest.raises(TerminalError) as caught:
        ksc_client.call('Session.Ping')
    assert caught.value.fields['http_status'] == 401


def test_revoked_password_fails_the_next_login_but_not_a_live_session(ksc):
    live = client(ksc)
    live.start_session()
    assert control(ksc, 'revoke') == {'revoked': [USER]}
    assert live.ping() is True
    with pytest.raises(KscError) as caught:
        client(ksc).start_session()
    assert 'login failed' in caught.value.message and PASSWORD not in caught.value.message
    control(ksc, 'revoke', end_sessions=True)
    assert live.ping() is False


@pytest.mark.parametrize('answer', [
    {'bFinalized': 'false'}, {'bFinalized': [False]}, {}, {'bFinalized': False, 'lNextCheckDelay': 'soon'},
    {'bFinalized': True, 'bSuccededFinalized': False, 'pStateData': ['x']},
    {'bFinalized': False, 'pStateData': {'type': ['params'], 'value': {}}, 'lNextCheckDelay': 10},
])
def test_check_action_of_an_unexpected_shape_names_vendor_request_and_field(ksc, answer, monkeypatch):
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import UnexpectedAnswer
    from asyncops_simulators import kit
    ksc_client = client(ksc)
    ksc_client.start_session()
    guid = ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})
    monkeypatch.setattr(ksc.simulator, '_check', lambda request, owner, params: kit.json_response(answer))
    if answer.get('pStateData', {}) == {'type': ['params'], 'value': {}}:
        # An unhashable "type" is plain data, not a typed value: kept as it came.
        assert ksc_client.check_action(guid).payload['state_data'] == {'type': ['params'], 'value': {}}
        return
    with pytest.raises(UnexpectedAnswer) as caught:
        ksc_client.check_action(guid)
    assert caught.value.message.startswith('KSC answered CheckActionState of action %s with ' % guid)


def test_unwrap_keeps_objects_whose_type_is_not_a_kind_name():
    odd = {'type': ['long'], 'value': 1}
    assert unwrap({'a': odd, 'b': {'type': None, 'value': 2}, 'c': {'type': 'long'}}) == \
        {'a': odd, 'b': {'type': None, 'value': 2}, 'c': {'type': 'long'}}


def test_ipv6_literal_host(start_simulator):
    from asyncops_simulators.ksc import KscSimulator
    sim = start_simulator(KscSimulator(), host='::1')
    ksc_client = KscClient('::1', port=sim.port, username=USER, password=PASSWORD, ca_path=sim.ca_path, timeout=5)
    assert ksc_client.http.base_url == 'https://[::1]:%d/api/v1.0' % sim.port
    ksc_client.start_session()
    assert ksc_client.check_action(ksc_client.start_action('HostGroup.RemoveGroup', {'nGroup': 1})).status == RUNNING
