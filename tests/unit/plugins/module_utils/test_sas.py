# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SAS client against the in-process Security Center simulator, which verifies every signature."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.sas import (
    INTERNATIONAL_ENDPOINT,
    MAINLAND_ENDPOINT,
    SasClient,
    endpoint_for,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import WaitPolicy, wait_for

TARGETS = [{'type': 'uuid', 'name': 'web-01', 'target': '503201a7-14c6-4280-801b-1169ed42a1b2'}]


@pytest.fixture(scope='module')
def sas_session(start_simulator):
    from asyncops_simulators.sas import SasSimulator
    return start_simulator(SasSimulator())


@pytest.fixture
def sas(sas_session):
    sas_session.reset()
    return sas_session


def client(sim, signature_version='v3', **kwargs):
    from asyncops_simulators import sas as simulated
    kwargs.setdefault('access_key_id', simulated.DEFAULT_ACCESS_KEY_ID)
    kwargs.setdefault('access_key_secret', simulated.DEFAULT_ACCESS_KEY_SECRET)
    return SasClient(endpoint='127.0.0.1:%d' % sim.port, ca_path=sim.ca_path, request_timeout=5,
                     signature_version=signature_version, **kwargs)


def fault(sim, **spec):
    from asyncops_simulators.kit import Fault
    sim.simulator.faults.append(Fault(**spec))


class FakeClock(object):
    def __init__(self):
        self.time = 0.0
        self.sleeps = []

    def now(self):
        return self.time

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.time += seconds


@pytest.mark.parametrize('region, expected', [
    (None, MAINLAND_ENDPOINT), ('cn-hangzhou', MAINLAND_ENDPOINT), ('cn-beijing', MAINLAND_ENDPOINT),
    ('cn-hongkong', INTERNATIONAL_ENDPOINT), ('ap-southeast-1', INTERNATIONAL_ENDPOINT),
    ('eu-central-1', INTERNATIONAL_ENDPOINT), ('us-west-1', INTERNATIONAL_ENDPOINT),
])
def test_endpoint_follows_the_region(region, expected):
    assert endpoint_for(region) == expected
    assert endpoint_for(region, 'tds.example.test:8443') == 'tds.example.test:8443'


@pytest.mark.parametrize('version', ['v3', 'v1'])
def test_start_and_read_a_scan_with_each_signature(sas, version):
    sas_client = client(sas, version)
    task_id, request_id = sas_client.start_virus_scan(TARGETS)
    assert isinstance(task_id, int) and request_id
    observation = sas_client.scan_progress(task_id)
    assert observation.status == 'running'
    assert observation.vendor_status == 'init'
    assert observation.payload['target_info'] == TARGETS
    assert sas.simulator.counters.snapshot()['signature_%s' % version] == 2


def test_progress_words_map_to_statuses(sas):
    sas.simulator.init_fraction = 0.0
    running = sas.simulator.create_operation({'duration': 60})['id']
    done = sas.simulator.create_operation({'duration': 0})['id']
    failed = sas.simulator.create_operation({'duration': 0, 'outcome': 'failed'})['id']
    sas_client = client(sas)
    assert (sas_client.scan_progress(running).status, sas_client.scan_progress(running).vendor_status) == ('running', 'Processing')
    assert (sas_client.scan_progress(done).status, sas_client.scan_progress(done).vendor_status) == ('succeeded', 'Success')
    assert (sas_client.scan_progress(failed).status, sas_client.scan_progress(failed).vendor_status) == ('failed', 'Failed')


def test_security_token_is_sent_and_checked(sas):
    from asyncops_simulators import sas as simulated
    for version in ('v3', 'v1'):
        sts = client(sas, version, access_key_id=simulated.STS_ACCESS_KEY_ID,
                     access_key_secret=simulated.STS_ACCESS_KEY_SECRET, security_token=simulated.STS_SECURITY_TOKEN)
        assert sts.start_virus_scan(TARGETS)[0]
        without = client(sas, version, access_key_id=simulated.STS_ACCESS_KEY_ID,
                         access_key_secret=simulated.STS_ACCESS_KEY_SECRET)
        with pytest.raises(TerminalError) as caught:
            without.start_virus_scan(TARGETS)
        assert 'security_token' in caught.value.message
        assert simulated.STS_ACCESS_KEY_SECRET not in caught.value.message


