# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Alibaba Cloud Security Center (SAS, API 2018-12-03): ``StartVirusScanTask`` and ``DescribeScanTaskProgress``.

Every request must carry a valid V1 (``HMAC-SHA1``, RPC) or V3 (``ACS3-HMAC-SHA256``) signature.
The verifier below is written independently of the collection's signer and recomputes the
signature from the raw request as received, so a shared mistake cannot hide itself; Alibaba's
own SDK talking to this simulator (tests/extra) proves the verifier right.

Control API:
  POST /_sim/operations  {"duration": 2, "outcome": "succeeded"|"failed", "target_info": [...]}
                         -> {"id": <ScanTaskId>, "task_id": <ScanTaskId>}
  POST /_sim/config      {"scan_duration": 1.5, "scan_outcome": "failed", "init_fraction": 0.2,
                          "clock_offset": 3600, "max_clock_skew": 900, "throttle_code": "Throttling.User",
                          "access_keys": {"<id>": {"secret": "...", "security_token": "..."}}}
  POST /_sim/revoke      {} or {"access_key_id": "..."}: the key(s) are deleted, as a disabled or
                         rotated AccessKey is: later requests get InvalidAccessKeyId.NotFound.
  POST /_sim/end_sessions {} or {"access_key_id": "..."}: the STS security token(s) expire: later
                         requests get InvalidSecurityToken.Expired.
  Faults: ``endpoint`` matches the action name, e.g. ``DescribeScanTaskProgress``.
