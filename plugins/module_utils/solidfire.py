# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetApp SolidFire Element JSON-RPC client: method calls, error envelopes, async results.

Knows the wire (the Element JSON-RPC API), not Ansible. Every call is ``POST /json-rpc/<version>``
with HTTP Basic; there is no session to keep, so a dropped keep-alive connection costs nothing
but the request that was on it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import HttpClient, base_url, dumps
from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import Answer, scalar
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import FAILED, RUNNING, SUCCEEDED, Observation, SystemClock

UNKNOWN_API_METHOD = 'xUnknownAPIMethod'
NO_SUCH_PATH = 'xDBNoSuchPath'

VENDOR_RUNNING = 'running'
VENDOR_COMPLETE = 'complete'


class SolidFireMethodError(TerminalError):
    """A JSON-RPC ``error`` answer; ``error`` holds the vendor's ``name``, ``message`` and ``code``."""

    def __init__(self, message, error, **fields):
        super(SolidFireMethodError, self).__init__(message, error=error, **fields)
        self.name = error.get('name')
        self.code = error.get('code')
        self.error_message = error.get('message')

    @property
    def unknown_method(self):
        return self.name == UNKNOWN_API_METHOD

    @property
    def no_such_path(self):
        """A purged or never-issued async handle."""
        return self.name == NO_SUCH_PATH


def _error_fields(error):
    """``name``, ``message``, ``code`` of an error object, read leniently (odd kinds are left out)."""
    fields = dict(name=scalar(error.get('name')), message=scalar(error.get('message')), code=scalar(error.get('code')))
    return dict((k, v) for k, v in fields.items() if v is not None)


def _operation_error(error):
    """A failed operation's ``error`` as an object: a bare message becomes ``{"message": ...}``."""
    if error is None or isinstance(error, dict):
        return error
    text = scalar(error)
    return dict(message='%s' % text) if text is not None else dict(message='The operation failed.')


def _answer(request):
    return Answer('The SolidFire cluster', request)


class AsyncResult(object):
    """One async handle's state, from ``GetAsyncResult`` or a ``ListAsyncResults`` entry.

    ``complete`` handles carry ``result`` or ``error``; ``payload_known`` says whether that payload
    was actually seen (``ListAsyncResults`` may leave a failure's error out).
    """

    def __init__(self, async_handle, vendor_status, result=None, error=None, result_type=None, details=None,
                 create_time=None, last_update_time=None, payload_known=True, gone=False):
        self.async_handle = async_handle
        # The cluster does not hold this handle (purged or never issued): nothing more can be learnt.
        self.gone = gone
        self.vendor_status = vendor_status
        self.result = result
        self.error = error
        self.result_type = result_type
        self.details = details
        self.create_time = create_time
        self.last_update_time = last_update_time
        self.payload_known = payload_known

    @classmethod
    def from_get(cls, async_handle, answer):
        shape = _answer('GetAsyncResult for handle %s' % async_handle)
        answer = shape.mapping(answer, 'the result')
        return cls(async_handle, shape.text(answer.get('status'), 'status', required=True),
                   result=answer.get('result'), error=_operation_error(answer.get('error')),
                   result_type=shape.text(answer.get('resultType'), 'resultType'), details=answer.get('details'),
                   create_time=scalar(answer.get('createTime')), last_update_time=scalar(answer.get('lastUpdateTime')))

    @classmethod
    def from_list_entry(cls, entry):
        shape = _answer('ListAsyncResults')
        completed = shape.boolean(entry.get('completed'), 'completed', default=False)
        success = shape.boolean(entry.get('success'), 'success', default=False)
        data = entry.get('data')
        result = error = details = None
        payload_known = True
        if not completed:
            details = data or None
        elif success:
            result = data
        elif isinstance(data, dict) and isinstance(data.get('error'), dict):
            error = data['error']
        elif isinstance(data, dict) and data.get('name'):
            error = data
        else:
            # The list said "failed" but not why: the error has to come from GetAsyncResult.
            payload_known = False
        return cls(entry.get('asyncResultID'), VENDOR_COMPLETE if completed else VENDOR_RUNNING,
                   result=result, error=error, result_type=shape.text(entry.get('resultType'), 'resultType'),
                   details=details, create_time=scalar(entry.get('createTime')),
                   last_update_time=scalar(entry.get('lastUpdateTime')), payload_known=payload_known)

    @classmethod
    def from_missing(cls, async_handle, method_error):
        return cls(async_handle, None, error=method_error.fields.get('error'), gone=True)

    @property
    def status(self):
        if self.gone:
            return FAILED
        if self.vendor_status != VENDOR_COMPLETE:
            # Any word we do not know as terminal keeps the wait going, verbatim in vendor_status.
            return RUNNING
        return FAILED if self.error is not None or not self.payload_known else SUCCEEDED

    @property
    def progress(self):
        percent = (self.details or {}).get('percentComplete') if isinstance(self.details, dict) else None
        if isinstance(percent, (int, float)) and not isinstance(percent, bool):
            return percent
        return None

    def observation(self):
        return Observation(self.status, vendor_status=self.vendor_status, payload=self, progress=self.progress)

    def to_result(self):
        """The per-handle keys of solidfire_async_result's ``results``."""
        result = dict(async_handle=self.async_handle, status=self.status, vendor_status=self.vendor_status,
                      result_type=self.result_type, create_time=self.create_time,
                      last_update_time=self.last_update_time)
        for key in ('result', 'error', 'details'):
            value = getattr(self, key)
            if value is not None:
                result[key] = value
        if self.progress is not None:
            result['progress'] = self.progress
        return result


