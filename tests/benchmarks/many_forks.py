#!/usr/bin/env python
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Many forks, one appliance: 50 hosts, forks 50, each waiting on its own Integration Server task.

Three real ansible-playbook runs in one go, against one in-process Integration Server simulator
(HTTPS, ca_path), each host (local connection) waiting on its own task:

- uri:     ansible.builtin.uri GET tasks/{id} with until/retries and a fixed delay (--delay);
- module:  asyncops.jobs.integration_task (state: completed), no budget;
- budget:  the same with max_requests_per_second (--limit, default 5).

Task durations are uniform in [--min-duration, --max-duration] (seeded), counted from creation,
just before the playbook starts. The simulator stamps every request (monotonic time, task, state
answered). Printed per run: total requests; the peak requests in any 100 ms and any 1 s window,
over all requests and after the first round (every task's first request left out), as a share of
the forks and, for the budget run, against the limit and the limit plus the burst; how late each
wait noticed its task's end (first request answered Completed minus the end), median and maximum.
Targets: budget run, 1 s peak <= limit + burst; module run, 100 ms peak after the first round
<= 25 % of the forks. If the module does not accept max_requests_per_second yet, the third run
says so and the other two are still printed.

    tests/benchmarks/run.sh many_forks [--hosts 50 --limit 5 --delay 2]
"""

import argparse
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'roles', 'simulators', 'files'))

USER = 'kis-admin'
PASSWORD = 'kis-Secret-0'
API = '/api/2.0/virtualization/'
TASK_RE = re.compile(r'^%stasks/([^/?]+)$' % re.escape(API))
STATE_RE = re.compile(r'<state>([^<]*)</state>')

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
"""

URI_TASK = """
    - ansible.builtin.uri:
        url: https://127.0.0.1:{port}{api}tasks/{{{{ task_id }}}}
        url_username: {user}
        url_password: {password}
        force_basic_auth: true
        ca_path: {ca_path}
        return_content: true
      register: polled
      until: "'<state>Completed</state>' in polled.content"
      retries: 1000
      delay: {delay}
"""

MODULE_TASK = """
    - asyncops.jobs.integration_task:
        host: 127.0.0.1
        port: {port}
        username: {user}
        password: {password}
        ca_path: {ca_path}
        task_id: "{{{{ task_id }}}}"
        state: completed
        poll_interval: {poll}
        max_poll_interval: {max_poll}
        wait_timeout: 600
{extra}"""


def recording_simulator():
    from asyncops_simulators.integration_server import IntegrationServerSimulator

    class Recording(IntegrationServerSimulator):
        """Stamps every task read: (monotonic time, task id, state answered)."""

        def __init__(self):
            super().__init__()
            self.reads = []
            self.reads_lock = threading.Lock()

        def handle(self, request):
            at = time.monotonic()
            response = super().handle(request)
            match = TASK_RE.match(request.path.split('?', 1)[0])
            if match and request.method == 'GET':
                body = response.body.decode('utf-8', 'replace') if isinstance(response.body, bytes) else response.body
                state = STATE_RE.search(body or '')
                with self.reads_lock:
                    self.reads.append((at, match.group(1), state.group(1) if state else 'HTTP %s' % response.status))
            return response

        def reset(self):
            super().reset()
            with self.reads_lock:
                self.reads = []

    return Recording()


def peak(times, width):
    """The most timestamps in any window [t, t + width) starting at a timestamp."""
    times = sorted(times)
    best = end = 0
    for start, t in enumerate(times):
        while end < len(times) and times[end] < t + width:
            end += 1
        best = max(best, end - start)
    return best


def run_playbook(kind, task_text, hosts, tasks, workdir, forks):
    inventory = os.path.join(workdir, kind + '-inventory.ini')
    with open(inventory, 'w') as f:
        f.write('[all]\n')
        for host, task_id in zip(hosts, tasks):
            f.write('%s ansible_connection=local task_id=%s\n' % (host, task_id))
        f.write('\n[all:vars]\nansible_python_interpreter=%s\n' % sys.executable)
    playbook = os.path.join(workdir, kind + '.yml')
    with open(playbook, 'w') as f:
        f.write(PLAY + task_text)
    log = os.path.join(workdir, kind + '.log')
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False')
    with open(log, 'w') as out:
        rc = subprocess.call([shutil.which('ansible-playbook'), '-i', inventory, '-f', str(forks), playbook],
                             stdout=out, stderr=subprocess.STDOUT, env=env)
    with open(log) as f:
        return rc, f.read()


def measure(sim, kind, args, workdir):
    simulator = sim['simulator']
    simulator.faults = []
    simulator.counters.reset()
    simulator.reset()
    rng = random.Random(args.seed)
    hosts = ['host%02d' % (n + 1) for n in range(args.hosts)]
    durations = [rng.uniform(args.min_duration, args.max_duration) for dummy in hosts]
    tasks = [simulator.create_operation({'duration': d})['id'] for d in durations]
    with simulator.task_lock:
        ends = dict((task_id, simulator.tasks[task_id].started + simulator.tasks[task_id]._run_start() + d)
                    for task_id, d in zip(tasks, durations))
    fields = dict(port=sim['port'], api=API, user=USER, password=PASSWORD, ca_path=sim['ca_path'], delay=args.delay,
                  poll=args.poll, max_poll=args.max_poll, extra='')
    if kind == 'uri':
        text = URI_TASK.format(**fields)
    else:
        if kind == 'budget':
            fields['extra'] = '        max_requests_per_second: %s\n' % args.limit
        text = MODULE_TASK.format(**fields)
    started = time.monotonic()
    rc, output = run_playbook(kind, text, hosts, tasks, workdir, args.forks)
    wall = time.monotonic() - started
    with simulator.reads_lock:
        reads = list(simulator.reads)
    counters = simulator.counters.snapshot()
    figures = dict(kind=kind, rc=rc, wall=wall, requests=counters['requests_total'], reads=reads)
    if rc != 0:
        if kind == 'budget' and 'max_requests_per_second' in output and 'nsupported' in output:
            figures['unsupported'] = True
            return figures
        figures['failed'] = [line for line in output.splitlines() if 'FAILED' in line or 'fatal:' in line][:5]
    times = [at for at, dummy, dummy in reads]
    first_seen = {}
    for at, task_id, dummy in sorted(reads):
        first_seen.setdefault(task_id, at)
    first_requests = set(first_seen.values())
    later = [t for t in times if t not in first_requests]
    noticed = {}
    for at, task_id, state in sorted(reads):
        if state == 'Completed':
            noticed.setdefault(task_id, at)
    late = sorted(noticed[t] - ends[t] for t in tasks if t in noticed)
    # A task that ended before its wait's first read measures the playbook's start-up, not the wait.
    watched = sorted(noticed[t] - ends[t] for t in tasks if t in noticed and first_seen[t] < ends[t])
    figures.update(
        completed=len(noticed), peak_100ms=peak(times, 0.1), peak_1s=peak(times, 1.0),
        later_peak_100ms=peak(later, 0.1), later_peak_1s=peak(later, 1.0), late=late, watched=watched)
    return figures


def report(figures, args, burst):
    forks = float(args.forks)
    name = dict(uri='uri + until (delay %s s)' % args.delay, module='module, no budget',
                budget='module, max_requests_per_second: %s' % args.limit)[figures['kind']]
    print('%s:' % name)
    if figures.get('unsupported'):
        print('    the module does not accept max_requests_per_second yet: run skipped')
        return
    if figures.get('failed'):
        print('    playbook failed (rc %d): %s' % (figures['rc'], ' | '.join(figures['failed'])))
    print('    requests %d, %d of %d tasks seen Completed, playbook %.1f s' % (
        figures['requests'], figures['completed'], args.hosts, figures['wall']))
    line = '    peak in 100 ms: %d (%.0f %% of forks), after the first round %d (%.0f %%)' % (
        figures['peak_100ms'], 100 * figures['peak_100ms'] / forks,
        figures['later_peak_100ms'], 100 * figures['later_peak_100ms'] / forks)
    print(line)
    line = '    peak in 1 s: %d (%.0f %% of forks), after the first round %d (%.0f %%)' % (
        figures['peak_1s'], 100 * figures['peak_1s'] / forks, figures['later_peak_1s'], 100 * figures['later_peak_1s'] / forks)
    if figures['kind'] == 'budget':
        line += '; limit %s: %.2fx the limit, %s limit + burst %d' % (
            args.limit, figures['peak_1s'] / args.limit,
            'within' if figures['peak_1s'] <= args.limit + burst else 'ABOVE', args.limit + burst)
    print(line)
    for label, values in (('every task', figures['late']), ('tasks watched before they ended', figures['watched'])):
        if values:
            print('    noticed the end late by (%s, %d): median %.2f s, max %.2f s' % (
                label, len(values), statistics.median(values), max(values)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=50)
    parser.add_argument('--forks', type=int, default=None, help='default: one per host')
    parser.add_argument('--limit', type=float, default=5.0, help='max_requests_per_second of the third run')
    parser.add_argument('--delay', type=float, default=2.0, help='fixed delay of the uri loop')
    parser.add_argument('--poll', type=float, default=2.0, help='poll_interval of the module')
    parser.add_argument('--max-poll', type=float, default=10.0, help='max_poll_interval of the module')
    parser.add_argument('--min-duration', type=float, default=15.0)
    parser.add_argument('--max-duration', type=float, default=35.0)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--runs', default='uri,module,budget', help='comma-separated subset of uri,module,budget')
    args = parser.parse_args()
    args.forks = args.forks or args.hosts

    from asyncops_simulators import kit

    workdir = tempfile.mkdtemp(prefix='asyncops-bench-many-forks-')
    simulator = recording_simulator()
    server, ca_path = kit.start_in_thread(simulator, os.path.join(workdir, 'tls'))
    sim = dict(simulator=simulator, port=server.port, ca_path=ca_path)
    # The documented default burst: one second's worth of requests.
    burst = max(1, int(math.ceil(args.limit)))
    try:
        runs = [measure(sim, kind, args, workdir) for kind in args.runs.split(',')]
        print('Many forks: %d hosts, forks %d, one Integration Server task each, durations %.0f-%.0f s (seed %d); '
              'module poll_interval %s s, max_poll_interval %s s' % (
                  args.hosts, args.forks, args.min_duration, args.max_duration, args.seed, args.poll, args.max_poll))
        for figures in runs:
            report(figures, args, burst)
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
