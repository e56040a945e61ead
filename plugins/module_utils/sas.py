# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Client of Alibaba Cloud Security Center (SAS, API 2018-12-03): virus scan tasks.

RPC style: the action's parameters travel in the query string of ``POST /``, signed with V3
(``ACS3-HMAC-SHA256``, the default) or V1 (``HMAC-SHA1``). Alibaba answers every error, throttling
included, with a JSON body carrying ``Code``; throttling arrives as HTTP 400, so the body is read
before the status.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import time
from urllib.parse import urlsplit

from ansible_collections.asyncops.jobs.plugins.module_utils import alibaba_signature
from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import (
    HttpClient,
    TransientHttpError,
    base_url,
    parse_retry_after,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import Answer, finite_seconds, scalar
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    Observation,
)

API_VERSION = '2018-12-03'
MAINLAND_ENDPOINT = 'tds.cn-shanghai.aliyuncs.com'
INTERNATIONAL_ENDPOINT = 'tds.ap-southeast-1.aliyuncs.com'
# Regions whose names start with cn- but which Alibaba serves from the international site.
_NON_MAINLAND_CN_REGIONS = ('cn-hongkong',)
THROTTLING_CODES = frozenset(['Throttling', 'Throttling.User', 'Throttling.Api'])
# Asking again with a fresh nonce or a moment later fixes these.
_TRANSIENT_CODES = frozenset(['ServiceUnavailable', 'InternalError', 'ServerError', 'SignatureNonceUsed'])
SCAN_PROGRESS = {'init': RUNNING, 'Processing': RUNNING, 'Success': SUCCEEDED, 'Failed': FAILED}
TARGET_TYPES = ('uuid', 'groupId')
# Characters of a parameter beyond which it travels in the body: short lists keep the documented
# query string, long ones (about 40 servers and more) stay well clear of common 8 KB URL limits.
_LONGEST_QUERY_VALUE = 2048


def endpoint_for(region=None, endpoint=None):
    """``endpoint`` if given, else the site that serves ``region`` (mainland when no region is given)."""
    if endpoint:
        return endpoint
    if region and (not region.startswith('cn-') or region in _NON_MAINLAND_CN_REGIONS):
        return INTERNATIONAL_ENDPOINT
    return MAINLAND_ENDPOINT


def _host_of(endpoint):
    return re.sub(r'(?i)^https?://', '', endpoint).split('/')[0]


def parse_target_info(value):
    """``TargetInfo`` arrives as a JSON string; a list is what a playbook can use.

    Anything else is returned as it came (a string that is not JSON) or dropped (an odd kind)
    rather than failing a scan that itself succeeded: the field only echoes the request.
    """
    if value is None or isinstance(value, list):
        return value
    if not isinstance(value, str):
        return scalar(value)
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value


