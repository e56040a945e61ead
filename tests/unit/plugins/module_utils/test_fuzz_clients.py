# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fuzz of every vendor client's read paths: thousands of odd answers, only the collection's errors out.

The answers go through the real ``requests`` session of the real HttpClient (a transport adapter
mounted on it stands in for the network), so status handling, header parsing, content decoding
and the clients' own readers all run as they do against a server. Each case is seeded from
``ASYNCOPS_FUZZ_SEED`` (default below), the vendor and the case number, so a failure prints what
replays it alone:

    ASYNCOPS_FUZZ_SEED=<seed> ASYNCOPS_FUZZ_CASE=<case> devpytest -q tests/unit/plugins/module_utils/test_fuzz_clients.py -k <vendor>

``ASYNCOPS_FUZZ_CASES`` sets the number of cases per vendor.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import io
import json
import os
import random
import traceback

import pytest
import requests
import urllib3
import xmltodict

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import AsyncOpsError
from ansible_collections.asyncops.jobs.plugins.module_utils.integration_server import IntegrationServerClient, error_of
from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
from ansible_collections.asyncops.jobs.plugins.module_utils.sas import SasClient
from ansible_collections.asyncops.jobs.plugins.module_utils.sbc import SbcClient
from ansible_collections.asyncops.jobs.plugins.module_utils.solidfire import AsyncHandleWatcher, SolidFireClient
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import STATUSES, Observation, WaitPolicy, wait_for

SEED = int(os.environ.get('ASYNCOPS_FUZZ_SEED', '20261202'))
CASES = int(os.environ.get('ASYNCOPS_FUZZ_CASES', '2000'))
ONLY_CASE = os.environ.get('ASYNCOPS_FUZZ_CASE')

SECRET = 'Fuzz-Secret-pass-9317'
SECOND_SECRET = 'Fuzz-sts-token-4410'
GUID = '{6A0E0B47-1D6B-4D2E-9E3D-2F3C0D9B1A11}'


class FakeClock(object):
    def __init__(self):
        self.current = 5000.0

    def now(self):
        return self.current

    def sleep(self, seconds):
        self.current += max(seconds, 0)


# --------------------------------------------------------------------------- answers

def task_element(task_id='t1', state='Running', **children):
    element = {'@id': task_id, '@created': '2026-12-01T10:00:00', '@stateChanged': '2026-12-01T10:00:05',
               '@changed': '2026-12-01T10:00:05', 'state': state, 'type': 'CreateTenant', 'stage': 'CopyFiles',
               'progress': '42'}
    element.update(children)
    return element


def sbc_envelope(data=None, messages=None, links=None):
    return {'response': {'data': data, 'messages': messages, 'links': links}}