@pytest.mark.parametrize('version', ['v3', 'v1'])
def test_wrong_secret_names_what_to_check_and_hides_the_secret(sas, version):
    wrong = 'not-the-right-secret-1234'
    with pytest.raises(TerminalError) as caught:
        client(sas, version, access_key_secret=wrong).scan_progress(1)
    err = caught.value
    assert err.fields['error']['code'] == 'SignatureDoesNotMatch'
    assert 'access_key_secret' in err.message
    assert err.fields['error']['request_id'] and err.fields['error']['recommend']
    assert err.fields['http_status'] == 400
    assert wrong not in repr(err.to_result())


def test_unknown_access_key_names_the_key(sas):
    with pytest.raises(TerminalError) as caught:
        client(sas, access_key_id='LTAI-nobody').scan_progress(1)
    assert caught.value.fields['error']['code'] == 'InvalidAccessKeyId.NotFound'
    assert 'LTAI-nobody' in caught.value.message and 'access_key_id' in caught.value.message


@pytest.mark.parametrize('version', ['v3', 'v1'])
def test_clock_skew_is_rejected_with_a_hint_about_the_clock(sas, version):
    skewed = client(sas, version, now=lambda: time.time() - 3600)
    with pytest.raises(TerminalError) as caught:
        skewed.scan_progress(1)
    assert caught.value.fields['error']['code'] == 'InvalidTimeStamp.Expired'
    assert 'clock' in caught.value.message


@pytest.mark.parametrize('version', ['v3', 'v1'])
def test_reused_nonce_is_rejected_and_is_transient(sas, version):
    task_id = sas.simulator.create_operation({})['id']
    replaying = client(sas, version, nonce=lambda: 'the-same-nonce-every-time-%s' % version)
    assert replaying.scan_progress(task_id).vendor_status
    with pytest.raises(TransientError) as caught:
        replaying.scan_progress(task_id)
    assert caught.value.fields['error']['code'] == 'SignatureNonceUsed'


def test_tampered_request_fails_verification(sas):
    sas_client = client(sas)
    original = sas_client.http.send

    def tamper(method, path, **kwargs):
        return original(method, path.replace('TaskId=1', 'TaskId=2'), **kwargs)
    sas_client.http.send = tamper
    with pytest.raises(TerminalError) as caught:
        sas_client.scan_progress(1)
    assert caught.value.fields['error']['code'] == 'SignatureDoesNotMatch'


@pytest.mark.parametrize('code', ['Throttling', 'Throttling.User', 'Throttling.Api'])
def test_throttling_is_transient_with_the_millisecond_hint(sas, code):
    sas.simulator.throttle_code = code
    fault(sas, kind='throttle', seconds=2.5, retry_after=2.5, retry_after_format='milliseconds',
          endpoint='^DescribeScanTaskProgress$')
    with pytest.raises(TransientError) as caught:
        client(sas).scan_progress(1)
    assert caught.value.fields['http_status'] == 400
    assert caught.value.fields['error']['code'] == code
    assert 2.0 < caught.value.retry_after <= 2.5


def test_throttling_with_retry_after_seconds(sas):
    fault(sas, kind='throttle', seconds=3, retry_after=3, endpoint='^DescribeScanTaskProgress$')
    with pytest.raises(TransientError) as caught:
        client(sas, 'v1').scan_progress(1)
    assert caught.value.retry_after == 3.0


