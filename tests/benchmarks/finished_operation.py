#!/usr/bin/env python
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One task on an operation that had already finished: the controller way, the target way and ansible.builtin.uri.

One real ansible-playbook run against in-process SolidFire and Integration Server simulators (HTTPS,
ca_path), with --repeat repetitions of six tasks, each doing one status read of an operation that
had finished before the playbook started:

- SolidFire: ansible.builtin.uri POST GetAsyncResult (keepResult: true); solidfire_async_result with
  async_handle and keep_result: true (so the handle stays readable), the default way (on the
  controller, for this local task) and with asyncops_jobs_run_on: target (the module on the target);
- Integration Server: ansible.builtin.uri GET tasks/{id}; integration_task (state: completed), both ways.

The order of the six tasks rotates from one repetition to the next, so that none always follows the
same neighbour; the first --warmup repetitions (which pay for loading plugins and packing modules
once) are left out. A callback (callback_plugins/task_durations.py) times each task in the
controller's main process, from the strategy starting it to its result arriving: what a user waits
for. Printed per vendor: the median task time of uri, the controller way and the target way, the
ratios controller/uri and target/uri, and each ratio's median over the repetitions (every repetition
measures all three within a few seconds of one another, so a load spike from other work on the
machine moves all three). Targets: controller <= 0.7 x uri, target <= 1.1 x uri (printed, not
enforced). Every module task must report the ran_on it was asked for, and every task must succeed:
the script exits 1 otherwise.

With --instructions, the module processes themselves are also counted, free of the machine's load:
one more run keeps its AnsiballZ files (ANSIBLE_KEEP_REMOTE_FILES), and each uri and target-way module
file is run again under valgrind's callgrind, which counts the instructions it executes (a few
minutes: callgrind runs code about 50 times slower). Printed per vendor: instructions of the uri
module, of the module, and their ratio.

    tests/benchmarks/run.sh finished_operation [--repeat 15 --warmup 1 --runs 1 --pipelining --instructions]
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'roles', 'simulators', 'files'))

TARGETS = dict(controller=0.7, target=1.1)
WAYS = ('uri', 'controller', 'target')

SOLIDFIRE_URI = """
    - name: solidfire uri {n}
      ansible.builtin.uri:
        url: https://127.0.0.1:{port}/json-rpc/12.3
        method: POST
        body_format: json
        body: {{method: GetAsyncResult, params: {{asyncHandle: {handle}, keepResult: true}}, id: 1}}
        url_username: {user}
        url_password: {password}
        force_basic_auth: true
        ca_path: {ca_path}
"""

SOLIDFIRE_MODULE = """
    - name: solidfire {way} {n}
      asyncops.jobs.solidfire_async_result:
        hostname: 127.0.0.1
        port: {port}
        username: {user}
        password: {password}
        ca_path: {ca_path}
        async_handle: {handle}
        keep_result: true
{vars}"""

INTEGRATION_URI = """
    - name: integration_server uri {n}
      ansible.builtin.uri:
        url: https://127.0.0.1:{port}/api/2.0/virtualization/tasks/{task_id}
        headers: {{Accept: application/xml}}
        url_username: {user}
        url_password: {password}
        force_basic_auth: true
        ca_path: {ca_path}
        return_content: true
"""

INTEGRATION_MODULE = """
    - name: integration_server {way} {n}
      asyncops.jobs.integration_task:
        host: 127.0.0.1
        port: {port}
        username: {user}
        password: {password}
        ca_path: {ca_path}
        task_id: {task_id}
        state: completed
{vars}"""

TARGET_VARS = """      vars:
        asyncops_jobs_run_on: target
"""

PLAY = """- hosts: localhost
  gather_facts: false
  tasks:
"""


def start_simulators(workdir):
    from asyncops_simulators import kit
    from asyncops_simulators.integration_server import IntegrationServerSimulator
    from asyncops_simulators.solidfire import SolidFireSimulator

    sims = {}
    for vendor, simulator in (('solidfire', SolidFireSimulator()), ('integration_server', IntegrationServerSimulator())):
        server, ca_path = kit.start_in_thread(simulator, os.path.join(workdir, 'tls-' + vendor))
        sims[vendor] = dict(simulator=simulator, server=server, port=server.port, ca_path=ca_path,
                            user=simulator.username, password=simulator.password)
    # Finished before the playbook starts: a clone of no duration, a task created a minute ago.
    sims['solidfire']['handle'] = sims['solidfire']['simulator'].create_operation({'duration': 0})['asyncHandle']
    sims['integration_server']['task_id'] = sims['integration_server']['simulator'].create_operation(
        {'duration': 1, 'created_ago': 60})['id']
    return sims


