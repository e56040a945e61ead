# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetApp SolidFire Element JSON-RPC simulator.

What it keeps faithful, because the collection's client and NetApp's own SDK depend on it:

- ``POST /json-rpc/<version>`` with HTTP Basic on every request; bad or missing credentials get
  HTTP 401 with an HTML body (the SDK looks for ``401 Unauthorized.`` in it).
- ``GetAPI`` answers ``currentVersion``/``supportedVersions``: ``ElementFactory.create`` calls it
  on ``/json-rpc/7.0`` first and then switches to the current version.
- Method errors are ``{"error": {"code": 500, "name": "x...", "message": ...}, "id": ...}``; the
  HTTP status carrying them is a [guess], so it is configurable (``error_http_status``, default 200).
- ``GetAsyncResult`` never purges a running operation; a complete one is purged once returned
  unless ``keepResult`` is true; a purged or unknown handle is ``xDBNoSuchPath``.
- ``ListAsyncResults`` lists every handle not yet purged, purges nothing, and can be switched
  off (``list_async_results: false``) to look like a cluster older than Element 9.6
  (``xUnknownAPIMethod``).
- ``CloneVolume``, ``CopyVolume`` and ``StartBulkVolumeRead`` return an ``asyncHandle``; a failed
  operation reports an ``xBulkVolumeScriptFailure``-style error.
- What ``ListAsyncResults`` puts in ``data`` of a *failed* handle is not documented [guess]:
  ``list_failure_data`` is ``nested`` (``{"error": {...}}``, default), ``flat`` (the error's own
  fields) or ``empty`` (``{}``), so clients can be tested against each.

Control API:

- ``POST /_sim/operations`` ``{duration, outcome (succeeded|failed), result_type, result, error,
  method}``: creates an operation at once and returns ``{"id": <asyncHandle>}``; with
  ``durations`` (a list) instead of ``duration`` it creates one per entry and returns ``{"ids": [...]}``.
- ``POST /_sim/config``: ``username``, ``password``, ``operation_duration`` and
  ``operation_outcome`` (what the async methods start), ``list_async_results``,
  ``list_failure_data``, ``error_http_status``.
