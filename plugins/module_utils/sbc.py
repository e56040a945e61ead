# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Client of the Oracle Communications SBC REST API (configuration actions, lock, asyncstatus).

A token from ``auth/token`` (HTTP Basic), then ``Bearer`` on every call; XML bodies in the
``response/data/messages/links`` envelope, parsed with ``xmltodict``.

The wire never says how long a token lives (10 minutes on the device), and the configuration
lock belongs to the token: a token that expires takes the lock with it. So the client renews
its token from ``token_lifetime`` on a monotonic clock, ahead of expiry, by early
re-authentication (Basic credentials plus the current token in a form field), which keeps the
lock. The form field name is not documented; ``accessToken`` mirrors the element the token
comes back in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import HttpClient, TransientHttpError, base_url
from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import Answer, scalar
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    Observation,
    SystemClock,
)

# PUT or POST is not a matter of taste: the device answers 405 to the other one.
ACTION_METHODS = {
    'save': 'PUT',
    'verify': 'PUT',
    'restore': 'PUT',
    'activate': 'POST',
    'backup': 'POST',
}
ACTIONS = ('save', 'verify', 'activate', 'backup', 'restore')
BACKUP_SOURCES = ('running', 'saved', 'editing')
RESTORE_SOURCES = ('running', 'saved', 'backupFile')
# Only these words end an operation; the in-progress word is undocumented, so every other word
# (inProgress, in-progress, pending, ...) means still running and is kept as vendor_status.
TERMINAL_WORDS = {
    'success': SUCCEEDED,
    'succeeded': SUCCEEDED,
    'fail': FAILED,
    'failed': FAILED,
    'failure': FAILED,
}
# Renew once this share of the lifetime has passed, leaving the rest as margin for slow requests.
RENEW_AT_FRACTION = 0.8
REAUTH_TOKEN_FIELD = 'accessToken'
ASYNCSTATUS = 'admin/asyncstatus'


def _texts(value):
    """Text of ``errorMessage`` (or ``link``, ``version``) elements: one, many, with attributes.

    Read leniently: an element of an odd shape is skipped, the others still count.
    """
    if value is None:
        return []
    texts = []
    for item in value if isinstance(value, list) else [value]:
        item = scalar(item)
        if item is not None and not isinstance(item, bool) and str(item).strip():
            texts.append(str(item).strip())
    return texts


def status_of(word):
    return TERMINAL_WORDS.get(str(word).strip().lower(), RUNNING) if word else RUNNING


