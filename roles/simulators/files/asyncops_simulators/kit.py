# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator kit: what every vendor simulator shares.

- HTTPS on 127.0.0.1 with a CA and server certificate made at start-up (``make_tls``), so
  clients can test ``validate_certs: true`` + ``ca_path`` for real.
- HTTP/1.1 keep-alive, with per-TCP-connection state (KSC binds logins to the connection).
- A control API under ``/_sim/``: create operations, configure, inject faults, read counters,
  revoke credentials (``POST /_sim/revoke``) and end sessions or tokens (``POST /_sim/end_sessions``)
  mid-wait.
- IPv4 or IPv6: ``host`` may be ``127.0.0.1``, ``::1`` or any address; the certificate always
  names ``localhost``, ``127.0.0.1`` and ``::1`` besides it.
- Faults: status bursts (5xx, 429, with or without ``Retry-After``), throttle windows, dropped
  connections, slow answers, malformed bodies.
- Counters: requests per endpoint, requests that came earlier than a retry hint the server
  gave, requests during a throttle window, and vendor-defined ones (``early_checks``).

A vendor simulator subclasses :class:`Simulator` and implements ``handle``; it may override
``endpoint_of``, ``create_operation``, ``configure``, ``throttle_response``,
``malformed_response`` and ``reset``.
"""

import base64
import collections
import datetime
import email.utils
import http.server
import ipaddress
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

CONTROL_PREFIX = '/_sim/'


# --------------------------------------------------------------------------- TLS

def make_tls(directory, host='127.0.0.1'):
    """Write ``ca.pem``, ``server.pem`` and ``server.key`` into ``directory``; return their paths.

    A fresh CA per start means no private key ships with the collection.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'asyncops.jobs simulators CA')])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1')),
             x509.IPAddress(ipaddress.ip_address('::1'))]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(list(dict.fromkeys(names))), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {name: os.path.join(directory, name) for name in ('ca.pem', 'server.pem', 'server.key')}
    with open(paths['ca.pem'], 'wb') as f:
        f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths['server.pem'], 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with os.fdopen(os.open(paths['server.key'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


def server_context(paths):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths['server.pem'], paths['server.key'])
    return context


# --------------------------------------------------------------------------- requests and responses

class Request:
    """One HTTP request as a simulator sees it."""

    def __init__(self, method, target, headers, body, connection, client):
        self.method = method
        parsed = urllib.parse.urlsplit(target)
        self.target = target
        self.path = parsed.path
        self.query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        self.raw_query = parsed.query
        self.headers = headers
        self.body = body
        # Survives across requests on the same TCP connection, and only on it.
        self.connection = connection
        self.client = client
        self.endpoint = '%s %s' % (method, parsed.path)

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def json(self):
        if not self.body:
            return {}
        return json.loads(self.body.decode('utf-8'))

    def text(self):
        return self.body.decode('utf-8') if self.body else ''

    def basic_credentials(self):
        """``(user, password)`` from an HTTP Basic ``Authorization`` header, or None."""
        scheme, dummy, value = (self.header('Authorization') or '').partition(' ')
        if scheme.lower() != 'basic':
            return None
        try:
            user, dummy, password = base64.b64decode(value.strip()).decode('utf-8').partition(':')
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password


class Response:
    """What to send back. ``drop`` closes the connection without answering; ``close`` answers, then closes."""

    def __init__(self, status=200, body=b'', headers=None, content_type='application/json', drop=False, close=False):
        self.status = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode('utf-8')
        self.body = body
        self.headers = dict(headers or {})
        if body and content_type and 'Content-Type' not in self.headers:
            self.headers['Content-Type'] = content_type
        self.drop = drop
        self.close = close


def json_response(data, status=200, headers=None):
    return Response(status, data, headers)


def http_date(seconds_from_now):
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# --------------------------------------------------------------------------- operations

class Operation:
    """A long-running operation with a duration and an outcome, on the server's monotonic clock."""

    def __init__(self, op_id, duration=1.0, outcome='succeeded', now=None, **extra):
        self.id = op_id
        self.duration = float(duration)
        self.outcome = outcome
        self.started = time.monotonic() if now is None else now
        self.extra = extra
        self.cancelled_at = None

    def elapsed(self, now=None):
        return (time.monotonic() if now is None else now) - self.started

    def finished(self, now=None):
        return self.cancelled_at is not None or self.elapsed(now) >= self.duration

    def progress(self, now=None):
        if self.duration <= 0:
            return 100
        return max(0, min(100, int(100 * self.elapsed(now) / self.duration)))

    def finished_at(self):
        """Monotonic time at which it finished (or will)."""
        return self.cancelled_at if self.cancelled_at is not None else self.started + self.duration


# --------------------------------------------------------------------------- counters and faults

class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, 'lock', threading.Lock()):
            self.values = {
                'requests_total': 0,
                'connections': 0,
                'faults_applied': 0,
                'requests_before_retry_after': 0,
                'requests_during_throttle': 0,
                'early_checks': 0,
            }
            self.by_endpoint = {}
            # Monotonic arrival time of every API request (the newest 100,000), so tests can
            # check the load in any window, e.g. a shared request budget.
            self.request_times = collections.deque(maxlen=100000)

    def incr(self, name, amount=1):
        with self.lock:
            self.values[name] = self.values.get(name, 0) + amount

    def endpoint(self, label):
        with self.lock:
            self.values['requests_total'] += 1
            self.request_times.append(time.monotonic())
            self.by_endpoint[label] = self.by_endpoint.get(label, 0) + 1

    def snapshot(self):
        with self.lock:
            data = dict(self.values)
            data['requests_by_endpoint'] = dict(self.by_endpoint)
            data['request_times'] = [round(t, 4) for t in self.request_times]
            return data


class Fault:
    """One injected fault. ``count`` requests that match ``endpoint`` (a regex) get it.

    kinds:
      status     answer ``status`` (default 503) with an optional ``retry_after`` (seconds;
                 ``retry_after_format: http-date`` sends a date instead).
      throttle   for ``seconds`` from the first matching request, every matching request gets the
                 vendor's throttle answer (``retry_after`` optional); ``count`` is ignored.
      drop       close the TCP connection without answering.
      disconnect answer normally, then close the connection (a server ending keep-alive).
      slow       wait ``delay`` seconds, then answer normally.
      malformed  answer 200 with a body the client cannot parse.
    """

    KINDS = ('status', 'throttle', 'drop', 'disconnect', 'slow', 'malformed')

    def __init__(self, kind, endpoint=None, count=1, status=None, retry_after=None, retry_after_format='seconds',
                 seconds=None, delay=None, body=None, after=0):
        if kind not in self.KINDS:
            raise ValueError('fault kind must be one of %s' % ', '.join(self.KINDS))
        self.kind = kind
        self.endpoint = re.compile(endpoint) if endpoint else None
        self.remaining = int(count)
        self.skip = int(after)
        self.status = int(status or (429 if kind == 'throttle' else 503))
        self.retry_after = retry_after
        self.retry_after_format = retry_after_format
        self.seconds = float(seconds if seconds is not None else (retry_after or 5))
        self.delay = float(delay or 0)
        self.body = body
        self.window_end = None

    def matches(self, request):
        return self.endpoint is None or bool(self.endpoint.search(request.endpoint))

    def describe(self):
        return {'kind': self.kind, 'endpoint': self.endpoint.pattern if self.endpoint else None,
                'remaining': self.remaining, 'status': self.status, 'retry_after': self.retry_after}


# --------------------------------------------------------------------------- the simulator base

class Simulator:
    """Base class of every vendor simulator; one instance serves one port."""

    name = 'base'

    def __init__(self):
        self.lock = threading.RLock()
        self.counters = Counters()
        self.faults = []
        self.retry_not_before = None
        self.operations = {}
        self.next_id = 1
        self.last_request_at = time.monotonic()

    # -- to override -------------------------------------------------------
    def handle(self, request):
        return json_response({'error': 'not implemented'}, 404)

    def endpoint_of(self, request):
        """A label for counters and fault matching; JSON-RPC simulators use the method name."""
        return request.endpoint

    def create_operation(self, spec):
        """Control API: make an operation; returns a JSON-able description including its id."""
        with self.lock:
            op = Operation(self.new_id(), **spec)
            self.operations[op.id] = op
            return {'id': op.id}

    def configure(self, settings):
        """Control API: change vendor settings (token lifetime, in-progress word...)."""
        for key, value in settings.items():
            setattr(self, key, value)
        return {'configured': sorted(settings)}

    def throttle_response(self, fault, retry_after):
        headers = {}
        if retry_after is not None:
            headers['Retry-After'] = self.format_retry_after(fault, retry_after)
        return json_response({'error': 'throttled'}, fault.status, headers)

    def status_response(self, fault, retry_after):
        headers = {}
        if retry_after is not None:
            headers['Retry-After'] = self.format_retry_after(fault, retry_after)
        return Response(fault.status, fault.body if fault.body is not None else 'simulated fault', headers,
                        content_type='text/plain')

    def malformed_response(self, request):
        return Response(200, b'{"truncated": ', content_type='application/json')

    def reset(self):
        """Control API: forget vendor state (operations, sessions, tokens)."""
        with self.lock:
            self.operations.clear()

    def revoke(self, spec):
        """Control API ``POST /_sim/revoke``: make the credentials in use stop working.

        Vendors with an account change its password (or drop the access key); a test then sees
        what a rotated or disabled credential does to a wait that is under way.
        """
        raise ValueError('the %s simulator has no credentials to revoke' % self.name)

    def end_sessions(self, spec):
        """Control API ``POST /_sim/end_sessions``: end sessions or tokens (all, or the one named)."""
        raise ValueError('the %s simulator has no sessions or tokens' % self.name)

    # -- helpers for subclasses -------------------------------------------
    def new_id(self):
        with self.lock:
            value = self.next_id
            self.next_id += 1
            return value

    @staticmethod
    def format_retry_after(fault, seconds):
        if fault.retry_after_format == 'http-date':
            return http_date(seconds)
        return ('%d' % seconds) if float(seconds).is_integer() else ('%s' % seconds)

    def remember_retry_hint(self, seconds):
        """Any request before now + ``seconds`` counts in ``requests_before_retry_after``."""
        with self.lock:
            self.retry_not_before = time.monotonic() + float(seconds)

    # -- dispatch ------------------------------------------------------------
    def dispatch(self, request):
        self.last_request_at = time.monotonic()
        if request.path.startswith(CONTROL_PREFIX):
            return self.control(request)
        request.endpoint = self.endpoint_of(request)
        self.counters.endpoint(request.endpoint)
        now = time.monotonic()
        with self.lock:
            if self.retry_not_before is not None and now < self.retry_not_before:
                self.counters.incr('requests_before_retry_after')
        fault = self._take_fault(request, now)
        if fault is not None:
            self.counters.incr('faults_applied')
            response = self._apply_fault(fault, request)
            if response is not None:
                return response
        return self.handle(request)

    def _take_fault(self, request, now):
        with self.lock:
            for fault in list(self.faults):
                if not fault.matches(request):
                    continue
                if fault.kind == 'throttle':
                    if fault.window_end is None:
                        fault.window_end = now + fault.seconds
                    if now < fault.window_end:
                        self.counters.incr('requests_during_throttle')
                        return fault
                    self.faults.remove(fault)
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _apply_fault(self, fault, request):
        if fault.kind == 'status':
            if fault.retry_after is not None:
                self.remember_retry_hint(fault.retry_after)
            return self.status_response(fault, fault.retry_after)
        if fault.kind == 'throttle':
            retry_after = None
            if fault.retry_after is not None:
                # The hint tells the truth: the rest of the window.
                retry_after = max(0.0, round(fault.window_end - time.monotonic(), 3))
                if fault.retry_after_format != 'milliseconds':
                    retry_after = float(int(retry_after + 0.999))
                self.remember_retry_hint(retry_after)
            return self.throttle_response(fault, retry_after)
        if fault.kind == 'drop':
            return Response(drop=True)
        if fault.kind == 'slow':
            time.sleep(fault.delay)
            return None
        if fault.kind == 'malformed':
            return self.malformed_response(request)
        if fault.kind == 'disconnect':
            response = self.handle(request)
            response.close = True
            return response
        return None

    def control(self, request):
        action = request.path[len(CONTROL_PREFIX):].strip('/')
        try:
            body = request.json() if request.method in ('POST', 'PUT') else {}
        except ValueError:
            return json_response({'error': 'control body must be JSON'}, 400)
        try:
            if action == 'health':
                return json_response({'simulator': self.name, 'ok': True})
            if action == 'counters':
                return json_response(self.counters.snapshot())
            if action == 'reset':
                with self.lock:
                    self.faults = []
                    self.retry_not_before = None
                self.counters.reset()
                self.reset()
                return json_response({'reset': True})
            if action == 'faults' and request.method == 'POST':
                specs = body if isinstance(body, list) else [body]
                with self.lock:
                    for spec in specs:
                        self.faults.append(Fault(**spec))
                    return json_response({'faults': [f.describe() for f in self.faults]})
            if action == 'faults' and request.method == 'DELETE':
                with self.lock:
                    self.faults = []
                return json_response({'faults': []})
            if action == 'faults':
                with self.lock:
                    return json_response({'faults': [f.describe() for f in self.faults]})
            if action == 'operations' and request.method == 'POST':
                return json_response(self.create_operation(body))
            if action == 'config' and request.method == 'POST':
                return json_response(self.configure(body))
            if action == 'revoke' and request.method == 'POST':
                with self.lock:
                    return json_response(self.revoke(body or {}))
            if action == 'end_sessions' and request.method == 'POST':
                with self.lock:
                    return json_response(self.end_sessions(body or {}))
        except (TypeError, ValueError, KeyError) as err:
            return json_response({'error': str(err)}, 400)
        return json_response({'error': 'unknown control action %s %s' % (request.method, action)}, 404)


class EchoSimulator(Simulator):
    """A vendor-neutral simulator for testing the kit and the HTTP layer.

    ``/echo`` answers with what it received; ``/status/<code>`` answers that status;
    ``/operation/<id>`` reports a control-API operation as running/succeeded/failed.
    """

    name = 'echo'

    def handle(self, request):
        if request.path == '/echo':
            return json_response({'method': request.method, 'path': request.path, 'query': request.query,
                                  'headers': dict(request.headers), 'body': request.text(),
                                  'connection_requests': request.connection.setdefault('n', 0)})
        match = re.match(r'^/status/(\d{3})$', request.path)
        if match:
            return json_response({'status': int(match.group(1))}, int(match.group(1)))
        match = re.match(r'^/operation/(\d+)$', request.path)
        if match:
            op = self.operations.get(int(match.group(1)))
            if op is None:
                return json_response({'error': 'no such operation'}, 404)
            status = 'running' if not op.finished() else op.outcome
            return json_response({'id': op.id, 'status': status, 'progress': op.progress()})
        return json_response({'error': 'not found'}, 404)


# --------------------------------------------------------------------------- the server

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'asyncops-simulator'
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed
    # ACK (about 40 ms on Linux), so every small keep-alive answer took 40 ms instead of 1.
    disable_nagle_algorithm = True

    def setup(self):
        # The TLS handshake happens here, in the connection's own thread, so a slow or broken
        # client cannot stall the accept loop.
        self.request.settimeout(self.server.connection_timeout)
        try:
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            self.request.close()
            raise
        self.connection_state = {}
        self.server.simulator.counters.incr('connections')
        super().setup()

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        request = Request(self.command, self.path, self.headers, body, self.connection_state, self.client_address)
        self.connection_state['n'] = self.connection_state.get('n', 0) + 1
        try:
            response = self.server.simulator.dispatch(request)
        except Exception as err:  # a simulator bug must show as a 500, not a hung client
            response = json_response({'error': 'simulator error: %s: %s' % (type(err).__name__, err)}, 500)
        if response.drop:
            self.close_connection = True
            try:
                self.request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(response.body)))
        if response.close:
            self.send_header('Connection', 'close')
            self.close_connection = True
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)


class SimulatorServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, simulator, tls, host='127.0.0.1', port=0, verbose=False, connection_timeout=120):
        self.simulator = simulator
        self.tls = tls
        self.verbose = verbose
        self.connection_timeout = connection_timeout
        host = host.strip('[]')
        # An instance attribute before the socket is made: HTTPServer reads it in __init__.
        self.address_family = socket.AF_INET6 if ':' in host else socket.AF_INET
        super().__init__((host, port), _Handler)

    @property
    def port(self):
        return self.server_address[1]

    @property
    def host(self):
        return self.server_address[0]

    @property
    def base_url(self):
        return 'https://%s:%d' % (url_host(self.host), self.port)

    def handle_error(self, request, client_address):
        # A client that refuses our certificate (the untrusted-certificate tests) or hangs up is
        # part of the scenario, not a simulator error worth a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError, socket.timeout)):
            if self.verbose:
                sys.stderr.write('connection from %s ended: %s\n' % (client_address, error))
            return
        super().handle_error(request, client_address)


def url_host(host):
    """``host`` as it goes into a URL: an IPv6 literal in brackets."""
    return '[%s]' % host if ':' in host and not host.startswith('[') else host


def start_in_thread(simulator, tls_dir, host='127.0.0.1', port=0):
    """Serve ``simulator`` from a background thread; for tests. Returns (server, ca_path)."""
    paths = make_tls(tls_dir, host)
    server = SimulatorServer(simulator, server_context(paths), host, port)
    thread = threading.Thread(target=server.serve_forever, name='simulator-%s' % simulator.name, daemon=True)
    thread.start()
    return server, paths['ca.pem']