class SasClient(object):
    def __init__(self, access_key_id, access_key_secret, security_token=None, region=None, endpoint=None,
                 signature_version='v3', validate_certs=True, ca_path=None, request_timeout=30.0,
                 now=None, nonce=None):
        if signature_version not in ('v3', 'v1'):
            raise TerminalError('signature_version must be v3 or v1, not %s.' % signature_version)
        self.access_key_id = access_key_id
        # Alibaba throttles per account, not per endpoint: Task.client() keys the shared request budget on this too.
        self.budget_scope = access_key_id
        self._secret = access_key_secret
        self._security_token = security_token
        self.signature_version = signature_version
        # The Host header as requests sends it (an IPv6 literal bracketed): V3 signs it.
        self.host = urlsplit(base_url(_host_of(endpoint_for(region, endpoint)))).netloc
        self._now = now or time.time
        self._nonce = nonce or alibaba_signature.new_nonce
        self.http = HttpClient(base_url(self.host), validate_certs=validate_certs, ca_path=ca_path,
                               timeout=request_timeout, secrets=[access_key_secret, security_token])

    @classmethod
    def from_params(cls, params):
        return cls(params['access_key_id'], params['access_key_secret'], security_token=params.get('security_token'),
                   region=params.get('region'), endpoint=params.get('endpoint'),
                   signature_version=params.get('signature_version') or 'v3',
                   validate_certs=params.get('validate_certs', True), ca_path=params.get('ca_path'),
                   request_timeout=params.get('request_timeout', 30.0))

    # -- the wire ----------------------------------------------------------
    def call(self, action, params, retry_unsent_only=False, form=None):
        """One signed RPC call; returns the JSON answer or raises Transient/TerminalError.

        ``retry_unsent_only``: for actions that must not run twice, a request that may have
        reached the server (timeout, reset) is terminal; only explicit rejections stay transient.
        ``form``: parameters for the form-encoded body instead of the query string, where Alibaba
        advises long values to go (gateways refuse long URLs; the body has no such limit).
        """
        timestamp = alibaba_signature.utc_timestamp(self._now())
        nonce = self._nonce()
        form = form or {}
        data = alibaba_signature.canonical_query(form).encode('ascii') if form else b''
        if self.signature_version == 'v1':
            # V1 signs every parameter wherever it travels.
            signed = alibaba_signature.v1_signed_params(
                'POST', action, API_VERSION, dict(params, **form), self.access_key_id, self._secret,
                security_token=self._security_token, nonce=nonce, timestamp=timestamp)
            query = dict((k, v) for k, v in signed.items() if k not in form)
            headers = {}
        else:
            # V3 signs the query string and the body's hash.
            query = dict(params)
            headers = alibaba_signature.v3_signed_headers(
                'POST', self.host, action, API_VERSION, query, data, self.access_key_id, self._secret,
                security_token=self._security_token, nonce=nonce, date=timestamp)
        if form:
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        path = '/?' + alibaba_signature.canonical_query(query) if query else '/'
        try:
            response = self.http.send('POST', path, headers=headers, data=data)
        except TransientHttpError as err:
            if retry_unsent_only:
                raise TerminalError(
                    '%s may or may not have reached Alibaba Cloud (%s); it is not sent again so that it cannot '
                    'run twice.' % (action, err.message.rstrip('.')), url=err.fields.get('url'))
            raise
        body = self.http.json_or_none(response)
        if isinstance(body, dict) and body.get('Code') and not 200 <= response.status_code < 300:
            raise self._vendor_error(action, response, body, timestamp)
        if not 200 <= response.status_code < 300:
            self.http.raise_for_status(response)
        shape = Answer('Alibaba Cloud', action)
        shape.must_not_be_html(response)
        if body is None:
            body = self.http.json(response)
        return shape.mapping(body, 'the answer')

    def _vendor_error(self, action, response, body, timestamp):
        redact = self.http.redact

        def field(name):
            # Every field, not only Message: a server may quote what it received anywhere.
            value = scalar(body.get(name))
            return redact(value) if value is not None else None
        code = '%s' % (field('Code'),)
        error = dict(code=code, message=field('Message'), request_id=field('RequestId'),
                     recommend=field('Recommend'), host_id=field('HostId'))
        fields = dict(error=error, http_status=response.status_code, request_id=error['request_id'])
        if code in THROTTLING_CODES or code.startswith('Throttling.'):
            return TransientError('Alibaba Cloud throttled %s (%s); it asked to slow down.' % (action, code),
                                  retry_after=self._retry_after(response), **fields)
        if code in _TRANSIENT_CODES or response.status_code >= 500:
            return TransientError('Alibaba Cloud could not serve %s right now (%s, HTTP %d).'
                                  % (action, code, response.status_code), retry_after=self._retry_after(response),
                                  **fields)
        if code == 'SignatureDoesNotMatch':
            message = ('Alibaba Cloud rejected the signature of %s (SignatureDoesNotMatch): check that '
                       'access_key_secret is the secret of AccessKey %s, without stray spaces or quotes.'
                       % (action, self.access_key_id))
        elif code == 'InvalidAccessKeyId.NotFound':
            message = ('Alibaba Cloud does not know AccessKey %s (InvalidAccessKeyId.NotFound): check access_key_id '
                       '(or ALICLOUD_ACCESS_KEY) and that the key is enabled.' % self.access_key_id)
        elif code.startswith('InvalidTimeStamp'):
            message = ('Alibaba Cloud rejected the time of %s (%s): check the clock of the host that runs the module '
                       '(NTP); it sent %s UTC.' % (action, code, timestamp))
        elif code.startswith('InvalidSecurityToken'):
            message = ('Alibaba Cloud rejected the STS security token (%s): check security_token (or '
                       'ALICLOUD_SECURITY_TOKEN), that it belongs to AccessKey %s and has not expired.'
                       % (code, self.access_key_id))
        else:
            message = 'Alibaba Cloud refused %s: %s (%s).' % (action, ('%s' % (error['message'] or '')).rstrip('.'), code)
        return TerminalError(message, **fields)

    @staticmethod
    def _retry_after(response):
        """Seconds: ``x-acs-retry-after`` is milliseconds (Alibaba's SDK reads it so), ``Retry-After`` seconds."""
        value = response.headers.get('x-acs-retry-after')
        if value not in (None, ''):
            try:
                milliseconds = float(value)
            except ValueError:
                milliseconds = None
            milliseconds = finite_seconds(milliseconds)
            if milliseconds:
                return milliseconds / 1000.0
        return parse_retry_after(response.headers.get('Retry-After'))

    # -- virus scans -------------------------------------------------------
    def start_virus_scan(self, targets):
        """``StartVirusScanTask``; returns ``(task_id, request_id)``. Never sent twice."""
        target_info = json.dumps([dict((k, t[k]) for k in ('type', 'name', 'target') if t.get(k) is not None)
                                  for t in targets], separators=(',', ':'))
        if len(target_info) > _LONGEST_QUERY_VALUE:
            answer = self.call('StartVirusScanTask', {}, form={'TargetInfo': target_info}, retry_unsent_only=True)
        else:
            answer = self.call('StartVirusScanTask', {'TargetInfo': target_info}, retry_unsent_only=True)
        shape = Answer('Alibaba Cloud', 'StartVirusScanTask')
        request_id = self.http.redact(shape.text(answer.get('RequestId'), 'RequestId'))
        task_id = answer.get('ScanTaskId')
        if task_id is None:
            raise TerminalError('StartVirusScanTask answered without a ScanTaskId.', request_id=request_id)
        # A number on the wire; its decimal text is the same id (DescribeScanTaskProgress takes either).
        task_id = shape.integer(task_id, 'ScanTaskId', required=True, text_ok=True)
        return task_id, request_id

    def scan_progress(self, task_id):
        """``DescribeScanTaskProgress`` as an :class:`Observation`; the payload holds the parsed answer."""
        answer = self.call('DescribeScanTaskProgress', {'TaskId': task_id})
        shape = Answer('Alibaba Cloud', 'DescribeScanTaskProgress for task %s' % task_id)
        progress = shape.text(answer.get('ScanTaskProgress'), 'ScanTaskProgress', required=True)
        payload = dict(task_id=task_id, target_info=parse_target_info(answer.get('TargetInfo')),
                       request_id=self.http.redact(shape.text(answer.get('RequestId'), 'RequestId')))
        return Observation(SCAN_PROGRESS.get(progress, RUNNING), vendor_status=progress, payload=payload)

    def close(self):
        self.http.close()
