# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one HTTP layer (not named http.py: that shadows the standard library for pylint): session set-up, failure classification, Retry-After, redaction.

Vendor clients call :meth:`HttpClient.send`, look at vendor envelopes first (KSC puts
``PxgError`` on any status, Alibaba throttles with HTTP 400), then call
:meth:`HttpClient.raise_for_status` for everything they do not handle themselves.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import importlib.util
import ipaddress
import json
import math
import re
import socket
import ssl
import time
import traceback
from urllib.parse import quote, quote_plus, urlsplit

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

# Looked up here, imported by xml() on first use: the modules of the JSON vendors never load it.
HAS_XMLTODICT = importlib.util.find_spec('xmltodict') is not None
XMLTODICT_IMPORT_ERROR = None if HAS_XMLTODICT else 'No module named xmltodict'

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import (
    TerminalError,
    TransientError,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.version import (
    COLLECTION_NAME,
    COLLECTION_VERSION,
)

USER_AGENT = '%s/%s' % (COLLECTION_NAME, COLLECTION_VERSION)
TRANSIENT_STATUSES = frozenset([408, 429]) | frozenset(range(500, 600))
BODY_EXCERPT_LENGTH = 300
REDACTED = '********'

# Query parameters and headers whose values are credentials wherever they appear.
_SECRET_NAMES = (
    'password', 'pass', 'passwd', 'secret', 'token', 'accesstoken', 'access_token', 'securitytoken',
    'signature', 'authorization', 'x-ksc-session', 'x-acs-security-token', 'apikey', 'api_key',
)
_SECRET_QUERY_RE = re.compile(r'(?i)([?&](?:%s)=)[^&#]*' % '|'.join(re.escape(n) for n in _SECRET_NAMES))


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date (RFC 9110).

    Returns None for a missing or unreadable value; a date in the past gives 0.
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        seconds = email.utils.mktime_tz(parsed) - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(seconds, 0.0)


def base_url(host, port=None, path='', scheme='https'):
    """The one way every client builds its base URL: ``scheme://host[:port]/path``.

    An IPv6 literal (``::1``, ``fe80::1%eth0``) is bracketed as RFC 3986 requires, a host that is
    already bracketed or carries its own port (``[::1]:8443``, ``example.com:8443``) is kept.
    """
    host = ('%s' % (host if host is not None else '')).strip()
    if not host:
        raise TerminalError('The host (or endpoint) to connect to is not set.', invalid_option='host')
    if not host.startswith('[') and host.count(':') > 1:
        address, dummy, zone = host.partition('%')
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise TerminalError('The host %s is neither a host name nor an IP address.' % host, invalid_option='host')
        host = '[%s%s]' % (address, ('%25' + zone) if zone else '')
    netloc = host if port is None else '%s:%d' % (host, port)
    return '%s://%s/%s' % (scheme, netloc, path.lstrip('/')) if path else '%s://%s' % (scheme, netloc)


def checked_timeout(timeout):
    """``timeout`` if it is a usable request timeout (seconds, more than 0); else a TerminalError.

    ``requests`` raises ValueError for 0 or a negative number only once it sends, from deep
    inside urllib3: refuse it before anything is sent.
    """
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value <= 0 \
                or math.isinf(value):
            raise TerminalError('request_timeout must be a number of seconds more than 0, not %s.' % (timeout,),
                                invalid_option='request_timeout')
    return timeout


class HttpError(TerminalError):
    """An HTTP answer the caller did not expect; carries ``http_status``, ``url`` and ``body``."""

    def __init__(self, message, http_status=None, url=None, body=None, **fields):
        super(HttpError, self).__init__(message, http_status=http_status, url=url, body=body, **fields)
        self.http_status = http_status
        self.url = url
        self.body = body


class TransientHttpError(TransientError):
    """A connection failure, timeout, 408, 429 or 5xx: the request may work if sent again."""

    def __init__(self, message, http_status=None, url=None, body=None, retry_after=None, **fields):
        super(TransientHttpError, self).__init__(
            message, retry_after=retry_after, http_status=http_status, url=url, body=body, **fields)
        self.http_status = http_status
        self.url = url
        self.body = body


class Redactor(object):
    """Removes known secret values and credential-looking query parameters from text."""

    def __init__(self, secrets=()):
        self._secrets = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        """Mask ``secret`` as given and as URL-encoded once or twice.

        Servers quote what they received (Alibaba's V1 SignatureDoesNotMatch shows the string it
        signed, a token percent-encoded twice); a token holding ``+/=`` would slip past an exact match.
        """
        # Very short values would redact random substrings and make messages unreadable.
        if not secret or len(str(secret)) < 4:
            return
        secret = str(secret)
        once = quote(secret, safe='-_.~')
        for form in (secret, once, quote(once, safe='-_.~'), quote_plus(secret)):
            self._secrets.add(form)

    def data(self, value):
        """``value`` (plain data from a server) with every string, keys included, redacted."""
        if isinstance(value, dict):
            return dict((self.data(key), self.data(item)) for key, item in value.items())
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return self(value) if isinstance(value, str) else value

    def __call__(self, text):
        if text is None:
            return None
        text = _SECRET_QUERY_RE.sub(lambda m: m.group(1) + REDACTED, str(text))
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text


class HttpClient(object):
    """One ``requests`` session per module run, with the collection's TLS and timeout rules.

    ``verify`` is passed on every request, never set on the session: ``requests`` lets
    ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override a session-level CA path, and those are
    set on many hosts and execution environments.
    """

    def __init__(self, base_url, validate_certs=True, ca_path=None, timeout=30.0, headers=None,
                 auth=None, secrets=()):
        if not HAS_REQUESTS:
            raise TerminalError('The Python library requests is required on the host that runs this module.')
        self.base_url = base_url.rstrip('/')
        self.timeout = checked_timeout(timeout)
        self.verify = (ca_path or True) if validate_certs else False
        self.redact = Redactor(secrets)
        self.session = requests.Session()
        # Proxies (HTTPS_PROXY, NO_PROXY) still come from the environment through trust_env.
        self.session.headers['User-Agent'] = '%s %s' % (USER_AGENT, requests.utils.default_user_agent())
        if headers:
            self.session.headers.update(headers)
        self.session.auth = auth
        if not validate_certs:
            _silence_insecure_warning()

    # Set by use_request_budget(); class attributes so that __init__ stays as it is.
    request_budget = None
    request_budget_deadline = None

    def use_request_budget(self, budget, deadline=None):
        """Send every later request (retries included) only once ``budget`` grants it a slot.

        ``budget`` is a :class:`~.request_budget.RequestBudget` (None removes it); ``deadline`` is
        absolute, on the budget's clock (``time.monotonic()``, the wait loop's). A slot later than
        the deadline raises :class:`~.request_budget.BudgetDeadlineExceeded` and nothing is sent.
        The budget only delays requests, so a server's retry hint, honoured by the caller's own
        sleep before it calls :meth:`send`, stays a floor.
        """
        self.request_budget = budget
        self.request_budget_deadline = deadline

    def url(self, path_or_url):
        if re.match(r'(?i)^https?://', path_or_url):
            return path_or_url
        return '%s/%s' % (self.base_url, path_or_url.lstrip('/'))

    def send(self, method, path_or_url, **kwargs):
        """Send one request; connection-level failures raise :class:`TransientHttpError`.

        Any HTTP status is returned as is: the caller decides what it means.
        """
        if self.request_budget is not None:
            self.request_budget.acquire(deadline=self.request_budget_deadline)
        url = self.url(path_or_url)
        kwargs.setdefault('timeout', self.timeout)
        # A redirect is an answer for the caller, never followed: requests would turn a POST into
        # a GET on 302 and could carry the request to a host nobody configured.
        kwargs.setdefault('allow_redirects', False)
        kwargs['verify'] = self.verify
        try:
            return self.session.request(method, url, **kwargs)
        except requests.exceptions.RequestException as err:
            raise self.transport_error(err, url, kwargs['timeout'])
        except ValueError as err:  # urllib3's LocationParseError and kin: a URL or header it cannot use
            raise TerminalError('The request to %s could not be sent (%s).'
                                % (_host_port(url), self.redact(_clean_reason(err))), url=self.redact(url))

    def transport_error(self, err, url, timeout):
        """One sentence for a request that got no HTTP answer, without urllib3's wrapper text.

        TLS verification failures are terminal (sending again cannot fix trust); every other
        transport failure is transient, within the caller's retry budget.
        """
        where = _host_port(url)
        fields = dict(url=self.redact(url))
        cause = _innermost(err)
        reason = self.redact(_clean_reason(cause))
        if isinstance(err, requests.exceptions.SSLError):
            verify_message = getattr(cause, 'verify_message', None)
            if verify_message and ('mismatch' in verify_message.lower() or 'hostname' in verify_message.lower()):
                return TerminalError(
                    'The TLS certificate of %s is not valid for that name (%s): connect with a name the certificate '
                    'lists, set ca_path to the CA that signed it, or set validate_certs to false as the last resort.'
                    % (where, _clean_reason(verify_message)), tls_error='hostname_mismatch', **fields)
            if verify_message:
                return TerminalError(
                    'The TLS certificate of %s is not trusted (%s): set ca_path to the CA that signed it, or '
                    'validate_certs to false as the last resort.' % (where, _clean_reason(verify_message)),
                    tls_error='untrusted_certificate', **fields)
            return TerminalError('The TLS handshake with %s failed (%s): check that the port serves HTTPS.'
                                 % (where, reason), tls_error='handshake_failed', **fields)
        if isinstance(err, requests.exceptions.ProxyError):
            return TransientHttpError('Could not reach %s through the proxy %s (%s): check HTTPS_PROXY and NO_PROXY.'
                                      % (where, self._proxy_for(url), reason), **fields)
        if isinstance(err, requests.exceptions.ConnectTimeout):
            return TransientHttpError('Could not connect to %s within %s s.' % (where, _format(_connect_timeout(timeout))),
                                      **fields)
        if isinstance(err, requests.exceptions.Timeout):
            return TransientHttpError('%s sent no answer within %s s.' % (where, _format(_read_timeout(timeout))),
                                      **fields)
        if isinstance(err, (requests.exceptions.InvalidURL, requests.exceptions.URLRequired,
                            requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)):
            return TerminalError('The URL %s is not valid (%s).' % (self.redact(url), reason), **fields)
        if isinstance(cause, socket.gaierror):
            return TransientHttpError('The host name %s could not be resolved (%s): check the host option and DNS.'
                                      % (_host_port(url).split(' port ')[0], reason), **fields)
        if isinstance(cause, ConnectionRefusedError):
            return TransientHttpError('Connection to %s was refused: nothing listens on that port, or a firewall '
                                      'rejects it.' % where, **fields)
        if isinstance(cause, (ConnectionResetError, BrokenPipeError)) or type(cause).__name__ == 'RemoteDisconnected':
            return TransientHttpError('%s closed the connection without answering.' % where, **fields)
        if isinstance(err, requests.exceptions.ContentDecodingError):
            return TransientHttpError('The answer from %s could not be decoded (a damaged compressed body).' % where,
                                      **fields)
        if isinstance(err, requests.exceptions.ChunkedEncodingError):
            return TransientHttpError('The answer from %s broke off before its end.' % where, **fields)
        return TransientHttpError('The request to %s failed (%s).' % (where, reason), **fields)

    def _proxy_for(self, url):
        """The proxy ``requests`` used for ``url``, as host and port only (its URL may hold credentials)."""
        try:
            proxies = self.session.merge_environment_settings(url, {}, None, None, None).get('proxies') or {}
            proxy = requests.utils.select_proxy(url, proxies)
        except Exception:  # only for the message
            proxy = None
        return _host_port(proxy) if proxy else 'from the environment'

    def request(self, method, path_or_url, **kwargs):
        """:meth:`send` plus :meth:`raise_for_status` for callers with no envelope of their own."""
        response = self.send(method, path_or_url, **kwargs)
        self.raise_for_status(response)
        return response

    def raise_for_status(self, response, what=None):
        """Turn any status other than 2xx into :class:`TransientHttpError` or :class:`HttpError`."""
        if 200 <= response.status_code < 300:
            return
        raise self.error_for(response, what)

    def error_for(self, response, what=None, transient=None):
        """The exception for a failed response, with the body excerpt and URL redacted."""
        url = self.redact(response.url)
        body = self.body_excerpt(response)
        status = response.status_code
        reason = what or ('%s %s' % (status, response.reason or '')).strip()
        message = 'HTTP %s from %s' % (reason, url) if what is None else '%s (HTTP %s from %s)' % (what, status, url)
        if body:
            message += ': %s' % body
        if transient is None:
            transient = status in TRANSIENT_STATUSES
        if transient:
            return TransientHttpError(message, http_status=status, url=url, body=body,
                                      retry_after=parse_retry_after(response.headers.get('Retry-After')))
        return HttpError(message, http_status=status, url=url, body=body)

    def body_excerpt(self, response, length=BODY_EXCERPT_LENGTH):
        # Only the start is decoded, with the declared charset or UTF-8: guessing the charset of
        # a whole (possibly binary, possibly large) body costs more than the excerpt is worth.
        content = (response.content or b'')[:length * 4 + 4]
        try:
            text = content.decode(response.encoding or 'utf-8', 'replace')
        except LookupError:  # a charset Python does not know
            text = content.decode('utf-8', 'replace')
        text = ' '.join(text.split())
        # A binary or mangled body must not put control characters into a one-line message.
        text = ''.join(char if char.isprintable() else '?' for char in text[:length + 1])
        if len(text) > length:
            text = text[:length] + '...'
        return self.redact(text)

    def json(self, response):
        """The JSON body; an unreadable body is transient (proxies truncate) but bounded by retries."""
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise TransientHttpError(
                'The answer from %s is not valid JSON: %s' % (self.redact(response.url), self.body_excerpt(response, 120)),
                http_status=response.status_code, url=self.redact(response.url))

    @staticmethod
    def json_or_none(response):
        """The JSON body, or None when there is none or it cannot be read (for envelopes at any status)."""
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return None

    def xml(self, response, force_list=None, required=False):
        """The XML body as plain dicts; unreadable XML is transient, as in :meth:`json`.

        An empty body is ``{}``, or with ``required`` a transient error: a proxy or a server that
        broke off can send nothing at all where the vendor always sends an envelope.
        """
        try:
            import xmltodict
        except ImportError:
            raise TerminalError('The Python library xmltodict is required on the host that runs this module.')
        if not response.content or not response.content.strip():
            if required:
                raise TransientHttpError('The answer from %s has an empty body where XML was expected (HTTP %s).'
                                         % (self.redact(response.url), response.status_code),
                                         http_status=response.status_code, url=self.redact(response.url))
            return {}
        try:
            return plain(xmltodict.parse(response.content, force_list=force_list))
        except Exception:  # expat raises its own ExpatError; any unreadable body is the same case
            raise TransientHttpError(
                'The answer from %s is not valid XML: %s' % (self.redact(response.url), self.body_excerpt(response, 120)),
                http_status=response.status_code, url=self.redact(response.url))

    def close(self):
        self.session.close()


def plain(value):
    """xmltodict's OrderedDicts (older releases) as plain dicts, all the way down."""
    if isinstance(value, dict):
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _innermost(err):
    """The deepest exception under requests' and urllib3's wrappers (``reason``, ``__cause__``, ``args``)."""
    cause = err
    seen = set()
    while id(cause) not in seen:
        seen.add(id(cause))
        nxt = getattr(cause, 'reason', None)
        if not isinstance(nxt, BaseException):
            nxt = cause.__cause__ or cause.__context__
        if not isinstance(nxt, BaseException):
            # ProtocolError('Connection aborted.', ConnectionResetError(...)) keeps its cause in args.
            nxt = next((arg for arg in getattr(cause, 'args', ()) if isinstance(arg, BaseException)), None)
        if nxt is None:
            break
        cause = nxt
    return cause


def _clean_reason(cause):
    """A reason without OpenSSL's bracketed prefix, ``(_ssl.c:1006)`` and errno noise."""
    text = '%s' % (cause,)
    if isinstance(cause, OSError) and cause.strerror and not isinstance(cause, ssl.SSLError):
        text = cause.strerror
    text = re.sub(r'^\[[^\]]*\]\s*', '', text)
    text = re.sub(r'\s*\(_ssl\.c:\d+\)', '', text)
    text = re.sub(r'^certificate verify failed:\s*', '', text)
    return text.strip().rstrip('.') or type(cause).__name__


def _host_port(url):
    """``host port N`` of a URL, the way a user would name the server."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return 'the server'
    if not host:
        return 'the server'
    return '%s port %d' % (host, port or (443 if parts.scheme == 'https' else 80))


def _connect_timeout(timeout):
    return timeout[0] if isinstance(timeout, tuple) else timeout


def _read_timeout(timeout):
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _format(seconds):
    return ('%d' % seconds) if float(seconds).is_integer() else ('%s' % seconds)


def _silence_insecure_warning():
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except Exception:  # pragma: no cover - only cosmetic
        pass


def dumps(data):
    """Compact JSON, the one serializer request bodies use."""
    return json.dumps(data, separators=(',', ':'), sort_keys=True)