"""

import base64
import calendar
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid

from asyncops_simulators import kit

API_VERSION = '2018-12-03'
DEFAULT_ACCESS_KEY_ID = 'LTAI5tSimulatorKeyId'
DEFAULT_ACCESS_KEY_SECRET = 'SimulatorSecret4a7f9c2e81d6b3'
STS_ACCESS_KEY_ID = 'STS.NSimulatorTemporaryKey'
STS_ACCESS_KEY_SECRET = 'SimulatorStsSecret93b1e0f4a2'
STS_SECURITY_TOKEN = 'CAISimulatorSecurityToken7d2c5e8a1f'
NONCE_MEMORY_SECONDS = 1800
PROGRESS_WORDS = {'succeeded': 'Success', 'failed': 'Failed'}


def _enc(value):
    # RFC 3986 by hand: any byte outside A-Za-z0-9-_.~ becomes %XX in upper case.
    out = []
    for byte in str(value).encode('utf-8'):
        char = chr(byte)
        out.append(char if char.isascii() and (char.isalnum() or char in '-_.~') else '%%%02X' % byte)
    return ''.join(out)


def _canonical(params):
    return '&'.join('%s=%s' % (_enc(k), _enc(v)) for k, v in sorted(params.items(), key=lambda kv: _enc(kv[0])))


def _parse_time(text):
    try:
        return calendar.timegm(time.strptime(text, '%Y-%m-%dT%H:%M:%SZ'))
    except (TypeError, ValueError):
        return None


class AlibabaError(Exception):
    def __init__(self, status, code, message, recommend=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.recommend = recommend


class SasSimulator(kit.Simulator):
    name = 'sas'

    def __init__(self):
        super().__init__()
        self.defaults()

    def defaults(self):
        self.access_keys = {
            DEFAULT_ACCESS_KEY_ID: {'secret': DEFAULT_ACCESS_KEY_SECRET},
            STS_ACCESS_KEY_ID: {'secret': STS_ACCESS_KEY_SECRET, 'security_token': STS_SECURITY_TOKEN},
        }
        self.scan_duration = 1.0
        self.scan_outcome = 'succeeded'
        self.init_fraction = 0.2
        self.clock_offset = 0.0
        self.max_clock_skew = 900.0
        self.throttle_code = 'Throttling.User'
        self.seen_nonces = {}
        self.next_id = 282832

    def reset(self):
        with self.lock:
            self.operations.clear()
            self.defaults()

    def revoke(self, spec):
        key_id = spec.get('access_key_id')
        if key_id is not None and key_id not in self.access_keys:
            raise ValueError('no such access key')
        revoked = [k for k in self.access_keys if key_id is None or k == key_id]
        for k in revoked:
            del self.access_keys[k]
        return {'revoked': revoked}

    def end_sessions(self, spec):
        key_id = spec.get('access_key_id')
        ended = [k for k, key in self.access_keys.items()
                 if key.get('security_token') and (key_id is None or k == key_id)]
        for k in ended:
            self.access_keys[k]['token_expired'] = True
        return {'ended': len(ended)}

    # -- control API -------------------------------------------------------
    def create_operation(self, spec):
        spec = dict(spec)
        targets = spec.pop('target_info', None) or [
            {'type': 'uuid', 'name': 'host001', 'target': '503201a7-14c6-4280-801b-1169ed42%04d' % self.next_id}]
        with self.lock:
            op = kit.Operation(self.new_id(), duration=spec.pop('duration', self.scan_duration),
                               outcome=spec.pop('outcome', self.scan_outcome), target_info=targets, **spec)
            self.operations[op.id] = op
            return {'id': op.id, 'task_id': op.id}

    def endpoint_of(self, request):
        return request.header('x-acs-action') or self._params(request).get('Action') or request.endpoint

    # -- vendor answers --------------------------------------------------
    def error(self, status, code, message, recommend=None, headers=None):
        request_id = str(uuid.uuid4()).upper()
        body = {'RequestId': request_id, 'HostId': 'tds.simulator', 'Code': code, 'Message': message,
                'Recommend': recommend or 'https://api.aliyun.com/troubleshoot?q=%s&product=Sas' % code}
        return kit.json_response(body, status, headers)

    def throttle_response(self, fault, retry_after):
        # Alibaba throttles with HTTP 400 and a code, not 429; the newer gateway adds
        # x-acs-retry-after in milliseconds, older answers a plain Retry-After in seconds.
        headers = {}
        if retry_after is not None:
            if fault.retry_after_format == 'milliseconds':
                headers['x-acs-retry-after'] = str(int(round(retry_after * 1000)))
            else:
                headers['Retry-After'] = self.format_retry_after(fault, retry_after)
        return self.error(400, self.throttle_code, 'Request was denied due to user flow control.', headers=headers)

    def status_response(self, fault, retry_after):
        headers = {}
        if retry_after is not None:
            headers['Retry-After'] = self.format_retry_after(fault, retry_after)
        code = 'ServiceUnavailable' if fault.status == 503 else 'InternalError'
        return self.error(fault.status, code, 'The request has failed due to a temporary failure of the server.',
                          headers=headers)

    def handle(self, request):
        if request.path != '/':
            return self.error(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.')
        try:
            action, params = self.authenticate(request)
            if params.get('Version', API_VERSION) != API_VERSION:
                raise AlibabaError(400, 'InvalidVersion', 'Specified parameter Version is not valid.')
            if action == 'StartVirusScanTask':
                return self.start_virus_scan(params)
            if action == 'DescribeScanTaskProgress':
                return self.describe_scan_task_progress(params)
            raise AlibabaError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.')
        except AlibabaError as err:
            return self.error(err.status, err.code, err.message, err.recommend)

    def start_virus_scan(self, params):
        try:
            targets = json.loads(params.get('TargetInfo') or '')
        except ValueError:
            targets = None
        if (not isinstance(targets, list) or not targets
                or any(not isinstance(t, dict) or t.get('type') not in ('uuid', 'groupId') or not t.get('target')
                       for t in targets)):
            raise AlibabaError(400, 'IllegalParam', 'TargetInfo must be a JSON array of {type: uuid|groupId, name, target}.')
        created = self.create_operation({'target_info': targets})
        return kit.json_response({'ScanTaskId': created['id'], 'RequestId': str(uuid.uuid4()).upper()})

    def describe_scan_task_progress(self, params):
        try:
            op = self.operations.get(int(params.get('TaskId', '')))
        except ValueError:
            op = None
        if op is None:
            # [guess] the documentation lists no code for an unknown id.
            raise AlibabaError(400, 'DataNotExists', 'The virus scan task does not exist.')
        if op.finished():
            progress = PROGRESS_WORDS.get(op.outcome, 'Failed')
        elif op.elapsed() < op.duration * self.init_fraction:
            progress = 'init'
        else:
            progress = 'Processing'
        return kit.json_response({'ScanTaskProgress': progress,
                                  'TargetInfo': json.dumps(op.extra['target_info'], separators=(',', ':')),
                                  'RequestId': str(uuid.uuid4()).upper()})

    # -- authentication ----------------------------------------------------
    @staticmethod
    def _params(request):
        params = dict(urllib.parse.parse_qsl(request.raw_query, keep_blank_values=True))
        if 'x-www-form-urlencoded' in (request.header('Content-Type') or ''):
            params.update(urllib.parse.parse_qsl(request.text(), keep_blank_values=True))
        return params

    def authenticate(self, request):
        """Returns ``(action, params)`` of a correctly signed, fresh request; raises AlibabaError otherwise."""
        params = self._params(request)
        authorization = request.header('Authorization') or ''
        if authorization.startswith('ACS3-HMAC-SHA256 '):
            self.counters.incr('signature_v3')
            return self._verify_v3(request, params, authorization)
        if 'Signature' in params:
            self.counters.incr('signature_v1')
            return self._verify_v1(request, params)
        raise AlibabaError(400, 'MissingSignature', 'Signature is mandatory for this action.')

    def _check_common(self, key_id, timestamp, nonce, token):
        if not nonce:
            raise AlibabaError(400, 'MissingSignatureNonce', 'SignatureNonce is mandatory for this action.')
        sent = _parse_time(timestamp)
        if sent is None:
            raise AlibabaError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.')
        if abs(time.time() + float(self.clock_offset) - sent) > float(self.max_clock_skew):
            raise AlibabaError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.')
        key = self.access_keys.get(key_id)
        if key is None:
            raise AlibabaError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.')
        if key.get('token_expired') and token == key.get('security_token'):
            raise AlibabaError(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.')
        if key.get('security_token') and token != key['security_token']:
            raise AlibabaError(400, 'InvalidSecurityToken.MismatchWithAccessKey',
                               'Specified SecurityToken mismatch with the AccessKey.')
        if token and not key.get('security_token'):
            raise AlibabaError(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.')
        return key['secret']

    def _use_nonce(self, nonce):
        now = time.monotonic()
        with self.lock:
            for old, seen_at in list(self.seen_nonces.items()):
                if now - seen_at > NONCE_MEMORY_SECONDS:
                    del self.seen_nonces[old]
            if nonce in self.seen_nonces:
                raise AlibabaError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.')
            self.seen_nonces[nonce] = now

    def _verify_v1(self, request, params):
        secret = self._check_common(params.get('AccessKeyId'), params.get('Timestamp'), params.get('SignatureNonce'),
                                    params.get('SecurityToken'))
        if params.get('SignatureMethod') != 'HMAC-SHA1' or params.get('SignatureVersion') != '1.0':
            raise AlibabaError(400, 'InvalidSignatureMethod', 'Specified signature method is not supported.')
        unsigned = dict((k, v) for k, v in params.items() if k != 'Signature')
        string_to_sign = '%s&%s&%s' % (request.method, _enc('/'), _enc(_canonical(unsigned)))
        expected = base64.b64encode(hmac.new((secret + '&').encode('utf-8'), string_to_sign.encode('utf-8'),
                                             hashlib.sha1).digest()).decode('ascii')
        if not hmac.compare_digest(expected, params['Signature']):
            raise AlibabaError(400, 'SignatureDoesNotMatch',
                               'Specified signature is not matched with our calculation. server string to sign is:%s'
                               % string_to_sign)
        self._use_nonce(params['SignatureNonce'])
        return params.get('Action'), unsigned

    def _verify_v3(self, request, params, authorization):
        fields = {}
        for part in authorization[len('ACS3-HMAC-SHA256 '):].split(','):
            name, dummy, value = part.strip().partition('=')
            fields[name] = value
        headers = dict((name.lower(), value) for name, value in request.headers.items())
        secret = self._check_common(fields.get('Credential'), headers.get('x-acs-date'),
                                    headers.get('x-acs-signature-nonce'), headers.get('x-acs-security-token'))
        signed_names = [n for n in fields.get('SignedHeaders', '').split(';') if n]
        required = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']
        if 'x-acs-security-token' in headers:
            required.append('x-acs-security-token')
        missing = [n for n in required if n not in signed_names or n not in headers]
        if missing:
            raise AlibabaError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards: '
                                                           'unsigned or missing headers %s.' % ', '.join(missing))
        payload_hash = hashlib.sha256(request.body or b'').hexdigest()
        if headers['x-acs-content-sha256'] != payload_hash:
            raise AlibabaError(400, 'SignatureDoesNotMatch', 'x-acs-content-sha256 is not the SHA-256 of the body.')
        query = dict(urllib.parse.parse_qsl(request.raw_query, keep_blank_values=True))
        canonical_headers = ''.join('%s:%s\n' % (n, headers[n].strip()) for n in sorted(signed_names))
        canonical_request = '\n'.join([request.method, request.path, _canonical(query), canonical_headers,
                                       ';'.join(sorted(signed_names)), payload_hash])
        string_to_sign = 'ACS3-HMAC-SHA256\n' + hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()
        expected = hmac.new(secret.encode('utf-8'), string_to_sign.encode('utf-8'), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get('Signature', '')):
            raise AlibabaError(400, 'SignatureDoesNotMatch',
                               'The request signature does not conform to Aliyun standards. server string to sign is:%s'
                               % string_to_sign)
        self._use_nonce(headers['x-acs-signature-nonce'])
        params = dict(params)
        params.setdefault('Version', headers['x-acs-version'])
        return headers['x-acs-action'], params