# Documented answers per vendor: the starting points that mutations bend out of shape.
SEEDS = {
    'ksc': ('json', [
        {},
        {'PxgRetVal': 'nsSimSessionId0123456789'},
        {'strActionGuid': GUID},
        {'wstrActionGuid': GUID, 'PxgRetVal': None},
        {'bFinalized': False, 'bSuccededFinalized': False, 'lStateCode': 0,
         'pStateData': {'KLSRV_PROGRESS': {'type': 'long', 'value': 40}}, 'lNextCheckDelay': 500},
        {'bFinalized': True, 'bSuccededFinalized': True, 'lStateCode': 1, 'pStateData': {}, 'lNextCheckDelay': 0},
        {'bFinalized': True, 'bSuccededFinalized': False, 'lStateCode': 0, 'lNextCheckDelay': 0, 'pStateData': {
            'GNRL_EA_DESCRIPTION': 'Cannot delete group',
            'KLBLAG_ERROR_INFO': {'type': 'params', 'value': {
                'KLBLAG_ERROR_CODE': 1950, 'KLBLAG_ERROR_MODULE': 'KLSRV', 'KLBLAG_ERROR_MSG': 'Group not empty',
                'KLBLAG_ERROR_SUBCODE': 0, 'KLBLAG_ERROR_LNUMBER': {'type': 'long', 'value': 811}}}}},
        {'PxgError': {'code': 1186, 'subcode': 0, 'module': 'KLSTD', 'file': 'x.cpp', 'line': 1,
                      'message': 'Action not found', 'locdata': {'format-id': 1186}}},
        {'PxgError': {'code': 1184, 'module': 'KLSTD', 'message': 'Access denied'}},
        {'PxgError': {'code': 1195, 'module': 'KLSTD', 'message': 'Called too early'}},
        {'PxgError': {'code': 1453, 'module': 'KLWAT', 'message': 'Authentication failed'}},
    ]),
    'sbc': ('xml', [
        sbc_envelope({'accessToken': 'sbcToken0123456789'}),
        sbc_envelope({'operationState': {'operation': 'save', 'status': 'inProgress'}}),
        sbc_envelope({'operationState': {'operation': 'save', 'status': 'success'},
                      'additionalInfo': {'verifySummary': {'verify': {'field': 'x', 'object': 'y'}}}}),
        sbc_envelope({'operationState': {'operation': 'verify', 'status': 'fail'},
                      'errorMessage': 'Verify found 2 errors'}),
        sbc_envelope(links={'link': 'https://sbc.example/rest/v1.2/admin/asyncstatus'}),
        sbc_envelope(messages={'errorMessage': ['User does not have the lock', 'Second message']}),
        sbc_envelope({'supportedVersions': {'latestVersion': 'v1.2', 'otherVersions': {'version': ['v1.0', 'v1.1']}}}),
    ]),
    'solidfire': ('json', [
        {'id': 1, 'result': {'status': 'running', 'resultType': 'Clone', 'details': {'percentComplete': 40},
                             'createTime': '2026-12-01T10:00:00Z', 'lastUpdateTime': '2026-12-01T10:00:05Z'}},
        {'id': 1, 'result': {'status': 'complete', 'resultType': 'Clone', 'result': {'cloneID': 5, 'volumeID': 9}}},
        {'id': 1, 'result': {'status': 'complete', 'resultType': 'BulkVolume',
                             'error': {'name': 'xBulkVolumeScriptFailure', 'message': 'Script failed'}}},
        {'id': 1, 'error': {'code': 500, 'name': 'xDBNoSuchPath',
                            'message': 'DBClient operation requested on a non-existent path at [/asyncresults/1]'}},
        {'id': 1, 'error': {'code': 500, 'name': 'xUnknownAPIMethod', 'message': 'Unknown method'}},
        {'id': 1, 'result': {'asyncHandles': [
            {'asyncResultID': 1, 'completed': False, 'success': False, 'resultType': 'Clone', 'data': {}},
            {'asyncResultID': 2, 'completed': True, 'success': True, 'data': {'cloneID': 5}},
            {'asyncResultID': 3, 'completed': True, 'success': False,
             'data': {'error': {'name': 'xCloneFailed', 'message': 'no'}}}]}},
        {'id': 1, 'result': {'asyncHandle': 7, 'cloneID': 5, 'volumeID': 9}},
        {'id': 1, 'result': {'currentVersion': '12.3', 'supportedVersions': ['12.3']}},
    ]),
    'sas': ('json', [
        {'ScanTaskId': 282832, 'RequestId': 'B2D1-44'},
        {'ScanTaskProgress': 'Processing', 'RequestId': 'B2D1-45',
         'TargetInfo': '[{"type":"uuid","name":"host001","target":"503201a7"}]'},
        {'ScanTaskProgress': 'Success', 'RequestId': 'B2D1-46', 'TargetInfo': '[]'},
        {'ScanTaskProgress': 'Failed', 'RequestId': 'B2D1-47'},
        {'RequestId': 'E1', 'HostId': 'tds.aliyuncs.com', 'Code': 'Throttling.User', 'Message': 'Request was denied',
         'Recommend': 'https://api.aliyun.com/troubleshoot'},
        {'RequestId': 'E2', 'HostId': 'tds.aliyuncs.com', 'Code': 'SignatureDoesNotMatch',
         'Message': 'The string to sign was: POST&%2F&AccessKeyId%3DLTAIfuzz'},
        {'RequestId': 'E3', 'Code': 'InvalidTimeStamp.Expired', 'Message': 'Expired'},
    ]),
    'integration_server': ('xml', [
        {'task': task_element()},
        {'task': task_element(state='Completed', result={'tenantId': '17'})},
        {'task': task_element(state='Failed', error={'code': 'VIRMT_Failed', 'message': 'It broke'})},
        {'task': task_element(state='Canceled')},
        {'tasks': {'task': [task_element('a'), task_element('b', state='Completed')]}},
        {'tasks': {'task': task_element('a')}},
        {'error': {'code': 'VIRMT_MandatoryParameterIsNotSpecified', 'message': 'Name is missing'}},
    ]),
}