class SbcClient(object):
    """One SBC, one token (renewed ahead of expiry), and the configuration lock when taken."""

    def __init__(self, host, username, password, port=443, api_version='v1.2', token_lifetime=600,
                 validate_certs=True, ca_path=None, timeout=30.0, clock=None):
        if not token_lifetime or token_lifetime <= 0:
            raise TerminalError('token_lifetime must be more than 0 seconds, not %s.' % token_lifetime,
                                invalid_option='token_lifetime')
        self.host = host
        self.username = username
        self._password = password
        self.api_version = api_version
        self.token_lifetime = float(token_lifetime)
        self.clock = clock or SystemClock()
        self.http = HttpClient(base_url(host, port, 'rest'), validate_certs=validate_certs,
                               ca_path=ca_path, timeout=timeout, secrets=[password],
                               headers={'Accept': 'application/xml'})
        self._token = None
        self._token_obtained = None
        self.token_renewals = 0
        self.lock_held = False

    @classmethod
    def from_params(cls, params, clock=None):
        return cls(params['host'], params['username'], params['password'], port=params['port'],
                   api_version=params['api_version'], token_lifetime=params['token_lifetime'],
                   validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                   timeout=params['request_timeout'], clock=clock)

    # -- token ------------------------------------------------------------------
    @property
    def renew_after(self):
        return self.token_lifetime * RENEW_AT_FRACTION

    def longest_quiet_period(self):
        """The longest pause between two requests that still lets the token be renewed in time.

        Half of the renewal margin: a wait that holds the lock must not sleep through it.
        """
        return self.token_lifetime * (1 - RENEW_AT_FRACTION) / 2

    def _token_age(self):
        return self.clock.now() - self._token_obtained

    def authenticate(self):
        """Get a token; while the current one is still alive, re-authenticate early to keep the lock."""
        renewing = self._token is not None and self._token_age() < self.token_lifetime
        data = {REAUTH_TOKEN_FIELD: self._token} if renewing else None
        # Timed from before the request: the device starts the lifetime when it answers.
        obtained = self.clock.now()
        response = self.http.send('POST', self._versioned('auth/token'), auth=(self.username, self._password), data=data)
        if response.status_code == 401:
            raise TerminalError('The SBC at %s rejected the credentials of user %s (HTTP 401).' % (self.host, self.username),
                                http_status=401, messages=self._messages(response))
        if response.status_code != 200:
            self._fail(response, 'get an access token')
        token = self._answer('POST auth/token').text(self._data(response, 'POST auth/token').get('accessToken'),
                                                     'accessToken')
        if not token:
            raise TransientError('The SBC at %s answered the token request without an access token.' % self.host,
                                 http_status=response.status_code)
        self.http.redact.add(token)
        if renewing:
            self.token_renewals += 1
        self._token = token
        self._token_obtained = obtained

    def _ensure_token(self):
        if self._token is None or self._token_age() >= self.renew_after:
            self.authenticate()

    # -- wire -----------------------------------------------------------------
    def _versioned(self, path):
        return '%s/%s' % (self.api_version, path)

    def _follow(self, link):
        """The link's path on our own base URL.

        The device builds absolute links from its own idea of its address (NAT, a VIP), and the
        bearer token must go nowhere but the host we were given.
        """
        parts = urlsplit(link)
        base = urlsplit(self.http.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ''))

    def _answer(self, request):
        return Answer('The SBC at %s' % self.host, request)

    def _parse(self, response, request):
        """The ``<response>`` envelope as a dict; any other shape raises the collection's error."""
        answer = self._answer(request)
        document = self.http.xml(response, required=True)
        return answer.mapping(answer.root(document, 'response', response), 'the response envelope', required=False)

    def _data(self, response, request):
        return self._answer(request).mapping(self._parse(response, request).get('data'), 'data', required=False)

    def _messages(self, response):
        """``errorMessage`` texts of an error answer; [] for a body that is not the envelope."""
        try:
            envelope = self._parse(response, 'an error answer')
        except (TransientError, TerminalError):
            return []
        texts = []
        for part in ('messages', 'data'):
            section = envelope.get(part)
            for item in section if isinstance(section, list) else [section]:
                if isinstance(item, dict):
                    texts += _texts(item.get('errorMessage'))
        return [self.http.redact(text) for text in texts]

    def supported_versions(self):
        """The API versions the SBC offers; [] when it does not say (this only improves a message)."""
        try:
            response = self.http.send('GET', 'api/supportedversions')
            if response.status_code != 200:
                return []
            answer = self._answer('GET api/supportedversions')
            versions = answer.mapping(self._data(response, 'GET api/supportedversions').get('supportedVersions'),
                                      'supportedVersions', required=False)
            others = versions.get('otherVersions')
            offered = _texts(versions.get('latestVersion'))
            offered += _texts(others.get('version') if isinstance(others, dict) else None)
        except (TransientError, TerminalError):
            return []
        return offered

    def _fail(self, response, what):
        status = response.status_code
        messages = self._messages(response)
        detail = (': %s' % ' '.join(messages).rstrip('.') + '.') if messages else '.'
        if status == 404:
            offered = self.supported_versions()
            if offered and self.api_version not in offered:
                raise TerminalError('The SBC at %s does not offer REST API version %s; it offers %s.'
                                    % (self.host, self.api_version, ', '.join(offered)),
                                    http_status=404, api_version=self.api_version, supported_versions=offered)
        if status == 423:
            raise TerminalError('Could not %s: the configuration lock is held by another user or session (HTTP 423)%s'
                                % (what, detail), http_status=423, messages=messages)
        message = 'Could not %s on the SBC at %s (HTTP %d)%s' % (what, self.host, status, detail)
        if status == 426:
            message = 'The SBC at %s accepts only HTTPS (HTTP 426).' % self.host
        error = self.http.error_for(response, what='Could not %s' % what)
        if isinstance(error, TransientHttpError):
            raise TransientHttpError(message, http_status=status, url=error.url, retry_after=error.retry_after,
                                     messages=messages)
        raise TerminalError(message, http_status=status, url=error.url, messages=messages)

    def call(self, method, path, what, expected=(200,), **kwargs):
        """One authenticated request; renews the token first when it is due."""
        self._ensure_token()
        response = self._send_bearer(method, path, **kwargs)
        if response.status_code == 401:
            if self.lock_held:
                raise TerminalError(
                    'The SBC refused the access token (HTTP 401) while trying to %s: it expired sooner than '
                    'token_lifetime (%d s) says, and the configuration lock went with it.'
                    % (what, self.token_lifetime), http_status=401, messages=self._messages(response))
            # Without a lock nothing is lost: the device's tokens just live shorter than configured.
            self._token = None
            self._ensure_token()
            response = self._send_bearer(method, path, **kwargs)
        if response.status_code not in expected:
            self._fail(response, what)
        return response

    def _send_bearer(self, method, path, **kwargs):
        headers = dict(kwargs.pop('headers', None) or {})
        headers['Authorization'] = 'Bearer %s' % self._token
        return self.http.send(method, path, headers=headers, **kwargs)

    # -- configuration lock -------------------------------------------------------
    def lock(self):
        self.call('POST', self._versioned('configuration/lock'), 'take the configuration lock', expected=(200, 204))
        self.lock_held = True

    def unlock(self):
        if not self.lock_held:
            return
        self.call('POST', self._versioned('configuration/unlock'), 'release the configuration lock', expected=(200, 204))
        self.lock_held = False

    # -- operations -------------------------------------------------------------
    def start(self, action, backup_source=None, restore_source=None, filename=None):
        """Start one configuration action; returns the path its status is read from (the 202 link)."""
        if action not in ACTION_METHODS:
            raise TerminalError('action must be one of %s, not %r.' % (', '.join(ACTIONS), action), invalid_option='action')
        params = {'action': action}
        if action == 'backup':
            params.update(backupSource=backup_source or 'running', filename=filename)
        elif action == 'restore':
            params['restoreSource'] = restore_source
            if filename:
                params['filename'] = filename
        response = self.call(ACTION_METHODS[action], self._versioned('configuration/management'),
                             'start the %s operation' % action, expected=(200, 202), params=params)
        request = '%s configuration/management?action=%s' % (ACTION_METHODS[action], action)
        links = self._parse(response, request).get('links') if response.content else None
        link = _texts(links.get('link') if isinstance(links, dict) else None)
        if not link:
            return self._versioned(ASYNCSTATUS)
        try:
            return self._follow(link[0])
        except ValueError:  # urlsplit: an unbalanced [ in the host part
            raise self._answer(request).fail('a link that is not a URL where the status link was expected')

    def read_status(self, link=None):
        """The most recent asynchronous operation as a plain dict (``operation`` None if there is none)."""
        response = self.call('GET', link or self._versioned(ASYNCSTATUS), 'read the asynchronous operation status')
        answer = self._answer('GET admin/asyncstatus')
        data = self._data(response, 'GET admin/asyncstatus')
        state = answer.mapping(data.get('operationState'), 'operationState', required=False)
        word = answer.text(state.get('status'), 'status')
        report = dict(
            operation=answer.text(state.get('operation'), 'operation'),
            vendor_status=word,
            status=status_of(word),
            # Free text from the device (a verify summary) can quote what it was sent, tokens included.
            additional_info=self.http.redact.data(data.get('additionalInfo')),
            messages=self._messages(response),
        )
        if report['status'] == FAILED:
            report['error'] = dict(name=word, operation=report['operation'],
                                   message=' '.join(report['messages']) or 'The %s operation failed.' % report['operation'])
        return report

    def check(self, expected_operation=None, link=None):
        """A wait-loop check: the report as an Observation; another operation reported fails at once."""
        report = self.read_status(link)
        reported = report['operation']
        if reported is None:
            raise TerminalError('The SBC at %s reports no asynchronous operation%s.' % (
                self.host, ' (expected %s)' % expected_operation if expected_operation else ''),
                expected_operation=expected_operation)
        if expected_operation and reported != expected_operation:
            raise TerminalError(
                'The SBC reports the %s operation, not %s: asyncstatus shows only the most recent operation, '
                'so another client or the CLI started %s since.' % (reported, expected_operation, reported),
                operation=reported, expected_operation=expected_operation, vendor_status=report['vendor_status'])
        # asyncstatus reports no percentage or stage; the operation's name is what a progress line can add.
        return Observation(report['status'], vendor_status=report['vendor_status'], payload=report, detail=reported)

    def close(self):
        self.http.close()