def playbook_text(sims, repeat):
    sf = dict((k, v) for k, v in sims['solidfire'].items() if k in ('port', 'ca_path', 'user', 'password', 'handle'))
    kis = dict((k, v) for k, v in sims['integration_server'].items()
               if k in ('port', 'ca_path', 'user', 'password', 'task_id'))
    templates = [
        lambda n: SOLIDFIRE_URI.format(n=n, **sf),
        lambda n: SOLIDFIRE_MODULE.format(n=n, way='controller', vars='', **sf),
        lambda n: SOLIDFIRE_MODULE.format(n=n, way='target', vars=TARGET_VARS, **sf),
        lambda n: INTEGRATION_URI.format(n=n, **kis),
        lambda n: INTEGRATION_MODULE.format(n=n, way='controller', vars='', **kis),
        lambda n: INTEGRATION_MODULE.format(n=n, way='target', vars=TARGET_VARS, **kis),
    ]
    text = PLAY
    for n in range(repeat):
        shift = n % len(templates)
        for template in templates[shift:] + templates[:shift]:
            text += template(n)
    return text


def run_playbook(sims, args, workdir, run, text=None, extra_env=None):
    playbook = os.path.join(workdir, 'finished-%s.yml' % run)
    with open(playbook, 'w') as f:
        f.write(text or playbook_text(sims, args.warmup + args.repeat))
    inventory = os.path.join(workdir, 'inventory.ini')
    with open(inventory, 'w') as f:
        # The interpreter of this venv for the target way and uri alike: no discovery, same Python.
        f.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    timings = os.path.join(workdir, 'timings-%s.jsonl' % run)
    env = dict(os.environ, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
               ANSIBLE_CALLBACKS_ENABLED='task_durations', ASYNCOPS_BENCH_TIMINGS=timings,
               ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_PIPELINING=str(bool(args.pipelining)))
    env.pop('ASYNCOPS_JOBS_RUN_ON', None)
    env.update(extra_env or {})
    log = os.path.join(workdir, 'finished-%s.log' % run)
    started = time.monotonic()
    with open(log, 'w') as out:
        rc = subprocess.call([shutil.which('ansible-playbook'), '-i', inventory, playbook],
                             stdout=out, stderr=subprocess.STDOUT, env=env)
    wall = time.monotonic() - started
    records = []
    if os.path.exists(timings):
        with open(timings) as f:
            records = [json.loads(line) for line in f if line.strip()]
    with open(log) as f:
        output = f.read()
    return rc, wall, records, output


def collect(records, warmup):
    """``{vendor: {way: [seconds per repetition]}}`` without the warm-up repetitions, and the problems seen."""
    figures = {}
    problems = []
    for record in records:
        vendor, way, n = record['name'].rsplit(' ', 2)
        if record['status'] != 'ok':
            problems.append('%s: %s (%s)' % (record['name'], record['status'], record.get('msg')))
        if way != 'uri' and record.get('ran_on') != way:
            problems.append('%s ran on %s, not on the %s' % (record['name'], record.get('ran_on'), way))
        if int(n) >= warmup:
            figures.setdefault(vendor, {}).setdefault(way, {})[int(n)] = record['seconds']
    return figures, problems


def report(figures):
    """Print the figures (a missed target is printed, not an error: timings depend on the machine)."""
    for vendor in ('solidfire', 'integration_server'):
        ways = figures.get(vendor, {})
        if not all(ways.get(way) for way in WAYS):
            print('%s: missing figures' % vendor)
            continue
        medians = dict((way, statistics.median(ways[way].values())) for way in WAYS)
        reps = sorted(set.intersection(*(set(ways[way]) for way in WAYS)))
        print('%s (%d repetitions): median task time uri %.0f ms, controller way %.0f ms, target way %.0f ms' % (
            vendor, len(reps), 1000 * medians['uri'], 1000 * medians['controller'], 1000 * medians['target']))
        for way in ('controller', 'target'):
            ratio = medians[way] / medians['uri']
            paired = statistics.median(ways[way][n] / ways['uri'][n] for n in reps)
            within = ratio <= TARGETS[way]
            print('    %s / uri: %.2f (median of per-repetition ratios %.2f; target <= %.1f: %s)' % (
                way, ratio, paired, TARGETS[way], 'met' if within else 'MISSED'))
        spread = dict((way, (min(ways[way].values()), max(ways[way].values()))) for way in WAYS)
        ranges = ['%s %.0f-%.0f ms' % (way, 1000 * spread[way][0], 1000 * spread[way][1]) for way in WAYS]
        print('    range: ' + ', '.join(ranges))


