# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kaspersky Security Center Open API client: sessions, PxgError envelopes, async action checks.

Knows the wire (Kaspersky's KSC Open API), not Ansible. Two ways in:

- :meth:`KscClient.login`: connection login. KSC binds it, and every action started after it,
  to the TCP keep-alive connection, so a dropped connection loses both.
- :meth:`KscClient.start_session`: a session token sent as ``X-KSC-Session``, valid from any
  connection. The modules wait inside a session for that reason: a wait survives a server or
  proxy that closes the keep-alive connection mid-wait.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import HttpClient, base_url, dumps
from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import Answer, finite_seconds, scalar
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import FAILED, RUNNING, SUCCEEDED, Observation

STDE_NOACCESS = 1184
STDE_NOTFOUND = 1186
STDE_NOTPERM = 1193
STDE_UNAVAIL = 1195
ERR_LOGON_IFAILED = 1453

ERROR_NAMES = {
    STDE_NOACCESS: 'STDE_NOACCESS',
    STDE_NOTFOUND: 'STDE_NOTFOUND',
    STDE_NOTPERM: 'STDE_NOTPERM',
    STDE_UNAVAIL: 'STDE_UNAVAIL',
    ERR_LOGON_IFAILED: 'ERR_LOGON_IFAILED',
}

# Out-parameters that carry an action's guid, in the order KSC methods use them.
GUID_KEYS = ('strActionGuid', 'wstrActionGuid', 'strRequestId', 'PxgRetVal')

_TYPED_KINDS = frozenset(['params', 'long', 'datetime', 'date', 'binary', 'float', 'double'])


def unwrap(value):
    """KSC typed values (``{"type": "long", "value": 5}``, nested) as plain data.

    Only a ``type`` that is one of KSC's kind names unwraps; any other object (a ``type`` that is
    a list, a number, missing) is plain data and kept as it came.
    """
    if isinstance(value, dict):
        kind = value.get('type')
        if set(value) == set(['type', 'value']) and isinstance(kind, str) and kind in _TYPED_KINDS:
            return unwrap(value['value'])
        return dict((key, unwrap(item)) for key, item in value.items())
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


class KscError(TerminalError):
    """A ``PxgError`` answer; ``error`` holds ``code``, ``name``, ``module``, ``message``."""

    def __init__(self, message, pxg_error, **fields):
        error = pxg_fields(pxg_error)
        super(KscError, self).__init__(message, error=error, **fields)
        self.code = error.get('code')
        self.module = error.get('module')
        self.error_message = error.get('message')


def pxg_fields(pxg_error):
    """The parts of a ``PxgError`` a playbook can use (file/line/locdata are KSC internals).

    Read leniently: a field of an odd kind is left out rather than hiding the error itself.
    """
    pxg_error = pxg_error if isinstance(pxg_error, dict) else {}
    code = _code(pxg_error.get('code'))
    error = dict(
        code=code,
        name=ERROR_NAMES.get(code),
        module=_text(pxg_error.get('module')),
        message=_text(pxg_error.get('message')),
        subcode=_code(pxg_error.get('subcode')),
    )
    return dict((k, v) for k, v in error.items() if v is not None)


def action_error(state_data):
    """``error`` of a failed action from its (unwrapped) ``pStateData``; both shapes of KLBLAG_ERROR_INFO."""
    state_data = unwrap(state_data or {})
    if not isinstance(state_data, dict):
        state_data = {}
    info = state_data.get('KLBLAG_ERROR_INFO')
    if not isinstance(info, dict):
        info = {}
    description = _text(state_data.get('GNRL_EA_DESCRIPTION'))
    message = _text(info.get('KLBLAG_ERROR_MSG'))
    error = dict(
        code=_code(info.get('KLBLAG_ERROR_CODE')),
        subcode=_code(info.get('KLBLAG_ERROR_SUBCODE')),
        module=_text(info.get('KLBLAG_ERROR_MODULE')),
        message=message or description,
        description=description or message,
    )
    return dict((k, v) for k, v in error.items() if v is not None)


class KscClient(object):
    def __init__(self, host, port=13299, username=None, password=None, internal_user=True, domain=None,
                 vserver=None, session_id=None, validate_certs=True, ca_path=None, timeout=30.0):
        self.username = username
        self._password = password
        self.internal_user = internal_user
        self.domain = domain
        self.vserver = vserver or ''
        self.http = HttpClient(base_url(host, port, 'api/v1.0'), validate_certs=validate_certs,
                               ca_path=ca_path, timeout=timeout, secrets=[password, session_id],
                               headers={'Content-Type': 'application/json',
                                        'X-KSC-VServer': _b64(self.vserver)})
        self.session_id = None
        # Seconds of the last lNextCheckDelay: any retry after a failed check waits at least this,
        # so an error in between can never make the next check an early one.
        self._last_hint = None
        if session_id:
            self.use_session(session_id)

    @classmethod
    def from_params(cls, params):
        return cls(params['host'], port=params['port'], username=params.get('username'),
                   password=params.get('password'), internal_user=params.get('internal_user', True),
                   domain=params.get('domain'), vserver=params.get('vserver'), session_id=params.get('session_id'),
                   validate_certs=params['validate_certs'], ca_path=params.get('ca_path'),
                   timeout=params.get('request_timeout', 30.0))

    # -- authentication ------------------------------------------------------
    def _authorization(self):
        if not self.username or self._password is None:
            raise TerminalError('KSC needs username and password to log in.')
        fields = ['user="%s"' % _b64(self.username), 'pass="%s"' % _b64(self._password),
                  'internal="%s"' % ('1' if self.internal_user else '0')]
        if self.domain:
            fields.append('domain="%s"' % self.domain)
        return {'Authorization': 'KSCBasic ' + ', '.join(fields)}

    def login(self):
        """Connection login: later calls on this keep-alive connection are authenticated."""
        self._call('login', {}, headers=self._authorization(), what='login')

    def start_session(self):
        """``Session.StartSession``; later calls send ``X-KSC-Session``. Returns the session id."""
        answer = self._call('Session.StartSession', {}, headers=self._authorization(), what='login')
        session_id = answer.get('PxgRetVal')
        if not session_id or not isinstance(session_id, str):
            raise TerminalError('KSC answered Session.StartSession without a session id.')
        self.use_session(session_id)
        return session_id

    def use_session(self, session_id):
        self.http.redact.add(session_id)
        self.session_id = session_id
        self.http.session.headers['X-KSC-Session'] = session_id

    def ping(self):
        """True if the current session is alive, False if KSC no longer accepts it."""
        try:
            self.call('Session.Ping')
        except KscSessionEnded:
            return False
        return True

    def end_session(self):
        """``Session.EndSession``; True if it ended now, False if it was already gone.

        "Already gone" (ended before, expired, or never known to this KSC) is not an error: it is
        the ``changed: false`` case of ``ksc_session state=absent``. Any other failure raises.
        """
        try:
            self.call('Session.EndSession')
        except KscSessionEnded:
            return False
        finally:
            self.session_id = None
            self.http.session.headers.pop('X-KSC-Session', None)
        return True

    # -- calls ----------------------------------------------------------------
    def call(self, method, params=None):
        """Call ``<Class>.<Method>``; returns its out-parameters (``PxgRetVal`` included), unwrapped.

        The answer object itself is never a typed value, so only its values are unwrapped.
        """
        return dict((key, unwrap(value)) for key, value in self._call(method, params or {}).items())

    def _call(self, method, params, headers=None, what=None):
        response = self.http.send('POST', method, data=dumps(params), headers=headers)
        body = self.http.json_or_none(response)
        pxg = body.get('PxgError') if isinstance(body, dict) else None
        status = response.status_code
        if self.session_id and what != 'login' and status in (401, 403) and (
                pxg is None or method in ('Session.Ping', 'Session.EndSession') or self._session_gone()):
            # An ended or expired session gets 401/403 on every call, whatever error (if any) the
            # body names; a body such as STDE_NOACCESS would otherwise read as someone else's action.
            raise self._session_ended(method, status, pxg)
        # KSC sends PxgError with HTTP 200 as well as with error statuses: look at the body first.
        if pxg is not None:
            raise self._pxg_error(method, Answer('KSC', method).mapping(pxg, 'PxgError'), what)
        if status == 401 and what == 'login':
            raise TerminalError(self._login_failed_message(), http_status=401)
        if status == 401:
            raise TerminalError('KSC refused %s: the call is not authenticated (HTTP 401).' % method, http_status=401)
        self.http.raise_for_status(response)
        Answer('KSC', method).must_not_be_html(response)
        return Answer('KSC', method).mapping(self.http.json(response), 'the answer')

    def _session_gone(self):
        """Whether KSC still refuses our session when simply pinged (to tell an ended session apart)."""
        try:
            response = self.http.send('POST', 'Session.Ping', data=dumps({}))
        except Exception:  # the error being explained matters more than this check's own failure
            return False
        return response.status_code in (401, 403)

    def _session_ended(self, method, status, pxg=None):
        return KscSessionEnded(
            'KSC no longer accepts the session this task uses (HTTP %d on %s): the session ended or expired; '
            'start a new one (asyncops.jobs.ksc_session) and, for an action it started, start the action again.'
            % (status, method), http_status=status, session_ended=True,
            error=pxg_fields(pxg) if isinstance(pxg, dict) else None)

    def _login_failed_message(self, detail=None):
        account = 'internal user' if self.internal_user else 'domain user'
        return ('KSC login failed for %s %s%s%s: check username and password (KSC_USERNAME / KSC_PASSWORD), '
                'internal_user, domain and vserver.' % (
                    account, self.http.redact(self.username),
                    (' on virtual server %s' % self.vserver) if self.vserver else '',
                    (' (KSC said: %s)' % detail) if detail else ''))

    def _pxg_error(self, method, pxg, what):
        fields = dict((key, self.http.redact(value) if isinstance(value, str) else value)
                      for key, value in pxg_fields(pxg).items())
        code = fields.get('code')
        text = self.http.redact(fields.get('message') or 'no message')
        pxg = dict(fields, message=text)
        if what == 'login' or code == ERR_LOGON_IFAILED:
            return KscError(self._login_failed_message('%s, %s %s' % (text.rstrip('.'), pxg.get('module'), code)), pxg)
        if code == STDE_UNAVAIL:
            return TransientError('KSC asked to call %s later (STDE_UNAVAIL): %s' % (method, text),
                                  retry_after=self._last_hint, error=pxg_fields(pxg))
        return KscError('KSC %s failed with %s %s%s: %s' % (
            method, pxg.get('module'), code, (' (%s)' % ERROR_NAMES[code]) if code in ERROR_NAMES else '', text), pxg)

    # -- async actions --------------------------------------------------------
    def start_action(self, method, params=None, guid_key=None):
        """Call an async method; returns the action guid from its out-parameters."""
        answer = self.call(method, params)
        for key in ((guid_key,) if guid_key else GUID_KEYS):
            guid = answer.get(key)
            if guid and isinstance(guid, str):
                return guid
        raise TerminalError(
            'KSC %s returned no action guid in %s; set guid_key to the out-parameter that holds it.'
            % (method, ', '.join((guid_key,) if guid_key else GUID_KEYS)), out_parameters=sorted(self.http.redact(key) for key in answer))

    def check_action(self, guid):
        """One ``CheckActionState``, as a wait-loop :class:`Observation` whose payload is the plain answer."""
        try:
            answer = self.call('AsyncActionStateChecker.CheckActionState', {'wstrActionGuid': guid})
        except TransientError as err:
            if self._last_hint is not None and (err.retry_after is None or err.retry_after < self._last_hint):
                err.retry_after = self._last_hint
            raise
        except KscError as err:
            if err.code == STDE_NOTFOUND:
                raise KscError(
                    'KSC does not know action %s: the guid is wrong, or the action already finished and KSC '
                    'forgot it (a guid is removed after its first finalized check).' % guid,
                    dict(err.fields['error'], message=err.error_message), action_guid=guid)
            if err.code == STDE_NOACCESS and self.session_id and self._session_gone():
                raise self._session_ended('AsyncActionStateChecker.CheckActionState', 403, err.fields.get('error'))
            if err.code == STDE_NOACCESS:
                raise KscError(
                    'Action %s belongs to another KSC session or connection: pass the session_id of the session '
                    'that started it (from asyncops.jobs.ksc_session).' % guid,
                    dict(err.fields['error'], message=err.error_message), action_guid=guid)
            raise
        shape = Answer('KSC', 'CheckActionState of action %s' % guid)
        payload = dict(
            finalized=shape.boolean(answer.get('bFinalized'), 'bFinalized', required=True),
            succeeded=shape.boolean(answer.get('bSuccededFinalized'), 'bSuccededFinalized', default=False),
            state_code=shape.integer(answer.get('lStateCode'), 'lStateCode'),
            state_data=shape.mapping(answer.get('pStateData'), 'pStateData', required=False),
        )
        if not payload['finalized']:
            delay_ms = finite_seconds(shape.number(answer.get('lNextCheckDelay'), 'lNextCheckDelay'))
            self._last_hint = delay_ms / 1000.0 if delay_ms else None
            return Observation(RUNNING, vendor_status='not finalized', payload=payload, delay_hint=self._last_hint)
        if payload['succeeded']:
            return Observation(SUCCEEDED, vendor_status='finalized, succeeded', payload=payload)
        payload['error'] = action_error(payload['state_data'])
        return Observation(FAILED, vendor_status='finalized, failed', payload=payload)

    def close(self):
        self.http.close()


class KscSessionEnded(TerminalError):
    """KSC no longer accepts the session (HTTP 401/403 on a session call): it ended or expired.

    Carries ``session_ended=True`` and ``http_status``. An action started in that session cannot
    be checked from another one, so the caller has to start a new session and, if it started the
    action itself, start it again.
    """


# The name used before the ended-session case had its own message; kept for callers.
SessionInvalid = KscSessionEnded


def _code(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value):
    value = scalar(value)
    return value if isinstance(value, str) else (None if value is None or isinstance(value, bool) else '%s' % value)


def _b64(text):
    return base64.b64encode((text or '').encode('utf-8')).decode('ascii')