ODD_STRINGS = ['', ' ', 'null', 'true', '0', '-1', '1e999', 'NaN', '\u00e9\u4e2d', SECRET, SECOND_SECRET, 'x' * 500,
               'https://[broken/link', '<b>', GUID]


def random_value(rng, depth=0):
    kind = rng.randrange(14 if depth < 3 else 9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, 1, -1, 7, 2 ** 70, -2 ** 63])
    if kind == 3:
        return rng.choice([0.5, -3.25, 1e308, float('nan'), float('inf'), -float('inf')])
    if kind in (4, 5, 6):
        return rng.choice(ODD_STRINGS)
    if kind == 7:
        return []
    if kind == 8:
        return {}
    if kind == 9:
        return [random_value(rng, depth + 1) for dummy in range(rng.randrange(1, 4))]
    if kind == 10:
        # A KSC typed value with any kind of ``type``: a list there is unhashable.
        return {'type': rng.choice(['long', 'params', ['long'], {'k': 1}, None, 5]), 'value': random_value(rng, depth + 1)}
    if kind == 11:
        # What xmltodict makes of an element with attributes, or with children where text was expected.
        return rng.choice([{'#text': rng.choice(ODD_STRINGS), '@a': '1'}, {'@only': 'attribute'},
                           {'child': random_value(rng, depth + 1)}])
    return dict(('k%d' % i, random_value(rng, depth + 1)) for i in range(rng.randrange(1, 4)))


def _paths(document):
    """Every path (a tuple of keys and indexes) into ``document``, the root's ``()`` first."""
    paths = []
    todo = [((), document)]
    while todo:
        prefix, node = todo.pop()
        paths.append(prefix)
        if isinstance(node, dict):
            todo.extend((prefix + (key,), value) for key, value in node.items())
        elif isinstance(node, list):
            todo.extend((prefix + (index,), value) for index, value in enumerate(node))
    return paths


def _replace(node, path, make):
    if not path:
        return make(node)
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        copy = dict(node)
        copy[head] = _replace(node[head], rest, make)
        return copy
    copy = list(node)
    copy[head] = _replace(node[head], rest, make)
    return copy


def mutate(rng, document):
    """A few structural changes: replace, delete, wrap in a list, duplicate, null out."""
    for dummy in range(rng.randrange(1, 4)):
        paths = _paths(document)
        path = rng.choice(paths)
        choice = rng.randrange(6)
        if choice == 0:
            document = _replace(document, path, lambda node: random_value(rng))
        elif choice == 1 and path and isinstance(_get(document, path[:-1]), dict):
            parent_path, key = path[:-1], path[-1]
            document = _replace(document, parent_path, lambda parent: dict((k, v) for k, v in parent.items() if k != key))
        elif choice == 2:
            document = _replace(document, path, lambda node: [node, node])
        elif choice == 3:
            document = _replace(document, path, lambda node: None)
        elif choice == 4:
            document = _replace(document, path, lambda node: {'type': ['params'], 'value': node})
        else:
            document = _replace(document, path, lambda node: {'#text': 'x', 'nested': node} if rng.random() < 0.5
                                else rng.choice(ODD_STRINGS))
    return document


