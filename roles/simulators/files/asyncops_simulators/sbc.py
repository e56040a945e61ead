# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Oracle Communications SBC REST API simulator (``/rest/{version}/``).

Faithful to the vendor's REST API documentation: tokens from ``auth/token`` (HTTP Basic) with a configurable
lifetime and 401 after it; a configuration lock that belongs to a token (423 for everyone
else, freed when its token expires); PUT for save/verify/restore and POST for activate/backup on
``configuration/management`` (405 for the other verb); 202 with an absolute link; and one
``admin/asyncstatus`` that reports only the most recent operation, whoever started it.
XML is built and parsed with the stdlib: the simulator runs in the controller's Python.

Early re-authentication: ``POST auth/token`` with Basic credentials and the current, unexpired
token in a form-encoded body field ``accessToken`` ([guess]: the field name is undocumented)
returns a new token, moves the lock to it and retires the old token.

Control API:

- ``POST /_sim/operations`` ``{"operation": "save", "duration": 2, "outcome": "succeeded" | "failed",
  "error": "..."}`` starts an operation "from the CLI": it becomes the one asyncstatus reports.
- ``POST /_sim/config`` takes ``username``, ``password``, ``token_lifetime`` (s), ``in_progress_word``
  (default ``inProgress``), ``durations`` (``{"activate": 10}``: seconds per operation started over
  REST), ``failures`` (``{"verify": "error text"}``: those operations end ``fail``), ``versions``
  (offered API versions) and ``lock_holder`` (``true``: another user holds the lock).
  ``POST /_sim/reset`` restores every setting but the account, and forgets tokens, lock and operation.
- ``POST /_sim/end_sessions`` ``{}`` invalidates every token (the lock goes with its token, as on
  the device); ``{"token": "..."}`` only that one. Later calls with it get 401.
- ``POST /_sim/revoke`` ``{}`` changes the password: new tokens (and early re-authentication)
  fail with 401, tokens already issued live on unless ``"end_sessions": true``.
- Counters: ``tokens_issued``, ``token_renewals`` (early re-authentications that kept the lock),
  ``locks_taken``, ``locks_released``, ``responses_401``, ``responses_423``, ``operations_started``.