def test_wait_loop_never_polls_inside_the_throttle_window(sas):
    task_id = sas.simulator.create_operation({'duration': 0})['id']
    fault(sas, kind='throttle', seconds=0.4, retry_after=0.4, retry_after_format='milliseconds',
          endpoint='^DescribeScanTaskProgress$')
    sas_client = client(sas)
    policy = WaitPolicy(timeout=10, poll_interval=0.01, max_poll_interval=0.05)
    outcome = wait_for(lambda: sas_client.scan_progress(task_id), policy)
    counters = sas.simulator.counters.snapshot()
    assert outcome.observation.vendor_status == 'Success'
    assert counters['requests_before_retry_after'] == 0
    assert counters['requests_by_endpoint']['DescribeScanTaskProgress'] == 2


def test_server_errors_are_transient(sas):
    fault(sas, kind='status', status=503, endpoint='^DescribeScanTaskProgress$')
    with pytest.raises(TransientError) as caught:
        client(sas).scan_progress(1)
    assert caught.value.fields['error']['code'] == 'ServiceUnavailable'


def test_start_is_not_resent_after_a_dropped_connection(sas):
    fault(sas, kind='drop', endpoint='^StartVirusScanTask$')
    with pytest.raises(TerminalError) as caught:
        client(sas).start_virus_scan(TARGETS)
    assert 'may or may not' in caught.value.message


def test_bad_target_info_is_terminal(sas):
    with pytest.raises(TerminalError) as caught:
        client(sas).start_virus_scan([{'type': 'uuid', 'name': 'x', 'target': ''}])
    assert caught.value.fields['error']['code'] == 'IllegalParam'


def test_a_wait_with_a_clock_follows_the_scan_to_success(sas):
    task_id = sas.simulator.create_operation({'duration': 0})['id']
    clock = FakeClock()
    sas_client = client(sas)
    outcome = wait_for(lambda: sas_client.scan_progress(task_id), WaitPolicy(timeout=60, poll_interval=1), clock=clock)
    assert outcome.observation.status == 'succeeded'
    assert clock.sleeps == []


def test_v1_error_echoing_the_string_to_sign_does_not_leak_the_sts_token(sas):
    # Alibaba's V1 SignatureDoesNotMatch message quotes the canonical query, SecurityToken included,
    # percent-encoded twice; real STS tokens are base64 with + / =.
    token = 'CAIS+base64/like=token+with/odd=chars'
    sas.simulator.access_keys['STS.NWithOddToken'] = {'secret': 'right-sts-secret', 'security_token': token}
    wrong = client(sas, 'v1', access_key_id='STS.NWithOddToken', access_key_secret='wrong-sts-secret-0000',
                   security_token=token)
    with pytest.raises(TerminalError) as caught:
        wrong.scan_progress(1)
    result = repr(caught.value.to_result())
    assert caught.value.fields['error']['code'] == 'SignatureDoesNotMatch'
    assert 'SecurityToken' in caught.value.fields['error']['message']
    for leak in (token, 'CAIS%2Bbase64', 'CAIS%252Bbase64', 'token%252Bwith'):
        assert leak not in result