def _get(node, path):
    for key in path:
        node = node[key]
    return node


def serialize(rng, fmt, document):
    if fmt == 'json':
        return json.dumps(document).encode('utf-8')
    try:
        return xmltodict.unparse(document).encode('utf-8')
    except Exception:  # a mutation xmltodict cannot write (a list at the root...): any odd bytes will do
        return json.dumps(document, default=str).encode('utf-8')


def deep(fmt, levels):
    if fmt == 'json':
        return ('[' * levels + ']' * levels).encode('ascii')
    return ('<a>' * levels + '</a>' * levels).encode('ascii')


def body_for(rng, fmt, seeds):
    """The answer's body: a documented one, mutated, cut, replaced by garbage or by a proxy's page."""
    kind = rng.randrange(20)
    document = rng.choice(seeds)
    if kind < 4:
        return serialize(rng, fmt, document)
    if kind < 12:
        return serialize(rng, fmt, mutate(rng, document))
    if kind == 12:
        data = serialize(rng, fmt, rng.choice([document, mutate(rng, document)]))
        return data[:rng.randrange(len(data) + 1)]
    if kind == 13:
        return b''
    if kind == 14:
        return bytes(rng.randrange(256) for dummy in range(rng.randrange(1, 200)))
    if kind == 15:
        return (b'<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>'
                b'</body></html>') if rng.random() < 0.5 else b'<html><body>Proxy login</body></html>'
    if kind == 16:
        return json.dumps(random_value(rng)).encode('utf-8')
    if kind == 17:
        return deep(fmt, rng.choice([50, 400, 900, 990, 3000]))
    if kind == 18:
        data = bytearray(serialize(rng, fmt, document))
        for dummy in range(rng.randrange(1, 6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    return serialize(rng, 'xml' if fmt == 'json' else 'json', document)


STATUSES_WEIGHTED = [200] * 12 + [202] * 2 + [201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 406, 409, 415,
                                              423, 426, 429, 500, 502, 503, 504, 599, 999]
RETRY_AFTER = ['', 'abc', '-5', '0', '1', '1.5', '1e400', 'nan', 'inf', '-inf', '99999999999',
               'Wed, 21 Oct 2015 07:28:00 GMT', 'Sun, 06 Nov 2094 08:49:37 GMT', 'Mon, 99 Foo 2015', '1, 2']
CONTENT_TYPES = ['application/json', 'application/xml', 'text/html', 'text/plain', '', 'application/octet-stream',
                 'application/json; charset=utf-16', 'application/xml; charset=latin-1', 'text/html; charset=utf-8']


def transport_failure(rng):
    """What the network does instead of answering."""
    return rng.choice([
        requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
            'Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))),
        requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(
            None, '/', urllib3.exceptions.NewConnectionError(None, 'Failed: [Errno 111] Connection refused'))),
        requests.exceptions.ReadTimeout('read timed out'),
        requests.exceptions.ConnectTimeout('connect timed out'),
        requests.exceptions.SSLError('certificate verify failed'),
        requests.exceptions.ChunkedEncodingError('Connection broken: IncompleteRead'),
        requests.exceptions.ProxyError('Cannot connect to proxy.'),
    ])


class FuzzAdapter(requests.adapters.HTTPAdapter):
    """Answers every request of the session from ``rng``; nothing goes to the network."""

    def __init__(self, rng, fmt, seeds):
        super(FuzzAdapter, self).__init__()
        self.rng = rng
        self.fmt = fmt
        self.seeds = seeds
        self.requests = 0

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        rng = self.rng
        self.requests += 1
        if self.requests > 200:
            raise AssertionError('the client sent more than 200 requests for one call')
        if rng.random() < 0.05:
            raise transport_failure(rng)
        status = rng.choice(STATUSES_WEIGHTED)
        body = body_for(rng, self.fmt, self.seeds)
        headers = {'Content-Type': rng.choice(CONTENT_TYPES)}
        if rng.random() < 0.3:
            headers['Retry-After'] = rng.choice(RETRY_AFTER)
        if rng.random() < 0.3:
            headers['x-acs-retry-after'] = rng.choice(RETRY_AFTER)
        if status in (301, 302) and rng.random() < 0.5:
            headers['Location'] = rng.choice(['/elsewhere', 'https://other.invalid/x', 'http://[bad'])
        encoding = rng.random()
        if encoding < 0.03:
            headers['Content-Encoding'] = 'gzip'  # and a body that is not gzip
        elif encoding < 0.06:
            headers['Content-Encoding'] = 'gzip'
            body = gzip.compress(body)
        raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=headers, status=status, preload_content=False,
                                   decode_content=True, request_method=request.method, request_url=request.url)
        return self.build_response(request, raw)


