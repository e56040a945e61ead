# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SBC client against the in-process SBC simulator, both on one virtual clock.

The clock is shared: the wait loop's sleeps advance it, and the simulator reads it to expire
tokens and finish operations, so a 10-second activate under 4-second tokens runs in no time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.sbc import SbcClient, status_of
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    WaitPolicy,
    WaitTimeout,
    wait_for,
)

PASSWORD = 'Unit-sbc-Pass-4417'


class VirtualClock(object):
    def __init__(self):
        self.current = 1000.0

    def now(self):
        return self.current

    def sleep(self, seconds):
        self.current += max(seconds, 0)


@pytest.fixture(scope='module')
def sbc_session(start_simulator):
    from asyncops_simulators.sbc import SbcSimulator
    return start_simulator(SbcSimulator())


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def sbc(sbc_session, clock):
    sbc_session.reset()
    sbc_session.simulator.clock = clock.now
    sbc_session.simulator.configure({'password': PASSWORD})
    return sbc_session


def client_for(sbc, clock, **kwargs):
    kwargs.setdefault('password', PASSWORD)
    return SbcClient('127.0.0.1', kwargs.pop('username', 'admin'), port=sbc.port, ca_path=sbc.ca_path, clock=clock,
                     **kwargs)


def counters(sbc):
    return sbc.simulator.counters.snapshot()


def wait(client, clock, action, link, **policy):
    policy.setdefault('poll_interval', 0.2)
    policy.setdefault('max_poll_interval', 0.4)
    return wait_for(lambda: client.check(action, link), WaitPolicy(**policy), clock=clock, rng=lambda: 0.0)


def test_save_verify_activate_under_one_lock_with_the_right_verbs(sbc, clock):
    client = client_for(sbc, clock)
    client.lock()
    outcomes = []
    for action in ('save', 'verify', 'activate'):
        link = client.start(action)
        outcomes.append(wait(client, clock, action, link))
    client.unlock()

    assert [o.observation.status for o in outcomes] == [SUCCEEDED] * 3
    assert outcomes[1].observation.payload['additional_info']['verifySummary']['verify']['object'] == 'ntp-sync'
    seen = counters(sbc)
    assert seen['locks_taken'] == 1 and seen['locks_released'] == 1
    assert seen['tokens_issued'] == 1
    by_endpoint = seen['requests_by_endpoint']
    assert by_endpoint['PUT /rest/v1.2/configuration/management?action=save'] == 1
    assert by_endpoint['PUT /rest/v1.2/configuration/management?action=verify'] == 1
    assert by_endpoint['POST /rest/v1.2/configuration/management?action=activate'] == 1
    assert sbc.simulator.lock_owner is None


def test_the_202_link_is_followed_on_our_own_host(sbc, clock):
    client = client_for(sbc, clock)
    assert client._follow('https://10.0.0.9:8443/rest/v1.2/admin/asyncstatus') == \
        'https://127.0.0.1:%d/rest/v1.2/admin/asyncstatus' % sbc.port


def test_a_failing_verify_carries_its_error_text_and_summary(sbc, clock):
    sbc.simulator.configure({'failures': {'verify': 'realm-id of sip-interface is not valid.'}})
    client = client_for(sbc, clock)
    client.lock()
    outcome = wait(client, clock, 'verify', client.start('verify'))
    client.unlock()

    report = outcome.observation.payload
    assert outcome.observation.status == FAILED
    assert outcome.observation.vendor_status == 'fail'
    assert report['error']['message'] == 'realm-id of sip-interface is not valid.'
    kinds = [entry['type'] for entry in report['additional_info']['verifySummary']['verify']]
    assert kinds == ['error', 'warning']