def control(sim, action, **body):
    import requests
    response = requests.post('%s/_sim/%s' % (sim.base_url, action), json=body, verify=sim.ca_path, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def _wait_and_at_second_check(sim, sas_client, task_id, action, **body):
    checks = []

    def check():
        checks.append(1)
        if len(checks) == 2:
            control(sim, action, **body)
        return sas_client.scan_progress(task_id)
    with pytest.raises(TerminalError) as caught:
        wait_for(check, WaitPolicy(timeout=60, poll_interval=1), clock=FakeClock())
    assert len(checks) == 2
    return caught.value


def test_access_key_revoked_mid_wait_fails_at_once(sas):
    from asyncops_simulators import sas as simulated
    task_id = sas.simulator.create_operation({'duration': 60})['task_id']
    error = _wait_and_at_second_check(sas, client(sas), task_id, 'revoke')
    assert 'InvalidAccessKeyId.NotFound' in error.message and simulated.DEFAULT_ACCESS_KEY_ID in error.message
    assert simulated.DEFAULT_ACCESS_KEY_SECRET not in repr(error.to_result())


def test_sts_token_expired_mid_wait_fails_at_once(sas):
    from asyncops_simulators import sas as simulated
    task_id = sas.simulator.create_operation({'duration': 60})['task_id']
    sts = client(sas, access_key_id=simulated.STS_ACCESS_KEY_ID, access_key_secret=simulated.STS_ACCESS_KEY_SECRET,
                 security_token=simulated.STS_SECURITY_TOKEN)
    error = _wait_and_at_second_check(sas, sts, task_id, 'end_sessions')
    assert error.message.startswith('Alibaba Cloud rejected the STS security token (InvalidSecurityToken.Expired)')
    assert simulated.STS_SECURITY_TOKEN not in repr(error.to_result())


@pytest.mark.parametrize('version', ['v3', 'v1'])
def test_ipv6_literal_endpoint(start_simulator, version):
    from asyncops_simulators.sas import SasSimulator
    sim = start_simulator(SasSimulator(), host='::1')
    for endpoint in ('[::1]:%d' % sim.port, 'https://[::1]:%d' % sim.port):
        sas_client = SasClient('LTAI5tSimulatorKeyId', 'SimulatorSecret4a7f9c2e81d6b3', endpoint=endpoint,
                               ca_path=sim.ca_path, request_timeout=5, signature_version=version)
        assert sas_client.http.base_url == 'https://[::1]:%d' % sim.port
        task_id, dummy = sas_client.start_virus_scan(TARGETS)
        assert sas_client.scan_progress(task_id).payload['task_id'] == task_id


@pytest.mark.parametrize('answer, unexpected', [
    ([{'ScanTaskId': 1}], 'a list as the answer'),
    ('282832', 'a number as the answer'),
    ('"282832"', 'a string as the answer'),
    ({'ScanTaskId': [282832], 'RequestId': 'r'}, 'a list as ScanTaskId'),
    ({'ScanTaskId': 'soon', 'RequestId': 'r'}, 'a string as ScanTaskId where a whole number was expected'),
])
def test_start_virus_scan_answer_of_an_unexpected_shape(sas, monkeypatch, answer, unexpected):
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import UnexpectedAnswer
    from asyncops_simulators import kit
    monkeypatch.setattr(sas.simulator, 'start_virus_scan', lambda params: kit.json_response(answer))
    with pytest.raises(UnexpectedAnswer) as caught:
        client(sas).start_virus_scan(TARGETS)
    assert caught.value.message.startswith('Alibaba Cloud answered StartVirusScanTask with %s' % unexpected)


def test_scan_task_id_sent_as_text_is_read_as_the_number(sas, monkeypatch):
    from asyncops_simulators import kit
    monkeypatch.setattr(sas.simulator, 'start_virus_scan',
                        lambda params: kit.json_response({'ScanTaskId': '282832', 'RequestId': 'r'}))
    assert client(sas).start_virus_scan(TARGETS) == (282832, 'r')


@pytest.mark.parametrize('answer', [{'ScanTaskProgress': ['Success']}, {'ScanTaskProgress': {'a': 1}}, {}])
def test_progress_of_an_unexpected_shape(sas, monkeypatch, answer):
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import UnexpectedAnswer
    from asyncops_simulators import kit
    monkeypatch.setattr(sas.simulator, 'describe_scan_task_progress', lambda params: kit.json_response(answer))
    with pytest.raises(UnexpectedAnswer) as caught:
        client(sas).scan_progress(7)
    assert caught.value.message.startswith('Alibaba Cloud answered DescribeScanTaskProgress for task 7 with ')


@pytest.mark.parametrize('value, expected', [(5, 5), ({'a': 1}, None), ('[1', '[1'), (None, None), ([1], [1])])
def test_target_info_of_any_kind_never_fails_a_scan(value, expected):
    from ansible_collections.asyncops.jobs.plugins.module_utils.sas import parse_target_info
    assert parse_target_info(value) == expected