``clock`` (a callable returning monotonic seconds) lets unit tests run hours in no time.
"""

import secrets
import time
import urllib.parse
import xml.etree.ElementTree as ET

from asyncops_simulators import kit

VERSIONS = ('v1.0', 'v1.1', 'v1.2')
PUT_ACTIONS = ('save', 'verify', 'restore')
POST_ACTIONS = ('activate', 'backup')
OPERATIONS = PUT_ACTIONS + POST_ACTIONS
DEFAULT_DURATIONS = {'save': 1.0, 'verify': 1.0, 'activate': 2.0, 'backup': 1.0, 'restore': 1.0}
DEFAULT_USERNAME = 'admin'
DEFAULT_PASSWORD = 'sbc-Secret-0'
OTHER_USER_TOKEN = 'held-by-another-user'


def envelope(data=None, messages=(), links=()):
    """``<response><data/><messages/><links/></response>``; ``data`` is an Element or None."""
    root = ET.Element('response')
    root.append(data if data is not None else ET.Element('data'))
    messages_element = ET.SubElement(root, 'messages')
    for text in messages:
        ET.SubElement(messages_element, 'errorMessage').text = text
    links_element = ET.SubElement(root, 'links')
    for link in links:
        ET.SubElement(links_element, 'link').text = link
    return root


def xml_response(root, status=200, headers=None):
    body = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + ET.tostring(root, encoding='unicode')
    return kit.Response(status, body, headers, content_type='application/xml')


def error_response(status, message):
    return xml_response(envelope(messages=[message]), status)


class SbcOperation:
    def __init__(self, name, started, duration, outcome='succeeded', error=None, source='rest'):
        if name not in OPERATIONS:
            raise ValueError('operation must be one of %s' % ', '.join(OPERATIONS))
        if outcome not in ('succeeded', 'failed'):
            raise ValueError('outcome must be succeeded or failed')
        self.name = name
        self.started = started
        self.duration = float(duration)
        self.outcome = outcome
        self.error = error or '%s failed.' % name.capitalize()
        self.source = source

    def state_word(self, now, in_progress_word):
        if now - self.started < self.duration:
            return in_progress_word
        return 'success' if self.outcome == 'succeeded' else 'fail'


class SbcSimulator(kit.Simulator):
    name = 'sbc'

    def __init__(self, clock=None):
        super().__init__()
        self.clock = clock or time.monotonic
        self.username = DEFAULT_USERNAME
        self.password = DEFAULT_PASSWORD
        self._defaults()

    def _defaults(self):
        # The account survives a reset (it is who the device is); scenario settings and state do not.
        self.token_lifetime = 600.0
        self.in_progress_word = 'inProgress'
        self.durations = dict(DEFAULT_DURATIONS)
        self.failures = {}
        self.versions = list(VERSIONS)
        self.tokens = {}          # token -> expiry (monotonic)
        self.lock_owner = None    # token that holds the configuration lock
        self.latest = None        # the one operation asyncstatus reports

    def reset(self):
        with self.lock:
            super().reset()
            self._defaults()

    def end_sessions(self, spec):
        token = spec.get('token')
        if token is not None and token not in self.tokens:
            raise ValueError('no such token')
        ended = [t for t in self.tokens if t != OTHER_USER_TOKEN and (token is None or t == token)]
        for t in ended:
            del self.tokens[t]
            if self.lock_owner == t:
                self.lock_owner = None
        return {'ended': len(ended)}

    def revoke(self, spec):
        self.password = 'revoked-' + secrets.token_hex(8)
        result = {'revoked': [self.username]}
        if spec.get('end_sessions'):
            result.update(self.end_sessions({}))
        return result

    def configure(self, settings):
        settings = dict(settings)
        with self.lock:
            if 'durations' in settings:
                self.durations.update(dict((k, float(v)) for k, v in settings.pop('durations').items()))
            if 'failures' in settings:
                self.failures = dict(settings.pop('failures') or {})
            if 'token_lifetime' in settings:
                self.token_lifetime = float(settings.pop('token_lifetime'))
            if 'lock_holder' in settings:
                held = settings.pop('lock_holder')
                if held:
                    self.tokens[OTHER_USER_TOKEN] = self.clock() + 3600
                    self.lock_owner = OTHER_USER_TOKEN
                elif self.lock_owner == OTHER_USER_TOKEN:
                    self.lock_owner = None
            result = super().configure(settings)
        return result

    def create_operation(self, spec):
        spec = dict(spec)
        with self.lock:
            operation = SbcOperation(spec.pop('operation', 'save'), self.clock(), spec.pop('duration', 1.0),
                                     spec.pop('outcome', 'succeeded'), spec.pop('error', None), source='cli')
            if spec:
                raise ValueError('unknown operation keys: %s' % ', '.join(sorted(spec)))
            self.latest = operation
            return {'id': operation.name, 'operation': operation.name}

    def endpoint_of(self, request):
        if request.path.endswith('/configuration/management'):
            return '%s %s?action=%s' % (request.method, request.path, request.query.get('action', ''))
        return request.endpoint

    def throttle_response(self, fault, retry_after):
        headers = {}
        if retry_after is not None:
            headers['Retry-After'] = self.format_retry_after(fault, retry_after)
        root = envelope(messages=['Too many requests'])
        return xml_response(root, fault.status, headers)

    def malformed_response(self, request):
        return kit.Response(200, b'<response><data><operationState>', content_type='application/xml')

    # -- tokens and lock ----------------------------------------------------------
    def _expire(self, now):
        for token, expiry in list(self.tokens.items()):
            if expiry <= now:
                del self.tokens[token]
                if self.lock_owner == token:
                    self.lock_owner = None

    def _basic_ok(self, request):
        return request.basic_credentials() == (self.username, self.password)

    def _bearer(self, request):
        header = request.header('Authorization') or ''
        if header.startswith('Bearer '):
            token = header[7:].strip()
            if token in self.tokens:
                return token
        return None

    def _issue_token(self, request, now):
        if not self._basic_ok(request):
            self.counters.incr('responses_401')
            return error_response(401, 'Invalid username or password.')
        form = dict(urllib.parse.parse_qsl(request.text()))
        current = form.get('accessToken')
        token = secrets.token_hex(16)
        self.tokens[token] = now + self.token_lifetime
        self.counters.incr('tokens_issued')
        if current and current in self.tokens and current != OTHER_USER_TOKEN:
            # Early re-authentication: the lock moves to the new token and the old one retires.
            if self.lock_owner == current:
                self.lock_owner = token
            del self.tokens[current]
            self.counters.incr('token_renewals')
        data = ET.Element('data')
        ET.SubElement(data, 'accessToken').text = token
        return xml_response(envelope(data))

    # -- dispatch ---------------------------------------------------------------
    def handle(self, request):
        path = request.path
        if path == '/rest/api/supportedversions':
            data = ET.Element('data')
            versions = ET.SubElement(data, 'supportedVersions')
            ET.SubElement(versions, 'latestVersion').text = self.versions[-1]
            others = ET.SubElement(versions, 'otherVersions')
            for version in self.versions[:-1]:
                ET.SubElement(others, 'version').text = version
            return xml_response(envelope(data))
        parts = path.strip('/').split('/')
        if len(parts) < 3 or parts[0] != 'rest':
            return error_response(404, 'Not found.')
        version, resource = parts[1], '/'.join(parts[2:])
        if version not in self.versions:
            return error_response(404, 'Unsupported versionId in URI: %s.' % version)
        with self.lock:
            now = self.clock()
            self._expire(now)
            if resource == 'auth/token':
                if request.method != 'POST':
                    return error_response(405, 'Method not allowed.')
                return self._issue_token(request, now)
            token = self._bearer(request)
            if token is None:
                self.counters.incr('responses_401')
                return error_response(401, 'Unauthorized: the access token is missing, invalid or expired.')
            if resource == 'admin/asyncstatus' and request.method == 'GET':
                return self._asyncstatus(now)
            if resource == 'configuration/lock' and request.method == 'POST':
                return self._lock(token)
            if resource == 'configuration/unlock' and request.method == 'POST':
                return self._unlock(token)
            if resource == 'configuration/management':
                return self._management(request, token, version, now)
        return error_response(404, 'Not found.')

    def _lock_conflict(self, message):
        self.counters.incr('responses_423')
        return error_response(423, message)

    def _lock(self, token):
        if self.lock_owner not in (None, token):
            return self._lock_conflict('The configuration is locked by another user.')
        if self.lock_owner is None:
            self.counters.incr('locks_taken')
        self.lock_owner = token
        return kit.Response(204)

    def _unlock(self, token):
        if self.lock_owner != token:
            return self._lock_conflict('User does not have the lock.')
        self.lock_owner = None
        self.counters.incr('locks_released')
        return kit.Response(204)

    def _management(self, request, token, version, now):
        action = request.query.get('action')
        if action not in OPERATIONS:
            return error_response(400, 'Unknown or missing action: %s.' % (action or ''))
        expected = 'PUT' if action in PUT_ACTIONS else 'POST'
        if request.method != expected:
            return error_response(405, 'The %s action requires %s, not %s.' % (action, expected, request.method))
        if action == 'backup':
            if version == 'v1.0':
                return error_response(404, 'Backup is not available in REST API version v1.0.')
            if request.query.get('backupSource') not in ('running', 'saved', 'editing') or not request.query.get('filename'):
                return error_response(400, 'backup needs backupSource (running, saved or editing) and filename.')
        if action == 'restore':
            source = request.query.get('restoreSource')
            if source not in ('running', 'saved', 'backupFile') or (source == 'backupFile' and not request.query.get('filename')):
                return error_response(400, 'restore needs restoreSource (running, saved or backupFile) and, for backupFile, filename.')
        if self.lock_owner != token:
            return self._lock_conflict('User does not have the lock.')
        failure = self.failures.get(action)
        self.latest = SbcOperation(action, now, self.durations.get(action, 1.0),
                                   'failed' if failure else 'succeeded', failure)
        self.counters.incr('operations_started')
        host = request.header('Host') or '127.0.0.1'
        link = 'https://%s/rest/%s/admin/asyncstatus' % (host, version)
        return xml_response(envelope(links=[link]), 202)

    def _asyncstatus(self, now):
        data = ET.Element('data')
        operation = self.latest
        if operation is None:
            return xml_response(envelope(data))
        state = ET.SubElement(data, 'operationState')
        ET.SubElement(state, 'operation').text = operation.name
        word = operation.state_word(now, self.in_progress_word)
        ET.SubElement(state, 'status').text = word
        if word == 'fail':
            ET.SubElement(data, 'errorMessage').text = operation.error
        if operation.name == 'verify' and word in ('success', 'fail'):
            info = ET.SubElement(data, 'additionalInfo')
            summary = ET.SubElement(info, 'verifySummary')
            if word == 'fail':
                verify = ET.SubElement(summary, 'verify')
                ET.SubElement(verify, 'type').text = 'error'
                ET.SubElement(verify, 'message').text = operation.error
                ET.SubElement(verify, 'field').text = 'realm-id'
                ET.SubElement(verify, 'object').text = 'sip-interface'
            verify = ET.SubElement(summary, 'verify')
            ET.SubElement(verify, 'type').text = 'warning'
            ET.SubElement(verify, 'message').text = 'No NTP server is configured.'
            ET.SubElement(verify, 'field').text = 'server'
            ET.SubElement(verify, 'object').text = 'ntp-sync'
        return xml_response(envelope(data))