KEPT_ORDER = [('solidfire', 'uri'), ('solidfire', 'target'), ('integration_server', 'uri'),
              ('integration_server', 'target')]


def instructions(path):
    """Instructions one run of a kept AnsiballZ file executes, counted by callgrind (hash seed fixed)."""
    env = dict(os.environ, PYTHONHASHSEED='0')
    done = subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', sys.executable, path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, universal_newlines=True,
                          check=False)
    counted = re.search(r'Collected : (\d+)', done.stderr)
    answer = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else '{}'
    if done.returncode != 0 or not counted or '"failed": true' in answer:
        raise RuntimeError('%s did not run cleanly under callgrind (rc %d): %s' % (
            os.path.basename(path), done.returncode, (done.stderr or answer)[-300:]))
    return int(counted.group(1))


def count_instructions(sims, args, workdir):
    """``{(vendor, way): instructions}`` of the uri and target-way module runs of one kept repetition."""
    remote = os.path.join(workdir, 'remote')
    tasks = [task for task in playbook_text(sims, 1)[len(PLAY):].split('\n    - name: ') if task.strip()]
    kept = [t for t in tasks if t.split(' ', 2)[1] in ('uri', 'target')]
    # The order of KEPT_ORDER: repetition 0 is not rotated.
    text = PLAY + ''.join('\n    - name: ' + t for t in kept)
    rc, dummy, dummy, output = run_playbook(sims, args, workdir, 'kept', text=text, extra_env=dict(
        ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=remote))
    if rc != 0:
        raise RuntimeError('the playbook that keeps the module files failed: ' + output[-500:])
    files = sorted(glob.glob(os.path.join(remote, 'ansible-tmp-*', 'AnsiballZ_*.py')),
                   key=lambda p: float(os.path.basename(os.path.dirname(p)).split('-')[2]))
    if len(files) != len(KEPT_ORDER):
        raise RuntimeError('expected %d kept module files, found %d' % (len(KEPT_ORDER), len(files)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(instructions, files))
    return dict(zip(KEPT_ORDER, counts))


def report_instructions(counts):
    for vendor in ('solidfire', 'integration_server'):
        uri, target = counts[(vendor, 'uri')], counts[(vendor, 'target')]
        print('%s: instructions of one module run, uri %.0fM, target way %.0fM: target / uri %.2f' % (
            vendor, uri / 1e6, target / 1e6, target / float(uri)))


def load_average():
    try:
        return '%.1f' % os.getloadavg()[0]
    except OSError:
        return 'unknown'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--repeat', type=int, default=15, help='repetitions of the six tasks counted per run')
    parser.add_argument('--warmup', type=int, default=1, help='repetitions run first and left out')
    parser.add_argument('--runs', type=int, default=1, help='playbook runs; figures per run, then pooled')
    parser.add_argument('--pipelining', action='store_true', help='ANSIBLE_PIPELINING=True for uri and the target way')
    parser.add_argument('--instructions', action='store_true',
                        help='also count the instructions of one uri and one target-way module run (needs valgrind)')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (playbooks, logs, timings)')
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix='asyncops-bench-finished-')
    sims = start_simulators(workdir)
    pooled = {}
    ok = True
    try:
        print('Finished operation: one status read per task, %d repetitions (+%d warm-up) per run, %d run(s), '
              'pipelining %s, load average %s at the start' % (
                  args.repeat, args.warmup, args.runs, 'on' if args.pipelining else 'off', load_average()))
        for run in range(args.runs):
            rc, wall, records, output = run_playbook(sims, args, workdir, run)
            figures, problems = collect(records, args.warmup)
            print('run %d: playbook rc %d, %.1f s, load average %s at the end' % (run + 1, rc, wall, load_average()))
            if rc != 0 or problems:
                ok = False
                for problem in problems[:5]:
                    print('    PROBLEM: %s' % problem)
                if not records:
                    print('    no timings recorded; the playbook said:\n' + output[-2000:])
            report(figures)
            for vendor, ways in figures.items():
                for way, values in ways.items():
                    pooled.setdefault(vendor, {}).setdefault(way, {}).update(
                        ((run, n), seconds) for n, seconds in values.items())
        if args.runs > 1:
            print('pooled over %d runs:' % args.runs)
            report(pooled)
        if args.instructions:
            try:
                report_instructions(count_instructions(sims, args, workdir))
            except (OSError, RuntimeError) as err:
                ok = False
                print('instructions: not counted: %s' % err)
    finally:
        for sim in sims.values():
            sim['server'].shutdown()
            sim['server'].server_close()
        if args.keep:
            print('work directory kept: %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