def mount(http, adapter):
    # Proxy settings from the environment are the one thing not fuzzed here; reading them for
    # every request would take half the run time.
    http.session.trust_env = False
    http.session.mount('https://', adapter)
    http.session.mount('http://', adapter)


# --------------------------------------------------------------------------- read paths per vendor

def observed(value):
    assert isinstance(value, Observation), value
    assert value.status in STATUSES, value.status
    if value.delay_hint is not None:
        assert value.delay_hint >= 0 and value.delay_hint == value.delay_hint and value.delay_hint != float('inf')
    return value


def fuzz_wait(rng, check):
    """The whole wait loop over fuzzed answers, on a fake clock: it must end, and end cleanly."""
    clock = FakeClock()
    outcome = wait_for(check, WaitPolicy(timeout=120, poll_interval=1, max_poll_interval=10, retries=3),
                       clock=clock, rng=rng.random)
    observed(outcome.observation)
    assert clock.current - 5000.0 <= 120 + 1e-6


def ksc_paths(rng):
    def make():
        return KscClient('ksc.invalid', port=13299, username='ksc-admin', password=SECRET,
                         session_id=rng.choice([None, 'nsFuzzSession0123456789']), timeout=5)

    def check(client):
        observation = observed(client.check_action(GUID))
        if observation.status == 'failed':
            assert isinstance(observation.payload['error'], dict)
    return make, [
        lambda client: client.start_session(),
        lambda client: client.login(),
        lambda client: client.ping(),
        lambda client: client.end_session(),
        lambda client: client.start_action('HostGroup.RemoveGroup', {'nGroup': 17, 'nFlags': 1}),
        lambda client: client.start_action('ReportManager.ExecuteReportAsync', {}, guid_key='strRequestId'),
        lambda client: client.call('HostGroup.GetGroupInfo', {'nId': 1}),
        check,
        lambda client: fuzz_wait(rng, lambda: client.check_action(GUID)),
    ]


def sbc_paths(rng):
    clock = FakeClock()

    def make():
        return SbcClient('sbc.invalid', 'admin', SECRET, port=443, token_lifetime=600, timeout=5, clock=clock)

    def with_lock(client):
        client.lock()
        client.unlock()

    def start_and_check(client):
        link = client.start(rng.choice(['save', 'verify', 'activate', 'backup', 'restore']),
                            restore_source='saved', filename='fuzz.gz')
        assert isinstance(link, str)
        observed(client.check('save', link=link))
    return make, [
        lambda client: client.authenticate(),
        with_lock,
        start_and_check,
        lambda client: client.read_status(),
        lambda client: observed(client.check(rng.choice([None, 'save']))),
        lambda client: client.supported_versions(),
        lambda client: fuzz_wait(rng, lambda: client.check('save')),
    ]


