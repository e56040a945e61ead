#!/usr/bin/env python
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""KSC lNextCheckDelay as a floor: a real ansible-playbook run of ksc_async_wait on a 10 s action with a 1000 ms hint.

Prints the checks the module made against the ideal T/h + 1 (the baseline), the simulator's early-check
count (must be 0), and how late the module returned after the action finished, measured twice:
on the server (finalizing check minus the action's end) and in the module (wait elapsed minus duration).

    tests/benchmarks/run.sh ksc_hint_floor

Options: --duration (10), --hint-ms (1000), --runs (1). Exits 1 if any check came early.
"""

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIMULATORS = os.path.join(ROOT, 'roles', 'simulators', 'files')
CHECK_ENDPOINT = 'POST /api/v1.0/AsyncActionStateChecker.CheckActionState'

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - asyncops.jobs.ksc_async_wait:
        host: 127.0.0.1
        port: {port}
        ca_path: {ca_path}
        username: ksc-admin
        password: Sim-KSC-pass-42
        method: HostGroup.RemoveGroup
        params: {{nGroup: 17, nFlags: 1}}
        poll_interval: 0.2
        wait_timeout: 120
      register: waited
    - ansible.builtin.copy:
        content: "{{{{ waited | to_json }}}}"
        dest: {result_path}
        mode: "0600"
"""


def simulators(command, state_dir, *extra):
    env = dict(os.environ, PYTHONPATH=SIMULATORS)
    out = subprocess.run([sys.executable, '-m', 'asyncops_simulators', command, '--state-dir', state_dir] + list(extra),
                         env=env, check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return json.loads(out)


def control(state, path, body=None):
    url = 'https://%s:%d/_sim/%s' % (state['host'], state['ports']['ksc'], path)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method='POST' if data else 'GET',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=state['ca_path'])) as answer:
        return json.load(answer)


def one_run(state, work, duration, hint_ms):
    control(state, 'reset', {})
    control(state, 'operations', {'duration': duration, 'next_check_delay_ms': hint_ms})
    result_path = os.path.join(work, 'result.json')
    playbook = os.path.join(work, 'bench.yml')
    with open(playbook, 'w') as f:
        f.write(PLAYBOOK.format(port=state['ports']['ksc'], ca_path=state['ca_path'], result_path=result_path))
    subprocess.run(['ansible-playbook', '-i', 'localhost,', playbook, '-e', 'ansible_python_interpreter=%s' % sys.executable],
                   check=True, stdout=subprocess.DEVNULL)
    with open(result_path) as f:
        result = json.load(f)
    counters = control(state, 'counters')
    return {
        'status': result['status'],
        'module_attempts': result['attempts'],
        'server_checks': counters['requests_by_endpoint'].get(CHECK_ENDPOINT, 0),
        'early_checks': counters['early_checks'],
        'late_server_ms': counters.get('last_finalized_late_ms'),
        'late_module_ms': round(1000 * (result['elapsed'] - duration), 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--duration', type=float, default=10.0)
    parser.add_argument('--hint-ms', type=int, default=1000)
    parser.add_argument('--runs', type=int, default=1)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='ksc-bench-')
    state_dir = os.path.join(work, 'sim')
    state = simulators('start', state_dir, '--vendors', 'ksc')
    try:
        runs = [one_run(state, work, args.duration, args.hint_ms) for dummy in range(args.runs)]
    finally:
        simulators('stop', state_dir)
        shutil.rmtree(work, ignore_errors=True)
    ideal = int(args.duration * 1000 // args.hint_ms) + 1
    print('action %.1f s, hint %d ms; baseline (ideal checks T/h + 1) = %d' % (args.duration, args.hint_ms, ideal))
    for number, run in enumerate(runs, 1):
        print('run %d: status=%s checks=%d (module attempts %d, %.2f x baseline) early_checks=%d '
              'late: %.0f ms after the action ended (server), %.0f ms (module elapsed - duration)'
              % (number, run['status'], run['server_checks'], run['module_attempts'], run['server_checks'] / float(ideal),
                 run['early_checks'], run['late_server_ms'], run['late_module_ms']))
    return 1 if any(run['early_checks'] for run in runs) else 0


if __name__ == '__main__':
    sys.exit(main())