- Counters: requests per JSON-RPC method, ``purged`` (results removed by ``GetAsyncResult``).
"""

import datetime
import re
import uuid

from asyncops_simulators import kit

RPC_PATH = re.compile(r'^/json-rpc/(\d+(?:\.\d+)?)/?$')
SUPPORTED_VERSIONS = ['1.0', '2.0', '3.0', '4.0', '5.0', '6.0', '7.0', '7.1', '7.2', '7.3', '7.4', '8.0', '8.1',
                      '8.2', '8.3', '8.4', '9.0', '9.1', '9.2', '9.3', '9.4', '9.5', '9.6', '10.0', '10.1', '10.2',
                      '10.3', '10.4', '10.5', '10.6', '10.7', '11.0', '11.1', '11.3', '11.5', '11.7', '11.8',
                      '12.0', '12.2', '12.3']
CURRENT_VERSION = '12.3'
LIST_ASYNC_RESULTS_SINCE = 9.6

DEFAULT_USERNAME = 'sf-admin'
DEFAULT_PASSWORD = 'Sim-SolidFire-pass-42'

UNAUTHORIZED_BODY = ('<html><head><title>401 Unauthorized.</title></head>'
                     '<body><h1>401 Unauthorized.</h1></body></html>')

DEFAULT_SETTINGS = {
    'username': DEFAULT_USERNAME,
    'password': DEFAULT_PASSWORD,
    'operation_duration': 1.0,
    'operation_outcome': 'succeeded',
    'list_async_results': True,
    'list_failure_data': 'nested',
    'error_http_status': 200,
}

# Method -> resultType of the operation it starts.
ASYNC_METHODS = {
    'CloneVolume': 'Clone',
    'CopyVolume': 'Clone',
    'StartBulkVolumeRead': 'BulkVolume',
}


def iso_utc(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


class RpcError(Exception):
    def __init__(self, name, message, code=500):
        super().__init__(message)
        self.name = name
        self.message = message
        self.code = code


class AsyncOperation(kit.Operation):
    """An operation behind one asyncHandle; ``created`` is wall-clock UTC for createTime."""

    def __init__(self, op_id, result_type='Clone', result=None, error=None, method=None, **spec):
        super().__init__(op_id, **spec)
        self.result_type = result_type
        self.result = result
        self.error = error
        self.method = method
        self.created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def last_update(self):
        if not self.finished():
            return self.created
        return self.created + datetime.timedelta(seconds=int(self.duration))

    def succeeded(self):
        return self.outcome == 'succeeded'

    def error_payload(self):
        if self.error is not None:
            return self.error
        return {'name': 'xBulkVolumeScriptFailure', 'message': 'Bulk volume job failed',
                'bvID': self.id, 'volumeID': (self.extra.get('volume_id') or 1)}

    def result_payload(self):
        if self.result is not None:
            return self.result
        if self.result_type == 'BulkVolume':
            return {'message': 'Bulk volume job succeeded', 'bvID': self.id}
        return {'cloneID': self.id, 'volumeID': 1000 + self.id, 'message': 'Clone complete.'}

    def details(self):
        details = {'percentComplete': self.progress()}
        if self.result_type == 'BulkVolume':
            details['bvID'] = self.id
        return details


class SolidFireSimulator(kit.Simulator):
    name = 'solidfire'

    def __init__(self):
        super().__init__()
        self.configure(DEFAULT_SETTINGS)

    # -- control API ---------------------------------------------------------
    def create_operation(self, spec):
        spec = dict(spec)
        if spec.get('outcome', 'succeeded') not in ('succeeded', 'failed'):
            raise ValueError('outcome must be succeeded or failed')
        durations = spec.pop('durations', None)
        if durations is not None:
            # Many handles in one control call: a playbook cannot afford one request per handle.
            with self.lock:
                ids = [self._add(dict(spec, duration=duration))['id'] for duration in durations]
            return {'ids': ids}
        return self._add(spec)

    def _add(self, spec):
        with self.lock:
            op = AsyncOperation(self.new_id(), **spec)
            self.operations[op.id] = op
            return {'id': op.id, 'asyncHandle': op.id}

    def revoke(self, spec):
        """``POST /_sim/revoke``: the password changes; every later request gets 401 (HTTP Basic each time)."""
        self.password = 'revoked-' + uuid.uuid4().hex
        return {'revoked': [self.username]}

    def configure(self, settings):
        if 'list_failure_data' in settings and settings['list_failure_data'] not in ('nested', 'flat', 'empty'):
            raise ValueError('list_failure_data must be nested, flat or empty')
        return super().configure(settings)

    def reset(self):
        super().reset()
        self.configure(DEFAULT_SETTINGS)

    # -- labelling -----------------------------------------------------------
    def endpoint_of(self, request):
        if request.method == 'POST' and RPC_PATH.match(request.path):
            try:
                method = request.json().get('method')
            except (ValueError, AttributeError):
                method = None
            if isinstance(method, str) and method:
                return method
        return request.endpoint

    def malformed_response(self, request):
        return kit.Response(200, b'{"id": 1, "result": {"status": "runn', content_type='application/json')

    # -- the API ---------------------------------------------------------------
    def handle(self, request):
        match = RPC_PATH.match(request.path)
        if request.method != 'POST' or not match:
            return kit.Response(404, '<html><body>404 Not Found</body></html>', content_type='text/html')
        if not self._authorized(request):
            return kit.Response(401, UNAUTHORIZED_BODY, content_type='text/html',
                                headers={'WWW-Authenticate': 'Basic realm="SolidFire"'})
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get('method'), str):
            return self._error(None, RpcError('xInvalidJSONRPCRequest', 'The request is not a JSON-RPC request.'))
        request_id = body.get('id')
        params = body.get('params') or {}
        try:
            version = self._version(match.group(1))
            result = self._call(body['method'], params if isinstance(params, dict) else {}, version)
        except RpcError as err:
            return self._error(request_id, err)
        return kit.json_response({'id': request_id, 'result': result})

    def _authorized(self, request):
        return request.basic_credentials() == (self.username, self.password)

    def _error(self, request_id, err):
        return kit.json_response({'id': request_id, 'error': {'code': err.code, 'name': err.name,
                                                              'message': err.message}},
                                 status=int(self.error_http_status))

    @staticmethod
    def _version(text):
        normalized = '%.1f' % float(text) if '.' not in text else text
        if normalized not in SUPPORTED_VERSIONS:
            raise RpcError('xUnknownAPIVersion', 'Unknown API version %s; supported versions are %s.'
                           % (text, ', '.join(SUPPORTED_VERSIONS)))
        return float(normalized)

    def _call(self, method, params, version):
        if method == 'GetAPI':
            return {'currentVersion': float(CURRENT_VERSION),
                    'supportedVersions': [float(v) for v in SUPPORTED_VERSIONS]}
        if method == 'GetAsyncResult':
            return self._get_async_result(params)
        if method == 'ListAsyncResults' and self.list_async_results and version >= LIST_ASYNC_RESULTS_SINCE:
            return self._list_async_results(params)
        if method in ASYNC_METHODS:
            return self._start(method, params)
        raise RpcError('xUnknownAPIMethod', 'Unknown method %s.' % method)

    def _handle_param(self, params):
        handle = params.get('asyncHandle')
        if isinstance(handle, bool) or not isinstance(handle, int):
            raise RpcError('xInvalidParameter', 'Required parameter asyncHandle must be an integer.')
        return handle

    def _get_async_result(self, params):
        handle = self._handle_param(params)
        keep = bool(params.get('keepResult', False))
        with self.lock:
            op = self.operations.get(handle)
            if op is None:
                raise RpcError('xDBNoSuchPath', 'DBClient operation requested on a non-existent path at '
                                                '[/asyncresults/%d]' % handle)
            answer = {'resultType': op.result_type, 'createTime': iso_utc(op.created),
                      'lastUpdateTime': iso_utc(op.last_update())}
            if not op.finished():
                answer.update(status='running', details=op.details())
                return answer
            answer['status'] = 'complete'
            if op.succeeded():
                answer['result'] = op.result_payload()
            else:
                answer['error'] = op.error_payload()
            if not keep:
                del self.operations[handle]
                self.counters.incr('purged')
            return answer

    def _list_async_results(self, params):
        types = params.get('asyncResultTypes')
        entries = []
        with self.lock:
            for op in self.operations.values():
                if types and op.result_type not in types:
                    continue
                finished = op.finished()
                entry = {'asyncResultID': op.id, 'completed': finished, 'success': finished and op.succeeded(),
                         'resultType': op.result_type, 'createTime': iso_utc(op.created),
                         'lastUpdateTime': iso_utc(op.last_update()), 'data': {}}
                if finished and op.succeeded():
                    entry['data'] = op.result_payload()
                elif finished and self.list_failure_data == 'nested':
                    entry['data'] = {'error': op.error_payload()}
                elif finished and self.list_failure_data == 'flat':
                    entry['data'] = dict(op.error_payload())
                elif not finished:
                    entry['data'] = op.details()
                entries.append(entry)
        return {'asyncHandles': entries}

    def _start(self, method, params):
        volume_id = params.get('volumeID')
        if isinstance(volume_id, bool) or not isinstance(volume_id, int):
            raise RpcError('xMissingParameter', 'Required parameter volumeID is missing or not an integer.')
        if method == 'CloneVolume' and not params.get('name'):
            raise RpcError('xMissingParameter', 'Required parameter name is missing.')
        if method == 'CopyVolume' and not isinstance(params.get('dstVolumeID'), int):
            raise RpcError('xMissingParameter', 'Required parameter dstVolumeID is missing.')
        if method == 'StartBulkVolumeRead' and params.get('format') not in ('native', 'uncompressed'):
            raise RpcError('xInvalidParameter', 'Parameter format must be native or uncompressed.')
        with self.lock:
            op = AsyncOperation(self.new_id(), result_type=ASYNC_METHODS[method], method=method,
                                duration=self.operation_duration, outcome=self.operation_outcome,
                                volume_id=volume_id)
            self.operations[op.id] = op
        if method == 'CloneVolume':
            return {'asyncHandle': op.id, 'cloneID': op.id, 'volumeID': 1000 + op.id, 'curve': {}}
        if method == 'CopyVolume':
            return {'asyncHandle': op.id, 'cloneID': op.id}
        return {'asyncHandle': op.id, 'key': 'bv-%08x' % op.id,
                'url': 'https://127.0.0.1:8443/bulkvolume/%d' % op.id}