def solidfire_paths(rng):
    def make():
        return SolidFireClient('sf.invalid', 'admin', SECRET, port=443, timeout=5)

    def watch(client):
        clock = FakeClock()
        watcher = AsyncHandleWatcher(client, keep_result=rng.random() < 0.5, deadline=clock.now() + 1, clock=clock)
        watcher.use_list = rng.random() < 0.7
        for observation in watcher([1, 2, 3]).values():
            observed(observation)
            observation.payload.to_result()

    def get(client):
        result = client.get_async_result(rng.choice([1, 2]), keep_result=rng.random() < 0.5)
        observed(result.observation())
        result.to_result()
    return make, [
        lambda client: client.call('GetAPI'),
        get,
        lambda client: [entry.to_result() for entry in client.list_async_results().values()],
        lambda client: client.start('CloneVolume', {'volumeID': 1, 'name': 'fuzz'}),
        watch,
    ]


def sas_paths(rng):
    def make():
        return SasClient('LTAIfuzzKeyId', SECRET, security_token=rng.choice([None, SECOND_SECRET]),
                         endpoint='tds.invalid', signature_version=rng.choice(['v3', 'v1']), request_timeout=5)
    return make, [
        lambda client: client.start_virus_scan([{'type': 'uuid', 'name': 'host001', 'target': '503201a7'}]),
        lambda client: observed(client.scan_progress(282832)),
        lambda client: fuzz_wait(rng, lambda: client.scan_progress(282832)),
    ]


def integration_server_paths(rng):
    def make():
        return IntegrationServerClient('kis.invalid', 'tenant-admin', SECRET, port=7271, timeout=5)

    def read(client):
        observation = observed(client.read('t1'))
        error_of(observation.payload)

    def batch(client):
        check = client.batch_reader(['a', 'b'])
        for observation in check(['a', 'b']).values():
            observed(observation)
            error_of(observation.payload)
    return make, [
        read,
        lambda client: [error_of(task) for task in client.list_tasks(state=rng.choice([None, 'Running']))],
        lambda client: client.cancel_task('t1'),
        batch,
        lambda client: fuzz_wait(rng, lambda: client.read('t1')),
    ]


VENDOR_PATHS = {
    'ksc': ksc_paths,
    'sbc': sbc_paths,
    'solidfire': solidfire_paths,
    'sas': sas_paths,
    'integration_server': integration_server_paths,
}


def check_error(err, secrets):
    message = err.message
    assert isinstance(message, str) and message.strip(), 'empty message'
    assert '\n' not in message, 'a message of more than one line: %r' % message
    assert len(message) < 1200, 'a message of %d characters' % len(message)
    assert 'Traceback' not in message
    everything = message + repr(err.fields)
    for secret in secrets:
        assert secret not in everything, 'a secret in the error: %r' % everything


@pytest.mark.parametrize('vendor', sorted(VENDOR_PATHS))
def test_only_the_collections_errors_come_out(vendor):
    fmt, seeds = SEEDS[vendor]
    cases = [int(ONLY_CASE)] if ONLY_CASE is not None else range(CASES)
    outcomes = {'returned': 0, 'raised': 0}
    for case in cases:
        rng = random.Random('%d-%s-%d' % (SEED, vendor, case))
        make, paths = VENDOR_PATHS[vendor](rng)
        client = make()
        mount(client.http, FuzzAdapter(rng, fmt, seeds))
        path = rng.choice(paths)
        try:
            path(client)
        except AsyncOpsError as err:
            outcomes['raised'] += 1
            try:
                # The token only counts as a secret where the client was given it.
                check_error(err, [SECRET] + ([SECOND_SECRET] if getattr(client, '_security_token', None) else []))
            except AssertionError as failure:
                pytest.fail('%s; replay with ASYNCOPS_FUZZ_SEED=%d ASYNCOPS_FUZZ_CASE=%d (vendor %s)'
                            % (failure, SEED, case, vendor))
        except Exception:
            pytest.fail('Not the collection\'s own error; replay with ASYNCOPS_FUZZ_SEED=%d ASYNCOPS_FUZZ_CASE=%d '
                        '(vendor %s):\n%s' % (SEED, case, vendor, traceback.format_exc()))
        else:
            outcomes['returned'] += 1
        finally:
            client.http.close()
    if ONLY_CASE is None:
        # The fuzz must reach the happy paths too, not only fail at the first request.
        assert outcomes['returned'] > CASES // 50, outcomes