def test_a_4s_token_lives_through_a_10s_activate_without_losing_the_lock(sbc, clock):
    sbc.simulator.configure({'token_lifetime': 4, 'durations': {'activate': 10}})
    client = client_for(sbc, clock, token_lifetime=4)
    client.lock()
    outcome = wait(client, clock, 'activate', client.start('activate'),
                   max_poll_interval=client.longest_quiet_period())
    client.unlock()

    seen = counters(sbc)
    assert outcome.observation.status == SUCCEEDED
    # Three 4-second tokens are the fewest that cover 10 seconds.
    assert client.token_renewals >= 2 and seen['token_renewals'] == client.token_renewals
    assert seen.get('responses_423', 0) == 0 and seen.get('responses_401', 0) == 0
    assert seen['locks_taken'] == 1 and seen['locks_released'] == 1


def test_a_token_lifetime_longer_than_the_device_loses_the_lock_and_says_so(sbc, clock):
    sbc.simulator.configure({'token_lifetime': 4, 'durations': {'activate': 10}})
    client = client_for(sbc, clock, token_lifetime=600)
    client.lock()
    link = client.start('activate')
    with pytest.raises(TerminalError) as caught:
        wait(client, clock, 'activate', link)
    assert caught.value.fields['http_status'] == 401
    assert 'lock' in caught.value.message and 'token_lifetime' in caught.value.message


def test_an_expired_token_without_a_lock_is_replaced_quietly(sbc, clock):
    sbc.simulator.configure({'token_lifetime': 4})
    sbc.simulator.create_operation({'operation': 'save', 'duration': 0})
    client = client_for(sbc, clock, token_lifetime=600)
    client.read_status()
    clock.sleep(5)
    assert client.read_status()['status'] == SUCCEEDED
    assert counters(sbc)['tokens_issued'] == 2


def test_a_lock_held_by_another_user_is_a_423_about_the_lock(sbc, clock):
    sbc.simulator.configure({'lock_holder': True})
    client = client_for(sbc, clock)
    with pytest.raises(TerminalError) as caught:
        client.lock()
    assert caught.value.fields['http_status'] == 423
    assert 'configuration lock is held by another user' in caught.value.message
    assert client.lock_held is False


def test_an_action_without_the_lock_is_refused_with_423(sbc, clock):
    client = client_for(sbc, clock)
    with pytest.raises(TerminalError) as caught:
        client.start('save')
    assert caught.value.fields['http_status'] == 423
    assert 'User does not have the lock' in caught.value.message


def test_bad_credentials_fail_clearly_without_the_password(sbc, clock):
    client = client_for(sbc, clock, password='Wrong-' + PASSWORD)
    with pytest.raises(TerminalError) as caught:
        client.read_status()
    assert caught.value.fields['http_status'] == 401
    assert 'rejected the credentials of user admin' in caught.value.message
    assert PASSWORD not in repr(caught.value.to_result())


def test_an_unsupported_version_lists_the_versions_offered(sbc, clock):
    client = client_for(sbc, clock, api_version='v2.0')
    with pytest.raises(TerminalError) as caught:
        client.read_status()
    assert caught.value.fields['supported_versions'] == ['v1.2', 'v1.0', 'v1.1']
    assert 'does not offer REST API version v2.0; it offers v1.2, v1.0, v1.1' in caught.value.message


def test_the_in_progress_word_is_kept_verbatim(sbc, clock):
    sbc.simulator.configure({'in_progress_word': 'pending'})
    sbc.simulator.create_operation({'operation': 'activate', 'duration': 5})
    observation = client_for(sbc, clock).check('activate')
    assert (observation.status, observation.vendor_status) == (RUNNING, 'pending')
    assert [status_of(w) for w in ('success', 'FAIL', 'failure', 'in-progress', None)] == \
        [SUCCEEDED, FAILED, FAILED, RUNNING, RUNNING]


