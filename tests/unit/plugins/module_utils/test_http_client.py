# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP layer against a real in-process HTTPS server (the simulator kit), not mocks of requests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import socket

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import (
    HttpClient,
    HttpError,
    Redactor,
    TransientHttpError,
    base_url,
    parse_retry_after,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.version import COLLECTION_VERSION


def client(sim, **kwargs):
    kwargs.setdefault('ca_path', sim.ca_path)
    kwargs.setdefault('timeout', 5)
    return HttpClient(sim.base_url, **kwargs)


def fault(sim, **spec):
    from asyncops_simulators.kit import Fault
    sim.simulator.faults.append(Fault(**spec))


def test_ca_path_wins_over_ca_bundle_environment_variables(echo):
    # conftest points REQUESTS_CA_BUNDLE at the system bundle, which does not hold the simulator CA.
    response = client(echo).request('GET', '/echo')
    assert response.json()['path'] == '/echo'


def test_tls_verification_is_on_by_default(echo):
    with pytest.raises(TerminalError) as caught:
        HttpClient(echo.base_url, timeout=5).request('GET', '/echo')
    message = caught.value.message
    assert message == ('The TLS certificate of 127.0.0.1 port %d is not trusted (unable to get local issuer '
                       'certificate): set ca_path to the CA that signed it, or validate_certs to false as the last '
                       'resort.' % echo.port)
    assert caught.value.fields['tls_error'] == 'untrusted_certificate'


def test_validate_certs_false_skips_verification(echo):
    assert client(echo, ca_path=None, validate_certs=False).request('GET', '/echo').status_code == 200


def test_user_agent_names_the_collection_and_version(echo):
    headers = client(echo).request('GET', '/echo').json()['headers']
    assert headers['User-Agent'].startswith('asyncops.jobs/%s ' % COLLECTION_VERSION)


def test_keep_alive_reuses_one_connection(echo):
    http = client(echo)
    first = http.request('GET', '/echo').json()['connection_requests']
    second = http.request('GET', '/echo').json()['connection_requests']
    assert second == first + 1
    assert echo.simulator.counters.snapshot()['connections'] == 1


@pytest.mark.parametrize('status', [408, 429, 500, 502, 503, 504])
def test_transient_statuses(echo, status):
    with pytest.raises(TransientHttpError) as caught:
        client(echo).request('GET', '/status/%d' % status)
    assert caught.value.fields['http_status'] == status


@pytest.mark.parametrize('status', [400, 401, 403, 404, 405, 409, 423])
def test_terminal_statuses_carry_status_body_and_url(echo, status):
    with pytest.raises(HttpError) as caught:
        client(echo).request('GET', '/status/%d' % status)
    err = caught.value
    assert not isinstance(err, TransientHttpError)
    assert err.fields['http_status'] == status
    assert err.fields['url'] == '%s/status/%d' % (echo.base_url, status)
    assert '"status": %d' % status in err.fields['body']
    assert err.message.startswith('HTTP %d' % status)


def test_retry_after_seconds_is_parsed(echo):
    fault(echo, kind='status', status=503, retry_after=7)
    with pytest.raises(TransientHttpError) as caught:
        client(echo).request('GET', '/echo')
    assert caught.value.retry_after == 7


def test_retry_after_http_date_is_parsed(echo):
    fault(echo, kind='status', status=429, retry_after=30, retry_after_format='http-date')
    with pytest.raises(TransientHttpError) as caught:
        client(echo).request('GET', '/echo')
    assert 25 <= caught.value.retry_after <= 31


def test_connection_refused_is_transient():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(TransientHttpError, match='Connection to'):
        HttpClient('https://127.0.0.1:%d' % port, timeout=2).request('GET', '/')


def test_dropped_connection_is_transient(echo):
    fault(echo, kind='drop')
    with pytest.raises(TransientHttpError):
        client(echo).request('GET', '/echo')
    assert client(echo).request('GET', '/echo').status_code == 200


def test_per_request_timeout_is_transient(echo):
    fault(echo, kind='slow', delay=1.5)
    with pytest.raises(TransientHttpError, match=r'^127\.0\.0\.1 port \d+ sent no answer within 0\.3 s\.$'):
        client(echo, timeout=0.3).request('GET', '/echo')


def test_malformed_json_is_transient(echo):
    fault(echo, kind='malformed')
    http = client(echo)
    with pytest.raises(TransientHttpError, match='not valid JSON'):
        http.json(http.request('GET', '/echo'))


def test_proxy_from_environment_is_used(echo, monkeypatch):
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:%d' % port)
    monkeypatch.delenv('NO_PROXY', raising=False)
    monkeypatch.delenv('no_proxy', raising=False)
    with pytest.raises(TransientHttpError, match='(?i)proxy'):
        client(echo).request('GET', '/echo')


def test_errors_redact_secrets_in_url_and_body(echo):
    http = client(echo, secrets=['hunter2-secret'])
    with pytest.raises(HttpError) as caught:
        http.request('POST', '/status/401?password=hunter2-secret&token=abc123&keep=1', data='hunter2-secret')
    text = repr(caught.value.to_result())
    assert 'hunter2-secret' not in text
    assert 'abc123' not in text
    assert 'keep=1' in text


def test_redactor_masks_registered_secrets_and_credential_parameters():
    redact = Redactor(['s3cr3t-value'])
    assert redact('a s3cr3t-value b') == 'a ******** b'
    assert redact('https://h/?Signature=abc%2B&AccessKeyId=AKID') == 'https://h/?Signature=********&AccessKeyId=AKID'
    assert redact(None) is None


def test_redactor_masks_url_encoded_forms_of_a_secret():
    token = 'CAIS+sts/token=='
    redact = Redactor([token])
    once = 'CAIS%2Bsts%2Ftoken%3D%3D'
    for text in (token, once, once.replace('%', '%25'), 'CAIS%2Bsts%2Ftoken%3D%3D'):
        assert 'sts' not in redact('quoted: %s.' % text), text


@pytest.mark.parametrize('value, expected', [
    ('5', 5.0), (' 0.5 ', 0.5), ('0', 0.0), ('', None), (None, None), ('soon', None), ('-3', 0.0),
])
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    now = 1700000000.0
    assert parse_retry_after(email.utils.formatdate(now + 120, usegmt=True), now=now) == 120
    assert parse_retry_after(email.utils.formatdate(now - 120, usegmt=True), now=now) == 0.0


def test_malformed_xml_is_transient(echo):
    fault(echo, kind='malformed')
    http = client(echo)
    with pytest.raises(TransientHttpError, match='not valid XML'):
        http.xml(http.request('GET', '/echo'))


def test_empty_xml_body_is_an_empty_dict(echo):
    http = client(echo)
    assert http.xml(http.request('HEAD', '/echo')) == {}


WRAPPER_WORDS = ('HTTPSConnectionPool', 'Max retries', 'Caused by', 'urllib3', '_ssl.c', 'Errno', 'object at 0x')


def assert_clean(message):
    assert not [word for word in WRAPPER_WORDS if word in message], message
    assert message.count('. ') == 0 and message.endswith('.'), message


def test_hostname_mismatch_names_the_host_and_what_to_set(tmp_path):
    """A certificate for 127.0.0.1 served on 127.0.0.2: trusted CA, wrong name."""
    from asyncops_simulators import kit
    paths = kit.make_tls(str(tmp_path), '127.0.0.1')
    # make_tls always adds 127.0.0.1, localhost and ::1; 127.0.0.2 is in none of them.
    server = kit.SimulatorServer(kit.EchoSimulator(), kit.server_context(paths), '127.0.0.2', 0)
    import threading
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(TerminalError) as caught:
            HttpClient('https://127.0.0.2:%d' % server.port, ca_path=paths['ca.pem'], timeout=5).request('GET', '/echo')
    finally:
        server.shutdown()
        server.server_close()
    message = caught.value.message
    assert message.startswith('The TLS certificate of 127.0.0.2 port %d is not valid for that name' % server.port)
    assert 'ca_path' in message and 'validate_certs to false as the last resort' in message
    assert caught.value.fields['tls_error'] == 'hostname_mismatch'
    assert_clean(message)


def test_untrusted_certificate_message_has_no_wrapper_text(echo):
    with pytest.raises(TerminalError) as caught:
        HttpClient(echo.base_url, timeout=5).request('GET', '/echo')
    assert_clean(caught.value.message)


def test_connection_refused_is_one_clean_sentence():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(TransientHttpError) as caught:
        HttpClient('https://127.0.0.1:%d' % port, timeout=2).request('GET', '/x')
    assert caught.value.message == ('Connection to 127.0.0.1 port %d was refused: nothing listens on that port, '
                                    'or a firewall rejects it.' % port)


def test_dns_failure_is_one_clean_sentence(monkeypatch):
    # The resolver's answer for a name that does not exist, without asking a name server.
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
    monkeypatch.setattr(socket, 'getaddrinfo', no_such_name)
    with pytest.raises(TransientHttpError) as caught:
        HttpClient('https://no-such-host.invalid', timeout=2).request('GET', '/x')
    message = caught.value.message
    assert message.startswith('The host name no-such-host.invalid could not be resolved (')
    assert message.endswith('): check the host option and DNS.')
    assert_clean(message)


def test_timeout_and_drop_messages_are_clean(echo):
    fault(echo, kind='slow', delay=1.0)
    with pytest.raises(TransientHttpError) as caught:
        client(echo, timeout=0.2).request('GET', '/echo')
    assert_clean(caught.value.message)
    fault(echo, kind='drop')
    with pytest.raises(TransientHttpError) as caught:
        client(echo).request('GET', '/echo')
    assert caught.value.message == '127.0.0.1 port %d closed the connection without answering.' % echo.port


def test_proxy_message_names_the_proxy_without_its_credentials(echo, monkeypatch):
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxyuser:proxy-Secret-9@127.0.0.1:%d' % port)
    monkeypatch.delenv('NO_PROXY', raising=False)
    monkeypatch.delenv('no_proxy', raising=False)
    with pytest.raises(TransientHttpError) as caught:
        client(echo).request('GET', '/echo')
    message = caught.value.message
    assert message.startswith('Could not reach 127.0.0.1 port %d through the proxy 127.0.0.1 port %d (' % (echo.port, port))
    assert 'proxy-Secret-9' not in message and 'proxyuser' not in message
    assert_clean(message)


@pytest.mark.parametrize('timeout', [0, -1, 0.0, float('nan'), float('inf'), '5', True, None])
def test_unusable_request_timeout_is_refused_before_anything_is_sent(timeout):
    with pytest.raises(TerminalError) as caught:
        HttpClient('https://127.0.0.1:1', timeout=timeout)
    assert caught.value.message.startswith('request_timeout must be a number of seconds more than 0')
    assert caught.value.fields['invalid_option'] == 'request_timeout'


@pytest.mark.parametrize('host, port, path, expected', [
    ('::1', 13299, 'api/v1.0', 'https://[::1]:13299/api/v1.0'),
    ('[::1]', 443, '', 'https://[::1]:443'),
    ('fe80::1%eth0', 443, '/rest', 'https://[fe80::1%25eth0]:443/rest'),
    ('127.0.0.1', 7271, '/api/2.0/virtualization/', 'https://127.0.0.1:7271/api/2.0/virtualization/'),
    ('ksc.example.com', 13299, '', 'https://ksc.example.com:13299'),
    ('[::1]:8443', None, '', 'https://[::1]:8443'),
    ('tds.aliyuncs.com', None, '', 'https://tds.aliyuncs.com'),
    (' ::1 ', 1, '', 'https://[::1]:1'),
])
def test_base_url_brackets_ipv6_literals(host, port, path, expected):
    assert base_url(host, port, path) == expected


@pytest.mark.parametrize('host', ['', None, 'not:an:address'])
def test_base_url_refuses_what_is_no_host(host):
    with pytest.raises(TerminalError):
        base_url(host, 443)


@pytest.mark.parametrize('value', ['inf', '-inf', 'nan', 'Infinity', '1e999'])
def test_retry_after_that_is_not_finite_is_no_hint(value):
    assert parse_retry_after(value) is None


def test_simulator_without_credentials_refuses_revoke_and_end_sessions(echo):
    import requests
    for action in ('revoke', 'end_sessions'):
        answer = requests.post('%s/_sim/%s' % (echo.base_url, action), json={}, verify=echo.ca_path, timeout=5)
        assert answer.status_code == 400 and 'echo simulator has no' in answer.json()['error']


def test_http_client_on_ipv6_loopback(start_simulator):
    from asyncops_simulators.kit import EchoSimulator
    sim = start_simulator(EchoSimulator(), host='::1')
    assert sim.base_url == 'https://[::1]:%d' % sim.port
    http = HttpClient(base_url('::1', sim.port), ca_path=sim.ca_path, timeout=5)
    assert http.request('GET', '/echo').json()['headers']['Host'] == '[::1]:%d' % sim.port


# -- the shared shape checks -------------------------------------------------------

def test_shape_text_accepts_text_numbers_and_elements_with_attributes_only():
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import Answer, UnexpectedAnswer
    answer = Answer('Vendor', 'GET x')
    assert answer.text(' Running ', 'state') == 'Running'
    assert answer.text(42, 'progress') == '42'
    assert answer.text({'#text': 'Running', '@since': 'now'}, 'state') == 'Running'
    assert answer.text({'@only': 'attribute'}, 'state') is None and answer.text('', 'state') is None
    for value, kind in (([1], 'a list'), ({'#text': 'x', 'child': 'y'}, 'an element with attributes or children'),
                        ({'child': 'y'}, 'an object'), (True, 'a boolean')):
        with pytest.raises(UnexpectedAnswer) as caught:
            answer.text(value, 'state')
        assert caught.value.message == 'Vendor answered GET x with %s as state where text was expected.' % kind
        assert caught.value.fields == {'vendor': 'Vendor', 'request': 'GET x',
                                       'unexpected': '%s as state where text was expected' % kind}
    with pytest.raises(UnexpectedAnswer, match='^Vendor answered GET x with no state.$'):
        answer.text(None, 'state', required=True)


def test_shape_numbers_booleans_and_containers():
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import (
        Answer, UnexpectedAnswer, UnexpectedTransientAnswer, finite_seconds, kind_of)
    answer = Answer('Vendor', 'GET x')
    assert answer.integer('17', 'id', text_ok=True) == 17 and answer.integer(17, 'id') == 17
    assert answer.boolean(1, 'flag') is True and answer.boolean(None, 'flag', default=False) is False
    assert answer.mapping(None, 'data', required=False) == {} and answer.items({'a': 1}, 'task') == [{'a': 1}]
    for call in (lambda: answer.integer(True, 'id'), lambda: answer.number(float('inf'), 'delay'),
                 lambda: answer.boolean('false', 'flag'), lambda: answer.sequence({}, 'list'),
                 lambda: answer.mapping([], 'data'), lambda: answer.integer('x1', 'id', text_ok=True)):
        with pytest.raises(UnexpectedAnswer):
            call()
    with pytest.raises(UnexpectedTransientAnswer):
        answer.root({'html': {'body': 'x'}}, 'response')
    assert finite_seconds(float('nan')) is None and finite_seconds(-1) == 0.0 and finite_seconds(True) is None
    assert kind_of('secret-value') == 'a string'  # a kind, never the value
