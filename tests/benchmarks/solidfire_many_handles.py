#!/usr/bin/env python
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SolidFire: many async handles finishing at random times, solidfire_async_result against a playbook loop.

Both sides are real ansible-playbook runs against the SolidFire simulator (HTTPS, ca_path):

- module:   one solidfire_async_result task with async_handles (one ListAsyncResults per round,
            one purging GetAsyncResult per handle once it completes);
- baseline: the same wait written as a playbook loop: ansible.builtin.uri GetAsyncResult per handle,
            until complete, retries/delay (the way the existing SolidFire collection waits, one
            handle at a time). A loop item costs the controller a fork, so the baseline runs on
            --baseline-handles (default 100) unless told otherwise; the module runs on both sizes.

Each run creates its handles with durations uniform in (0, --spread] s (seeded), then starts the playbook.
Printed per run: HTTP requests (and against rounds + handles), wall time from the handles' creation
to the last request the wait made and to the playbook's exit (each against the ideal: last completion
+ one poll interval; the exit includes ansible-playbook's own start and stop), and the peak RSS
of the largest process of the playbook run (controller, fork or module). Ratios against the baseline
are taken at the same number of handles.

    tests/benchmarks/run.sh solidfire_many_handles

Options: --handles (1000), --baseline-handles (100; 0 skips the baseline), --spread (10), --poll (0.5), --seed (1).
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'roles', 'simulators', 'files'))

USER = 'sf-admin'
PASSWORD = 'Sim-SolidFire-pass-42'

MODULE_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - asyncops.jobs.solidfire_async_result:
        hostname: 127.0.0.1
        port: {port}
        ca_path: {ca_path}
        username: {user}
        password: {password}
        async_handles: "{{{{ handles }}}}"
        poll_interval: {poll}
        max_poll_interval: {poll}
        wait_timeout: 600
      register: waited
    - ansible.builtin.copy:
        content: "{{{{ waited | combine({{'results': []}}) | to_json }}}}"
        dest: {result_path}
        mode: "0600"
"""

BASELINE_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.uri:
        url: https://127.0.0.1:{port}/json-rpc/12.3
        method: POST
        url_username: {user}
        url_password: {password}
        force_basic_auth: true
        ca_path: {ca_path}
        body_format: json
        body: {{method: GetAsyncResult, params: {{asyncHandle: "{{{{ item | int }}}}"}}, id: 1}}
      loop: "{{{{ handles }}}}"
      register: polled
      until: polled.json.result is defined and polled.json.result.status == 'complete'
      retries: 1000
      delay: {poll}
"""

# Runs the playbook and reports the peak RSS of its largest process (ru_maxrss of waited-for children, KiB).
_RSS_WRAPPER = ('import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); '
                'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)')


def run_playbook(text, handles, workdir, name):
    playbook = os.path.join(workdir, name + '.yml')
    with open(playbook, 'w') as f:
        f.write(text)
    extra = os.path.join(workdir, name + '-vars.json')
    with open(extra, 'w') as f:
        json.dump({'handles': handles}, f)
    command = [sys.executable, '-c', _RSS_WRAPPER, shutil.which('ansible-playbook'), '-i', 'localhost,', playbook,
               '-e', '@' + extra, '-e', 'ansible_python_interpreter=' + sys.executable]
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                               check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-3000:])
        raise SystemExit('%s playbook failed' % name)
    return int(completed.stdout.strip().splitlines()[-1])


def measure(sim, kind, count, args, workdir):
    sim.simulator.faults = []
    sim.simulator.counters.reset()
    sim.simulator.reset()
    rng = random.Random(args.seed)
    durations = [rng.uniform(0.01, args.spread) for dummy in range(count)]
    created = time.monotonic()
    handles = sim.simulator.create_operation({'durations': durations})['ids']
    result_path = os.path.join(workdir, kind + '-result.json')
    template = MODULE_PLAYBOOK if kind == 'module' else BASELINE_PLAYBOOK
    text = template.format(port=sim.port, ca_path=sim.ca_path, user=USER, password=PASSWORD, poll=args.poll,
                           result_path=result_path)
    peak_kib = run_playbook(text, handles, workdir, '%s-%d' % (kind, count))
    wall = time.monotonic() - created
    # The simulator stamps every request; the last one is when the wait learnt the last completion.
    wait_wall = sim.simulator.last_request_at - created
    counters = sim.simulator.counters.snapshot()
    ideal = max(durations) + args.poll
    figures = dict(kind=kind, handles=count, requests=counters['requests_total'],
                   by_method=counters['requests_by_endpoint'], wall=wall, wait_wall=wait_wall, ideal=ideal, peak_mib=peak_kib / 1024.0)
    if kind == 'module':
        with open(result_path) as f:
            waited = json.load(f)
        figures['rounds'] = waited['attempts']
        figures['succeeded'] = waited['summary']['succeeded']
    else:
        figures['rounds'] = None
        figures['succeeded'] = counters.get('purged', 0)
    return figures


def report(figures):
    line = '%-8s N=%-5d requests=%-6d' % (figures['kind'], figures['handles'], figures['requests'])
    if figures['rounds'] is not None:
        line += ' (rounds %d + handles %d = %d; ratio %.2f)' % (
            figures['rounds'], figures['handles'], figures['rounds'] + figures['handles'],
            figures['requests'] / float(figures['rounds'] + figures['handles']))
    line += ' peak_rss=%.1f MiB succeeded=%d' % (figures['peak_mib'], figures['succeeded'])
    print(line)
    print('         ideal=%.2fs; last request at %.2fs (ratio %.2f); playbook exit at %.2fs (ratio %.2f)' % (
        figures['ideal'], figures['wait_wall'], figures['wait_wall'] / figures['ideal'],
        figures['wall'], figures['wall'] / figures['ideal']))
    print('         requests by method: %s' % json.dumps(figures['by_method'], sort_keys=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--handles', type=int, default=1000)
    parser.add_argument('--baseline-handles', type=int, default=100)
    parser.add_argument('--spread', type=float, default=10.0)
    parser.add_argument('--poll', type=float, default=0.5)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()

    from asyncops_simulators import kit
    from asyncops_simulators.solidfire import SolidFireSimulator

    workdir = tempfile.mkdtemp(prefix='asyncops-bench-solidfire-')
    server, ca_path = kit.start_in_thread(SolidFireSimulator(), os.path.join(workdir, 'tls'))

    sim = types.SimpleNamespace(simulator=server.simulator, port=server.port, ca_path=ca_path)
    try:
        runs = []
        if args.baseline_handles:
            runs.append(measure(sim, 'baseline', args.baseline_handles, args, workdir))
            runs.append(measure(sim, 'module', args.baseline_handles, args, workdir))
        if args.handles != args.baseline_handles:
            runs.append(measure(sim, 'module', args.handles, args, workdir))
        print('SolidFire many handles: spread %.1f s, poll %.2f s, seed %d' % (args.spread, args.poll, args.seed))
        for figures in runs:
            report(figures)
        if args.baseline_handles:
            base, mod = runs[0], runs[1]
            print('module / baseline at N=%d: requests %.3f, wait wall %.3f, playbook wall %.3f, peak RSS %.3f' % (
                args.baseline_handles, mod['requests'] / float(base['requests']), mod['wait_wall'] / base['wait_wall'],
                mod['wall'] / base['wall'], mod['peak_mib'] / base['peak_mib']))
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