def test_another_operation_started_from_the_cli_is_a_mismatch_naming_both(sbc, clock):
    client = client_for(sbc, clock)
    client.lock()
    link = client.start('save')
    sbc.simulator.create_operation({'operation': 'activate', 'duration': 1})
    with pytest.raises(TerminalError) as caught:
        wait(client, clock, 'save', link)
    client.unlock()
    assert 'reports the activate operation, not save' in caught.value.message
    assert caught.value.fields['operation'] == 'activate'


def test_transient_errors_are_retried_and_a_timeout_keeps_the_last_status(sbc, clock):
    from asyncops_simulators.kit import Fault
    sbc.simulator.configure({'durations': {'save': 60}})
    client = client_for(sbc, clock)
    client.lock()
    link = client.start('save')
    sbc.simulator.faults.append(Fault('status', endpoint='asyncstatus', count=2, status=503))
    with pytest.raises(WaitTimeout) as caught:
        wait(client, clock, 'save', link, timeout=5)
    assert caught.value.observation.vendor_status == 'inProgress'
    assert counters(sbc)['faults_applied'] == 2


def test_a_malformed_body_is_transient(sbc, clock):
    from asyncops_simulators.kit import Fault
    sbc.simulator.create_operation({'operation': 'save', 'duration': 0})
    sbc.simulator.faults.append(Fault('malformed', endpoint='asyncstatus'))
    client = client_for(sbc, clock)
    with pytest.raises(TransientError):
        client.read_status()
    assert client.read_status()['operation'] == 'save'


@pytest.mark.parametrize('action, wrong_method', [('save', 'POST'), ('verify', 'POST'), ('activate', 'PUT'), ('backup', 'PUT')])
def test_the_other_verb_is_refused_so_the_verb_per_action_matters(sbc, clock, action, wrong_method):
    client = client_for(sbc, clock)
    client.lock()
    with pytest.raises(TerminalError) as caught:
        client.call(wrong_method, 'v1.2/configuration/management', 'start %s' % action, expected=(202,),
                    params={'action': action, 'backupSource': 'running', 'filename': 'x.gz'})
    assert caught.value.fields['http_status'] == 405
    assert counters(sbc).get('operations_started', 0) == 0


