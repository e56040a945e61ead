# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: ``serve`` in the foreground, or ``start``/``stop``/``status`` a background process.

``start`` returns only once every simulator answers, and prints the state as JSON:
``{"pid": ..., "host": "127.0.0.1", "ca_path": ..., "ports": {"ksc": 40123, ...}}``.
"""

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

from asyncops_simulators import kit, load

STATE_FILE = 'state.json'


def _state_path(state_dir):
    return os.path.join(state_dir, STATE_FILE)


def _read_state(state_dir):
    try:
        with open(_state_path(state_dir)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _parse_ports(text):
    if (text or '').strip().startswith('{'):
        return {name: int(port) for name, port in json.loads(text).items()}
    ports = {}
    for item in filter(None, (text or '').split(',')):
        name, dummy, port = item.partition('=')
        ports[name.strip()] = int(port)
    return ports


def serve(args):
    vendors = [v.strip() for v in args.vendors.split(',') if v.strip()]
    fixed_ports = _parse_ports(args.ports)
    os.makedirs(args.state_dir, exist_ok=True)
    paths = kit.make_tls(os.path.join(args.state_dir, 'tls'), args.host)
    context = kit.server_context(paths)
    servers = {}
    for vendor in vendors:
        simulator = load(vendor)()
        servers[vendor] = kit.SimulatorServer(simulator, context, args.host, fixed_ports.get(vendor, 0),
                                              verbose=args.verbose)
    # On IPv4 loopback, each simulator also answers on IPv6 loopback at the same port, serving
    # the same state, so a test can reach one operation as 127.0.0.1 and as ::1 (a host
    # without IPv6 simply goes without).
    also = []
    if args.host == '127.0.0.1':
        for vendor, server in list(servers.items()):
            try:
                also.append(kit.SimulatorServer(server.simulator, context, '::1', server.port, verbose=args.verbose))
            except OSError:
                break
    for vendor, server in list(servers.items()) + [('ipv6', s) for s in also]:
        threading.Thread(target=server.serve_forever, name='sim-%s' % vendor, daemon=True).start()
    # url_host: the host as it goes into a URL (an IPv6 literal in brackets), for playbooks.
    state = {'pid': os.getpid(), 'host': args.host, 'url_host': kit.url_host(args.host),
             'ipv6_loopback': len(also) == len(servers),
             'ca_path': paths['ca.pem'], 'state_dir': args.state_dir,
             'ports': {vendor: server.port for vendor, server in servers.items()}}
    tmp = _state_path(args.state_dir) + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(state, f)
    os.replace(tmp, _state_path(args.state_dir))
    print(json.dumps(state), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # A forgotten simulator (a failed test that never reached its stop step) ends by itself.
    while not stop.wait(1.0):
        if args.idle_timeout and all(time.monotonic() - s.simulator.last_request_at > args.idle_timeout
                                     for s in servers.values()):
            break
    for server in list(servers.values()) + also:
        server.shutdown()
        server.server_close()
    try:
        os.remove(_state_path(args.state_dir))
    except OSError:
        pass
    return 0


def _healthy(state, timeout=2.0):
    context = ssl.create_default_context(cafile=state['ca_path'])
    for port in state['ports'].values():
        url = 'https://%s:%d%shealth' % (kit.url_host(state['host']), port, kit.CONTROL_PREFIX)
        try:
            with urllib.request.urlopen(url, context=context, timeout=timeout) as answer:
                if answer.status != 200:
                    return False
        except OSError:
            return False
    return True


def start(args):
    existing = _read_state(args.state_dir)
    wanted = set(v.strip() for v in args.vendors.split(',') if v.strip())
    if existing and _alive(existing['pid']) and set(existing['ports']) == wanted and _healthy(existing):
        existing['changed'] = False
        print(json.dumps(existing))
        return 0
    if existing and _alive(existing['pid']):
        stop(args)
    os.makedirs(args.state_dir, exist_ok=True)
    try:
        os.remove(_state_path(args.state_dir))
    except OSError:
        pass
    log = open(os.path.join(args.state_dir, 'simulators.log'), 'ab')
    command = [sys.executable, '-m', 'asyncops_simulators', 'serve', '--vendors', args.vendors,
               '--state-dir', args.state_dir, '--host', args.host, '--idle-timeout', str(args.idle_timeout)]
    if args.ports:
        command += ['--ports', args.ports]
    env = dict(os.environ)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [package_parent, env.get('PYTHONPATH')]))
    process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
                               start_new_session=True, close_fds=True)
    deadline = time.monotonic() + args.start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.stderr.write('simulators exited with %s; see %s\n' % (process.returncode, log.name))
            return 1
        state = _read_state(args.state_dir)
        if state and state['pid'] == process.pid and _healthy(state):
            state['changed'] = True
            print(json.dumps(state))
            return 0
        time.sleep(0.1)
    process.terminate()
    sys.stderr.write('simulators did not answer within %s s; see %s\n' % (args.start_timeout, log.name))
    return 1


def stop(args):
    state = _read_state(args.state_dir)
    if not state or not _alive(state['pid']):
        print(json.dumps({'changed': False}))
        return 0
    os.kill(state['pid'], signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(state['pid']) and time.monotonic() < deadline:
        try:
            os.waitpid(state['pid'], os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    if _alive(state['pid']):
        os.kill(state['pid'], signal.SIGKILL)
    print(json.dumps({'changed': True, 'pid': state['pid']}))
    return 0


def status(args):
    state = _read_state(args.state_dir)
    running = bool(state and _alive(state['pid']) and _healthy(state))
    print(json.dumps(dict(state or {}, running=running)))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m asyncops_simulators', description=__doc__)
    parser.add_argument('command', choices=['serve', 'start', 'stop', 'status'])
    parser.add_argument('--vendors', default='ksc,sbc,solidfire,sas,integration_server')
    parser.add_argument('--state-dir', default=os.path.join(os.environ.get('TMPDIR', '/tmp'), 'asyncops-simulators'))
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--ports', default='', help='fixed ports, as ksc=13299,sbc=8443 or JSON; others are picked free')
    parser.add_argument('--idle-timeout', type=float, default=1800.0,
                        help='exit after this many seconds without a request (0: never)')
    parser.add_argument('--start-timeout', type=float, default=30.0)
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args(argv)
    return {'serve': serve, 'start': start, 'stop': stop, 'status': status}[args.command](args)


if __name__ == '__main__':
    sys.exit(main())