class SolidFireClient(object):
    def __init__(self, hostname, username, password, port=443, api_version='12.3', validate_certs=True,
                 ca_path=None, timeout=30.0):
        self.username = username
        self.path = '/json-rpc/%s' % api_version
        self.http = HttpClient(base_url(hostname, port), validate_certs=validate_certs, ca_path=ca_path,
                               timeout=timeout, auth=(username, password), secrets=[password],
                               headers={'Content-Type': 'application/json'})
        self._request_id = 0

    @classmethod
    def from_params(cls, params):
        return cls(params['hostname'], params['username'], params['password'], port=params['port'],
                   api_version=params['api_version'], validate_certs=params['validate_certs'],
                   ca_path=params.get('ca_path'), timeout=params.get('request_timeout', 30.0))

    def call(self, method, params=None):
        """One JSON-RPC call; returns its ``result`` or raises.

        A method error is terminal whatever HTTP status carries it (the status is a [guess]);
        a 401 is always about credentials; everything else goes through the HTTP layer's rules.
        """
        self._request_id += 1
        # Bytes, not str: http.client then sends headers and body in one write, which avoids the
        # Nagle/delayed-ACK stall (about 40 ms per request) that a separate small body write causes.
        body = dumps(dict(method=method, params=params or {}, id=self._request_id)).encode('utf-8')
        response = self.http.send('POST', self.path, data=body)
        if response.status_code == 401:
            raise TerminalError(
                'The SolidFire cluster rejected the credentials of user %s (HTTP 401); check username and password.'
                % self.username, http_status=401, url=self.http.redact(response.url))
        body = None
        if 'json' in (response.headers.get('Content-Type') or '') or response.status_code < 300:
            body = self.http.json_or_none(response)
        if isinstance(body, dict) and isinstance(body.get('error'), dict) and body['error'].get('name'):
            error = dict((key, self.http.redact(value) if isinstance(value, str) else value)
                         for key, value in _error_fields(body['error']).items())
            raise SolidFireMethodError(
                '%s failed with %s: %s.' % (method, error.get('name'),
                                            ('%s' % (error.get('message') or 'no message')).rstrip('.')),
                error, method=method)
        self.http.raise_for_status(response)
        _answer(method).must_not_be_html(response)
        if body is None:
            body = self.http.json(response)
        if not isinstance(body, dict) or 'result' not in body:
            # A JSON-RPC answer always holds one of the two; a cut-off or foreign body may not.
            raise _answer(method).fail('neither result nor error', transient=True, method=method)
        return body['result']

    def get_async_result(self, async_handle, keep_result=False):
        """``GetAsyncResult``; a complete result is purged by this read unless ``keep_result``."""
        try:
            answer = self.call('GetAsyncResult', dict(asyncHandle=async_handle, keepResult=bool(keep_result)))
        except SolidFireMethodError as err:
            if err.no_such_path:
                raise SolidFireMethodError(
                    'Async handle %s does not exist on the cluster: it was never issued, or its result was already '
                    'read once without keep_result (a complete result is purged by the first read unless '
                    'keep_result is true).' % async_handle, err.fields['error'], method='GetAsyncResult',
                    async_handle=async_handle)
            raise
        return AsyncResult.from_get(async_handle, answer)

    def list_async_results(self):
        """``ListAsyncResults``: every handle the cluster still holds, ``{handle: AsyncResult}``; purges nothing."""
        answer = self.call('ListAsyncResults')
        shape = _answer('ListAsyncResults')
        entries = shape.sequence(shape.mapping(answer, 'the result').get('asyncHandles'), 'asyncHandles')
        listed = {}
        for entry in entries:
            entry = shape.mapping(entry, 'an entry of asyncHandles')
            handle = shape.integer(entry.get('asyncResultID'), 'asyncResultID', required=True)
            listed[handle] = AsyncResult.from_list_entry(entry)
        return listed

    def start(self, method, params):
        """Call an async method; returns ``(async_handle, its whole result)``."""
        answer = self.call(method, params)
        handle = answer.get('asyncHandle') if isinstance(answer, dict) else None
        if isinstance(handle, bool) or not isinstance(handle, int):
            raise TerminalError('%s answered without an asyncHandle, so there is nothing to wait for; '
                                'is it an asynchronous method?' % method, method=method,
                                method_result=self.http.redact.data(answer))
        return handle, answer

    def close(self):
        self.http.close()