def control(sim, action, **body):
    """The simulator's own control API, over HTTPS as a playbook would call it."""
    import requests
    response = requests.post('%s/_sim/%s' % (sim.base_url, action), json=body, verify=sim.ca_path, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def test_token_ended_mid_wait_under_the_lock_fails_at_once_naming_the_lock(sbc, clock):
    sbc.simulator.configure({'durations': {'save': 30}})
    client = client_for(sbc, clock)
    client.lock()
    link = client.start('save')
    checks = []

    def check():
        checks.append(1)
        if len(checks) == 2:
            assert control(sbc, 'end_sessions') == {'ended': 1}
        return client.check('save', link)
    with pytest.raises(TerminalError) as caught:
        wait_for(check, WaitPolicy(timeout=60, poll_interval=1), clock=clock, rng=lambda: 0.0)
    assert len(checks) == 2
    assert 'configuration lock went with it' in caught.value.message
    assert caught.value.fields['http_status'] == 401


def test_token_ended_mid_wait_without_the_lock_is_renewed(sbc, clock):
    sbc.simulator.configure({'durations': {'save': 3}})
    client = client_for(sbc, clock)
    client.lock()
    link = client.start('save')
    client.unlock()
    checks = []

    def check():
        checks.append(1)
        if len(checks) == 2:
            control(sbc, 'end_sessions')
        return client.check('save', link)
    outcome = wait_for(check, WaitPolicy(timeout=60, poll_interval=1), clock=clock, rng=lambda: 0.0)
    assert outcome.observation.status == SUCCEEDED
    assert counters(sbc)['tokens_issued'] == 2


def test_credentials_revoked_mid_wait_fail_the_next_token_request(sbc, clock):
    sbc.simulator.configure({'durations': {'save': 30}})
    client = client_for(sbc, clock)
    client.lock()
    link = client.start('save')
    client.unlock()
    checks = []

    def check():
        checks.append(1)
        if len(checks) == 2:
            control(sbc, 'revoke', end_sessions=True)
        return client.check('save', link)
    with pytest.raises(TerminalError) as caught:
        wait_for(check, WaitPolicy(timeout=60, poll_interval=1), clock=clock, rng=lambda: 0.0)
    assert 'rejected the credentials of user admin (HTTP 401)' in caught.value.message
    assert PASSWORD not in repr(caught.value.to_result())


@pytest.mark.parametrize('body, unexpected', [
    ('<response>just text</response>', 'a string as the response envelope'),
    ('<response><data>text</data></response>', 'a string as data'),
    ('<response><data><operationState>busy</operationState></data></response>', 'a string as operationState'),
    ('<response><data><operationState><operation>save</operation><status><a/><b/></status></operationState>'
     '</data></response>', 'an object as status'),
    ('<other/>', 'the root element other'),
])
def test_asyncstatus_of_an_unexpected_shape_is_one_terminal_sentence(sbc, clock, monkeypatch, body, unexpected):
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import UnexpectedAnswer
    from asyncops_simulators import sbc as sbc_sim
    from asyncops_simulators import kit
    client = client_for(sbc, clock)
    client.authenticate()
    monkeypatch.setattr(sbc_sim.SbcSimulator, '_asyncstatus',
                        lambda self, now: kit.Response(200, body, content_type='application/xml'))
    with pytest.raises(UnexpectedAnswer) as caught:
        client.check('save')
    assert caught.value.message.startswith('The SBC at 127.0.0.1 answered GET admin/asyncstatus with %s' % unexpected)


@pytest.mark.parametrize('body, content_type', [
    ('', 'application/xml'),
    ('<html><body>Proxy error</body></html>', 'text/html'),
    ('<response><data>', 'application/xml'),
])
def test_asyncstatus_cut_off_or_from_a_proxy_is_transient(sbc, clock, monkeypatch, body, content_type):
    from asyncops_simulators import sbc as sbc_sim
    from asyncops_simulators import kit
    client = client_for(sbc, clock)
    client.authenticate()
    monkeypatch.setattr(sbc_sim.SbcSimulator, '_asyncstatus',
                        lambda self, now: kit.Response(200, body, content_type=content_type))
    with pytest.raises(TransientError):
        client.check('save')


def test_error_messages_of_odd_shapes_are_read_leniently(sbc, clock, monkeypatch):
    from asyncops_simulators import sbc as sbc_sim
    from asyncops_simulators import kit
    client = client_for(sbc, clock)
    client.authenticate()
    body = ('<response><data/><messages><errorMessage code="7">Locked by CLI</errorMessage><errorMessage><x/>'
            '</errorMessage></messages><messages>second</messages><links/></response>')
    monkeypatch.setattr(sbc_sim.SbcSimulator, '_asyncstatus',
                        lambda self, now: kit.Response(400, body, content_type='application/xml'))
    with pytest.raises(TerminalError) as caught:
        client.check('save')
    assert caught.value.fields['messages'] == ['Locked by CLI']


def test_ipv6_literal_host(start_simulator, clock):
    from asyncops_simulators.sbc import SbcSimulator
    simulator = SbcSimulator(clock=clock.now)
    simulator.configure({'password': PASSWORD})
    sim = start_simulator(simulator, host='::1')
    client = SbcClient('::1', 'admin', PASSWORD, port=sim.port, ca_path=sim.ca_path, clock=clock)
    assert client.http.base_url == 'https://[::1]:%d/rest' % sim.port
    client.lock()
    link = client.start('save')
    client.unlock()
    assert link.startswith('v1.2/admin/asyncstatus') or link.startswith('https://[::1]:%d/' % sim.port)
    assert wait(client, clock, 'save', link, timeout=30).observation.status == SUCCEEDED
