# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kaspersky Security Center Open API simulator.

What it keeps faithful, because the collection's client depends on it:

- ``POST /api/v1.0/login`` binds the login to the TCP keep-alive connection; a new connection
  starts unauthenticated. ``Session.StartSession`` returns a token (``X-KSC-Session``) that works
  from any connection until ``Session.EndSession`` (then every call of it gets 403).
- An async action belongs to the connection or session that started it (``STDE_NOACCESS``
  elsewhere); ``CheckActionState`` before the previous ``lNextCheckDelay`` has passed gets
  ``STDE_UNAVAIL`` and counts in ``early_checks``; after its finalized answer the guid is gone
  (``STDE_NOTFOUND``).
- Errors are ``{"PxgError": {...}}``; the HTTP status carrying them is a [guess], so it is
  configurable (``error_http_status``, default 200 as Kaspersky's own client expects for some).
- Failure details in ``pStateData`` come ``wrapped`` (``{"type": "params", "value": ...}``) or
  ``plain``, per action.

Control API:

- ``POST /_sim/operations`` ``{duration, outcome, next_check_delay_ms, failure_shape,
  description, error_code, state_code}``: queued for the next async method call (FIFO);
  with ``session_id`` the action is created at once in that session and ``guid`` returned.
- ``POST /_sim/config``: ``users`` (list of ``{name, password, internal, domain}``), ``vservers``,
  ``action_duration``, ``next_check_delay_ms``, ``error_http_status``, ``close_after_finalized``
  (the checker closes the connection after that many finalized answers on it),
  ``session_lifetime`` (seconds; 0 = forever): older sessions get 403 as if KSC had expired them,
  so a small value ends every session at once, mid-wait too; ``ended_session_error`` (null: an
  ended session gets a plain 403; a code such as 1184: a 403 carrying that ``PxgError``, [guess]:
  the body of that 403 is undocumented).
- ``POST /_sim/end_sessions`` ``{}`` ends every session and every connection login (as a server
  restart or an administrator would); ``{"session_id": "..."}`` ends that one session;
  ``"forget": true`` makes KSC forget the sessions instead of marking them ended.
- ``POST /_sim/revoke`` ``{}`` (or ``{"user": "name"}``) changes the password of every user (of
  that user): later logins fail with ERR_LOGON_IFAILED; sessions already started live on
  unless ``"end_sessions": true``.
"""

import base64
import re
import time
import uuid

from asyncops_simulators import kit

API_PREFIX = '/api/v1.0/'

STDE_NOACCESS = 1184
STDE_NOTFOUND = 1186
STDE_NOTPERM = 1193
STDE_UNAVAIL = 1195
ERR_LOGON_IFAILED = 1453

DEFAULT_USERS = [{'name': 'ksc-admin', 'password': 'Sim-KSC-pass-42', 'internal': True}]

# Methods that start an async action, and the out-parameter that carries its guid.
ASYNC_METHODS = {
    'HostGroup.RemoveGroup': 'strActionGuid',
    'HostGroup.MoveHostsFromGroupToGroup': 'strActionGuid',
    'HostMoveRules.ExecuteRulesNow': 'strActionGuid',
    'VServers.DelVServer': 'wstrActionGuid',
}

_KSCBASIC_FIELD = re.compile(r'(\w+)="([^"]*)"')


class Action:
    def __init__(self, guid, owner, method, duration, outcome, next_check_delay_ms, failure_shape='wrapped',
                 description=None, error_code=None, state_code=None):
        self.guid = guid
        self.owner = owner
        self.method = method
        self.duration = float(duration)
        self.outcome = outcome
        self.next_check_delay_ms = int(next_check_delay_ms)
        self.failure_shape = failure_shape
        self.description = description
        self.error_code = error_code
        self.state_code = state_code
        self.started = time.monotonic()
        self.not_before = None

    def finished(self, now):
        return now - self.started >= self.duration


class KscSimulator(kit.Simulator):
    name = 'ksc'

    def __init__(self):
        super().__init__()
        # Never reset: a connection login from before end_sessions must not come back to life.
        self.login_generation = 0
        self.reset()

    # -- control API -------------------------------------------------------
    def reset(self):
        with self.lock:
            self.operations.clear()
            self.users = [dict(u) for u in DEFAULT_USERS]
            self.vservers = ['']
            self.sessions = {}
            self.actions = {}
            self.queued = []
            self.action_duration = 1.0
            self.next_check_delay_ms = 500
            self.error_http_status = 200
            self.close_after_finalized = 0
            self.session_lifetime = 0
            self.ended_session_error = None

    def end_sessions(self, spec):
        session_id = spec.get('session_id')
        if session_id is not None and session_id not in self.sessions:
            raise ValueError('no such session')
        chosen = [sid for sid in self.sessions if session_id is None or sid == session_id]
        ended = [sid for sid in chosen if not self.sessions[sid]['ended']]
        for sid in chosen:
            if spec.get('forget'):
                del self.sessions[sid]
            else:
                self.sessions[sid]['ended'] = True
        if session_id is None:
            self.login_generation += 1
        return {'ended': len(ended), 'connection_logins_ended': session_id is None}

    def revoke(self, spec):
        name = spec.get('user')
        revoked = []
        for user in self.users:
            if name is None or user['name'] == name:
                user['password'] = 'revoked-' + uuid.uuid4().hex
                revoked.append(user['name'])
        if name is not None and not revoked:
            raise ValueError('no such user')
        result = {'revoked': revoked}
        if spec.get('end_sessions'):
            result.update(self.end_sessions({}))
        return result

    def create_operation(self, spec):
        spec = dict(spec)
        session_id = spec.pop('session_id', None)
        with self.lock:
            if session_id is None:
                self.queued.append(spec)
                return {'queued': len(self.queued)}
            if session_id not in self.sessions:
                raise ValueError('no such session')
            action = self._new_action(('session', session_id), spec.pop('method', 'HostGroup.RemoveGroup'), spec)
            return {'guid': action.guid}

    # -- helpers -----------------------------------------------------------
    def _new_action(self, owner, method, spec):
        spec = dict(spec)
        action = Action(
            '{%s}' % str(uuid.uuid4()).upper(), owner, method,
            duration=spec.pop('duration', self.action_duration),
            outcome=spec.pop('outcome', 'succeeded'),
            next_check_delay_ms=spec.pop('next_check_delay_ms', self.next_check_delay_ms),
            **spec)
        self.actions[action.guid] = action
        return action

    def _error(self, code, message, module='KLSTD', status=None):
        return kit.json_response({'PxgError': {
            'code': code, 'subcode': 0, 'module': module, 'file': 'sim.cpp', 'line': 1,
            'message': message, 'locdata': {'format-id': code, 'format': message, 'locmod': module}}},
            status or self.error_http_status)

    def _credentials(self, request):
        header = request.header('Authorization') or ''
        if not header.startswith('KSCBasic '):
            return None
        fields = dict(_KSCBASIC_FIELD.findall(header[len('KSCBasic '):]))
        try:
            user = base64.b64decode(fields.get('user', '')).decode('utf-8')
            password = base64.b64decode(fields.get('pass', '')).decode('utf-8')
        except (ValueError, UnicodeDecodeError):
            return None
        return {'user': user, 'password': password, 'internal': fields.get('internal', '1') == '1',
                'domain': fields.get('domain') or None}

    def _authenticate(self, request):
        """The user, or an error response: wrong credentials are ERR_LOGON_IFAILED."""
        creds = self._credentials(request)
        try:
            vserver = base64.b64decode(request.header('X-KSC-VServer') or '').decode('utf-8')
        except (ValueError, UnicodeDecodeError):
            vserver = None
        for user in self.users:
            if (creds and user['name'] == creds['user'] and user['password'] == creds['password']
                    and bool(user.get('internal', True)) == creds['internal']
                    and (creds['internal'] or user.get('domain') == creds['domain'])):
                if vserver not in self.vservers:
                    return None, self._error(ERR_LOGON_IFAILED, 'Virtual server not found', 'KLWAT', status=401)
                return user['name'], None
        return None, self._error(ERR_LOGON_IFAILED, 'Authentication failed', 'KLWAT', status=401)

    def _caller(self, request):
        """(owner, None) for an authenticated call, else (None, error response)."""
        session_id = request.header('X-KSC-Session')
        if session_id:
            session = self.sessions.get(session_id)
            if session is not None and self.session_lifetime and (
                    time.monotonic() - session['started'] >= float(self.session_lifetime)):
                session['ended'] = True
            if session is None or session['ended']:
                if self.ended_session_error is not None:
                    return None, self._error(int(self.ended_session_error), 'Access denied', status=403)
                return None, kit.Response(403, 'Session is not valid', content_type='text/plain')
            return ('session', session_id), None
        if request.connection.get('ksc_user') and request.connection.get('ksc_generation') == self.login_generation:
            return ('connection', request.connection['ksc_id']), None
        return None, kit.Response(401, 'Not authenticated', content_type='text/plain')

    # -- the API -----------------------------------------------------------
    def handle(self, request):
        if request.method != 'POST' or not request.path.startswith(API_PREFIX):
            return kit.Response(404, 'Not found', content_type='text/plain')
        name = request.path[len(API_PREFIX):]
        try:
            params = request.json()
        except ValueError:
            return self._error(STDE_NOTPERM, 'Request body is not JSON')
        with self.lock:
            if name == 'login':
                user, error = self._authenticate(request)
                if error:
                    return error
                request.connection['ksc_user'] = user
                request.connection['ksc_generation'] = self.login_generation
                request.connection.setdefault('ksc_id', str(uuid.uuid4()))
                return kit.json_response({})
            if name == 'Session.StartSession':
                user, error = self._authenticate(request)
                if error:
                    return error
                session_id = 'nsSim' + uuid.uuid4().hex + uuid.uuid4().hex
                self.sessions[session_id] = {'user': user, 'ended': False, 'started': time.monotonic()}
                return kit.json_response({'PxgRetVal': session_id})
            owner, error = self._caller(request)
            if error:
                return error
            if name == 'Session.EndSession':
                if owner[0] == 'session':
                    self.sessions[owner[1]]['ended'] = True
                return kit.json_response({})
            if name == 'Session.Ping':
                return kit.json_response({})
            if name in ASYNC_METHODS:
                spec = self.queued.pop(0) if self.queued else {}
                action = self._new_action(owner, name, spec)
                return kit.json_response({ASYNC_METHODS[name]: action.guid})
            if name == 'AsyncActionStateChecker.CheckActionState':
                return self._check(request, owner, params)
        return self._error(STDE_NOTFOUND, 'Method %s not found' % name)

    def _check(self, request, owner, params):
        guid = params.get('wstrActionGuid')
        action = self.actions.get(guid)
        if action is None:
            return self._error(STDE_NOTFOUND, 'Action %s not found' % guid)
        if action.owner != owner:
            return self._error(STDE_NOACCESS, 'Access denied: the action was added on another connection')
        now = time.monotonic()
        if action.not_before is not None and now < action.not_before:
            self.counters.incr('early_checks')
            return self._error(STDE_UNAVAIL, 'CheckActionState has been called too early')
        if not action.finished(now):
            action.not_before = now + action.next_check_delay_ms / 1000.0
            return kit.json_response({
                'bFinalized': False, 'bSuccededFinalized': False, 'lStateCode': 0,
                'pStateData': {'KLSRV_PROGRESS': {'type': 'long', 'value': int(100 * (now - action.started) / max(action.duration, 0.001))}},
                'lNextCheckDelay': action.next_check_delay_ms})
        del self.actions[guid]
        self.counters.incr('finalized')
        with self.counters.lock:
            # How long after the action ended its finalizing check came: what a client's pacing costs.
            self.counters.values['last_finalized_late_ms'] = round(1000 * (now - action.started - action.duration), 1)
        succeeded = action.outcome == 'succeeded'
        response = kit.json_response({
            'bFinalized': True, 'bSuccededFinalized': succeeded,
            'lStateCode': action.state_code if action.state_code is not None else (1 if succeeded else 0),
            'pStateData': {} if succeeded else self._failure_data(action),
            'lNextCheckDelay': 0})
        finalized_here = request.connection.get('ksc_finalized', 0) + 1
        request.connection['ksc_finalized'] = finalized_here
        if self.close_after_finalized and finalized_here >= self.close_after_finalized:
            response.close = True
        return response

    @staticmethod
    def _failure_data(action):
        code = action.error_code if action.error_code is not None else 1950
        description = action.description or 'Cannot delete group: the group is not empty'
        info = {
            'KLBLAG_ERROR_CODE': code, 'KLBLAG_ERROR_SUBCODE': 0, 'KLBLAG_ERROR_MODULE': 'KLSRV',
            'KLBLAG_ERROR_MSG': description, 'KLBLAG_ERROR_FNAME': 'srvhrch.cpp',
            'KLBLAG_ERROR_LNUMBER': {'type': 'long', 'value': 811},
            'KLBLAG_ERROR_LOCDATA': {'type': 'params', 'value': {'format-id': code, 'format': description}},
        }
        if action.failure_shape == 'wrapped':
            info = {'type': 'params', 'value': info}
        return {'GNRL_EA_DESCRIPTION': description, 'KLBLAG_ERROR_INFO': info}