class AsyncHandleWatcher(object):
    """The ``check_batch`` of :func:`wait.wait_for_many` for many async handles.

    One ``ListAsyncResults`` per round covers every pending handle (it purges nothing). A handle
    gets its own ``GetAsyncResult`` only once it is complete, and only when that read is needed:
    to purge it (``keep_result`` false) or to learn a failure's error that the list left out.
    On a cluster without ``ListAsyncResults`` each pending handle is read with ``GetAsyncResult``
    every round, ``keepResult`` passed through (a running handle is never purged).

    Settled handles are remembered here at once, not at the end of the round: if a later request
    of the same round fails, a result that was already purged by its final read is not lost.

    ``deadline`` (absolute, on ``clock``: ``time.monotonic()`` by default, the wait loop's clock)
    bounds the per-handle reads: once it has passed, the round stops reading and returns what it
    has, the other handles stay pending, and the wait loop's own timeout ends the wait. So a round
    over thousands of handles never runs more than one request past the deadline.
    """

    def __init__(self, client, keep_result=False, deadline=None, clock=None):
        self.client = client
        self.keep_result = keep_result
        self.use_list = True
        self.settled = {}
        self.deadline = deadline
        self.clock = clock or SystemClock()
        # Handles left unread in a round because the deadline passed (for the caller's message).
        self.unread = []

    def _out_of_time(self):
        return self.deadline is not None and self.clock.now() >= self.deadline

    def __call__(self, pending):
        unsettled = [handle for handle in pending if handle not in self.settled]
        observations = {}
        self.unread = []
        if unsettled and self.use_list:
            try:
                listed = self.client.list_async_results()
            except SolidFireMethodError as err:
                if not err.unknown_method:
                    raise
                self.use_list = False
            else:
                for handle in unsettled:
                    entry = listed.get(handle)
                    if entry is not None and entry.status == RUNNING:
                        observations[handle] = entry.observation()
                    elif entry is not None and entry.payload_known and self.keep_result:
                        self.settled[handle] = entry
                    elif self._out_of_time():
                        self.unread.append(handle)
                    else:
                        self._settle_completed(handle, entry)
        if unsettled and not self.use_list:
            for handle in unsettled:
                if self._out_of_time():
                    self.unread.append(handle)
                    continue
                current = self._read(handle)
                if current.status == RUNNING:
                    observations[handle] = current.observation()
        for handle in pending:
            if handle in self.settled:
                observations[handle] = self.settled[handle].observation()
        return observations

    def _read(self, handle):
        try:
            current = self.client.get_async_result(handle, keep_result=self.keep_result)
        except SolidFireMethodError as err:
            if not err.no_such_path:
                raise
            current = AsyncResult.from_missing(handle, err)
        if current.status != RUNNING:
            self.settled[handle] = current
        return current

    def _settle_completed(self, handle, listed_entry):
        """``listed_entry`` is None when the list does not hold the handle: GetAsyncResult says why."""
        if listed_entry is not None and listed_entry.payload_known and self.keep_result:
            self.settled[handle] = listed_entry
            return
        current = self._read(handle)
        if current.gone and listed_entry is not None and listed_entry.payload_known:
            # Purged between the list and this read (by another reader, or by our own read whose
            # answer was lost): the list already told us everything.
            self.settled[handle] = listed_entry
