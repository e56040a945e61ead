# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault and bad-input matrix: real ``ansible-playbook -vvv`` runs against the simulators.

Every vendor meets every fault kind, and every module every kind of bad input (the cells are in
``tests/extra/matrix/fault_matrix_table.py``). Each vendor's cells are one playbook, written here from the
table and run once per way of running a task (on the controller, and as a module on the
target); the five playbooks of one way run at the same time, against one simulator process
started with the simulators' CLI. The ``matrix_cells`` callback (``tests/extra/matrix/
callback_plugins``) injects each cell's faults, measures it and reads the simulator's counters
around it, so each cell stays one task.

Each cell asserts what the public contract (shared options, result keys, where a task runs)
promises: the outcome (``failed``, ``status``, ``reason``, ``timed_out``, ``ran_on``), the
duration bound (``wait_timeout`` + one ``request_timeout``, plus what starting a task costs
here), that bad input sent nothing, one readable sentence in ``msg``, no traceback.
``test_output_has_no_secret_and_no_traceback`` reads the whole ``-vvv`` output of each playbook
for tracebacks and for every secret, in clear, URL-encoded once and twice, and inside HTTP Basic
credentials.
"""

import base64
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SIMULATORS = os.path.join(ROOT, 'roles', 'simulators', 'files')
MATRIX = os.path.join(HERE, 'matrix')
sys.path.insert(0, MATRIX)

import fault_matrix_table as table  # noqa: E402  pylint: disable=wrong-import-position,import-error

MODES = ['controller', 'target']
# What a task costs before and after its own work (a fork, on the target way the module's own
# Python) is measured in each run, because the two cores are shared: the 90th percentile of its
# bad-input cells, which wait for nothing and send nothing. On top of that, a cell may take its
# bound (wait_timeout + request_timeout) plus SLACK; a cell that must fail at once (bad input,
# terminal answers) only FAST, far below the 20 s wait_timeout every such cell has, so a task
# that waited for its deadline cannot pass.
SLACK = 3.0
FAST = 5.0
# The module's own ``elapsed`` has no process start in it: a tighter bound.
ELAPSED_SLACK = 0.5
# After the wait has ended, ansible-core serialises, ships and registers the result; a result of
# one entry per id over thousands of ids (hundreds of KB) costs seconds of that on a loaded
# machine. That time is not the wait's (``elapsed`` above stays strictly bounded), so the task's
# wall time may have this much more per MB of result.
RESULT_SECONDS_PER_MB = 15.0
MSG_FORBIDDEN = ('Traceback', 'HTTPSConnectionPool', 'Max retries exceeded')
PLAYBOOK_TIMEOUT = 900
# The result keys a failing cell shows.
OBSERVED = ('msg', 'reason', 'status', 'timed_out', 'ran_on', 'changed', 'elapsed', 'attempts')


# --------------------------------------------------------------------------- the simulators

class Simulators:
    """The five vendors' simulators in one process, started with the simulators' CLI."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SIMULATORS, MATRIX,
                                                                             os.environ.get('PYTHONPATH')])),
                        ASYNCOPS_SIMULATORS_EXTRA='ksc=matrix_doubles:Ksc,sbc=matrix_doubles:Sbc')
        answer = subprocess.run(
            [sys.executable, '-m', 'asyncops_simulators', 'start', '--vendors', ','.join(table.VENDORS),
             '--state-dir', state_dir, '--idle-timeout', '600'],
            env=self.env, capture_output=True, text=True, timeout=60, check=False)
        if answer.returncode != 0:
            log = os.path.join(state_dir, 'simulators.log')
            tail = open(log).read()[-2000:] if os.path.exists(log) else ''
            pytest.fail('the simulators did not start: %s %s' % (answer.stderr, tail))
        state = json.loads(answer.stdout.strip().splitlines()[-1])
        self.ports = state['ports']
        self.ca_path = state['ca_path']
        self.context = ssl.create_default_context(cafile=self.ca_path)

    def base_url(self, vendor):
        return 'https://127.0.0.1:%d' % self.ports[vendor]

    def request(self, vendor, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url(vendor) + path, data=data,
                                         method='GET' if body is None else 'POST',
                                         headers=dict({'Content-Type': 'application/json'}, **(headers or {})))
        with urllib.request.urlopen(request, context=self.context, timeout=10) as answer:
            return json.loads(answer.read().decode() or 'null')

    def control(self, vendor, action, body=None):
        return self.request(vendor, '/_sim/' + action, body)

    def stop(self):
        subprocess.run([sys.executable, '-m', 'asyncops_simulators', 'stop', '--state-dir', self.state_dir],
                       env=self.env, capture_output=True, timeout=30, check=False)


def _configure_accounts(sims):
    """The matrix's own secrets, with the characters URL-encoding changes (fault_matrix_table.PASSWORDS)."""
    sims.control('ksc', 'config', {'users': [{'name': table.USERS['ksc'], 'password': table.PASSWORDS['ksc'],
                                              'internal': True}]})
    for vendor in ('sbc', 'solidfire', 'integration_server'):
        sims.control(vendor, 'config', {'username': table.USERS[vendor], 'password': table.PASSWORDS[vendor]})
    sims.control('sas', 'config', {'access_keys': table.SAS_KEYS})


def _ksc_authorization():
    def b64(text):
        return base64.b64encode(text.encode()).decode()
    return 'KSCBasic user="%s", pass="%s", internal="1"' % (b64(table.USERS['ksc']), b64(table.PASSWORDS['ksc']))


class Prep:
    """Resolves a vendor's :class:`~fault_matrix_table.Op` and :class:`~fault_matrix_table.Session`: just before its run."""

    def __init__(self, sims, vendor):
        self.sims = sims
        self.vendor = vendor
        self.sessions = {}

    def session(self, placeholder):
        if placeholder.name not in self.sessions:
            answer = self.sims.request('ksc', '/api/v1.0/Session.StartSession', {},
                                       {'Authorization': _ksc_authorization()})
            session_id = answer['PxgRetVal']
            if placeholder.ended:
                self.sims.request('ksc', '/api/v1.0/Session.EndSession', {}, {'X-KSC-Session': session_id})
            self.sessions[placeholder.name] = session_id
        return self.sessions[placeholder.name]

    def operation(self, op):
        vendor = self.vendor
        if vendor == 'ksc':
            return self.sims.control(vendor, 'operations',
                                     dict(op.spec, session_id=self.session(table.Session(op.session))))['guid']
        if op.count is None:
            return self.sims.control(vendor, 'operations', op.spec)['id']
        if vendor == 'solidfire':
            spec = dict(op.spec)
            return self.sims.control(vendor, 'operations', dict(spec, durations=[spec.pop('duration')] * op.count))['ids']
        return self.sims.control(vendor, 'operations', dict(op.spec, count=op.count))['ids']

    def resolve(self, value):
        if isinstance(value, table.Op):
            return self.operation(value)
        if isinstance(value, table.Session):
            return self.session(value)
        if isinstance(value, dict):
            return dict((k, self.resolve(v)) for k, v in value.items() if v is not table.DROP)
        if isinstance(value, (list, tuple)):
            return [self.resolve(v) for v in value]
        if isinstance(value, str) and '{port}' in value:
            return value.replace('{port}', str(self.sims.ports[self.vendor]))
        return value


def connection(sims, vendor):
    port = sims.ports[vendor]
    if vendor == 'sas':
        return {'access_key_id': table.SAS_KEY_ID, 'access_key_secret': table.SAS_SECRET,
                'security_token': table.SAS_TOKEN, 'endpoint': '127.0.0.1:%d' % port, 'ca_path': sims.ca_path}
    host_key = 'hostname' if vendor == 'solidfire' else 'host'
    return {host_key: '127.0.0.1', 'port': port, 'username': table.USERS[vendor],
            'password': table.PASSWORDS[vendor], 'ca_path': sims.ca_path}


def task_args(sims, cell):
    args = connection(sims, table.MODULE_VENDOR[cell.module])
    if cell.module in table.WAITING:
        args.update(table.WAIT_DEFAULTS)
    args.update(cell.args)
    return args


# --------------------------------------------------------------------------- one playbook

class Run:
    """One vendor's cells as one playbook, run one way (``mode``)."""

    def __init__(self, sims, vendor, mode, workdir, collections):
        self.vendor = vendor
        self.mode = mode
        self.cells = table.vendor_cells(vendor, mode)
        prep = Prep(sims, vendor)
        self.args = {}
        plan = {'base_url': sims.base_url(vendor), 'ca_path': sims.ca_path, 'issued': vendor in ('ksc', 'sbc'),
                'cells': {}}
        tasks = []
        secret_vars = {}
        for cell in self.cells:
            args = prep.resolve(task_args(sims, cell))
            self.args[cell.id] = args
            args = _by_reference(args, set(prep.sessions.values()) | SECRETS, secret_vars)
            plan['cells'][cell.id] = {'setup': prep.resolve(cell.setup), 'teardown': prep.resolve(cell.teardown)}
            tasks.append({'name': 'cell ' + cell.id, 'asyncops.jobs.' + cell.module: args, 'ignore_errors': True})
        self.known_sessions = list(prep.sessions.values())
        play = {'name': 'fault matrix: %s, %s' % (vendor, mode), 'hosts': 'localhost', 'connection': 'local',
                'gather_facts': False, 'vars': {'ansible_python_interpreter': sys.executable}, 'tasks': tasks}
        if mode == 'target':
            play['vars']['asyncops_jobs_run_on'] = 'target'
        os.makedirs(workdir)
        self.playbook = os.path.join(workdir, 'matrix.yml')
        with open(self.playbook, 'w') as f:
            yaml.safe_dump([play], f, sort_keys=False, width=200)
        plan_path = os.path.join(workdir, 'plan.json')
        with os.fdopen(os.open(plan_path, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as f:
            json.dump(plan, f)
        secrets_path = os.path.join(workdir, 'secrets.json')
        with os.fdopen(os.open(secrets_path, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as f:
            json.dump(secret_vars, f)
        self.results_path = os.path.join(workdir, 'results.json')
        env = dict((k, v) for k, v in os.environ.items() if not _is_connection_variable(k))
        env.update(ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_CALLBACK_PLUGINS=os.path.join(MATRIX, 'callback_plugins'),
                   ANSIBLE_CALLBACKS_ENABLED='matrix_cells', ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                   ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'tmp'), ANSIBLE_RETRY_FILES_ENABLED='0',
                   ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_PIPELINING='1', MATRIX_PLAN=plan_path, MATRIX_RESULTS=self.results_path)
        env.pop('ASYNCOPS_JOBS_RUN_ON', None)
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-vvv', '-i', 'localhost,',
                   '-e', '@' + secrets_path, self.playbook]
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.output = ''
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        self.output = self.process.stdout.read()

    def finish(self):
        try:
            self.process.wait(timeout=PLAYBOOK_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(30)
        self.seconds = round(time.monotonic() - self.started, 1)
        try:
            with open(self.results_path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            data = {'cells': {}, 'issued': []}
        with open(os.path.join(os.path.dirname(self.results_path), 'output.txt'), 'w') as f:
            f.write(self.output)
        self.records = data['cells']
        self.issued = data['issued']
        return self


SECRETS = set(table.PASSWORDS.values()) | {table.SAS_SECRET, table.SAS_TOKEN}


def _by_reference(args, secrets, secret_vars):
    """``args`` with every secret replaced by a variable, as a playbook would take it from a vault.

    ansible-core prints the task's source lines with an error: a secret written into the
    playbook itself would show there, which is the playbook's leak, not the module's.
    """
    out = {}
    for key, value in args.items():
        if isinstance(value, str) and value in secrets:
            name = next((k for k, v in secret_vars.items() if v == value), None)
            if name is None:
                name = 'matrix_secret_%d' % len(secret_vars)
                secret_vars[name] = value
            value = '{{ %s }}' % name
        out[key] = value
    return out


def _is_connection_variable(name):
    from ansible_collections.asyncops.jobs.plugins.module_utils import argspec
    return any(name in argspec.environment_variables(vendor, option)
               for vendor, options in argspec.CONNECTION_SPECS.items() for option in options)


@pytest.fixture(scope='module')
def matrix(tmp_path_factory):
    collections = tmp_path_factory.mktemp('matrix-collections')
    os.makedirs(str(collections / 'ansible_collections' / 'asyncops'))
    os.symlink(ROOT, str(collections / 'ansible_collections' / 'asyncops' / 'jobs'))
    # One simulator process per way of running: each way's counters, faults and revoked passwords are its own.
    sims = dict((mode, Simulators(str(tmp_path_factory.mktemp('matrix-simulators-' + mode)))) for mode in MODES)
    runs = {}

    def get(mode):
        # Both ways at once, ten playbooks: most of a cell's time is spent waiting, not computing.
        if not runs:
            started = []
            for each in MODES:
                _configure_accounts(sims[each])
                base = str(tmp_path_factory.mktemp('matrix-' + each))
                started += [Run(sims[each], vendor, each, os.path.join(base, vendor), str(collections))
                            for vendor in table.VENDORS]
            for run in started:
                runs.setdefault(run.mode, {})[run.vendor] = run.finish()
        return runs[mode]
    yield get
    for each in sims.values():
        each.stop()


# --------------------------------------------------------------------------- the assertions

def _delta(record):
    before = record['before'].get('requests_by_endpoint', {})
    after = record['after'].get('requests_by_endpoint', {})
    return dict((k, after.get(k, 0) - before.get(k, 0)) for k in after if after.get(k, 0) != before.get(k, 0))


def _number(value, default):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return value if 0 < value < 3600 else default


def cell_problems(cell, record, args, mode, overhead):
    """Every way the recorded cell breaks the contract, as readable lines (empty: the cell holds)."""
    expect = cell.expect
    result = record['result']
    failed = record['outcome'] == 'failed'
    problems = ['harness: %s' % e for e in record.get('harness_errors', [])]
    if record['outcome'] not in ('ok', 'failed'):
        problems.append('task ended %s' % record['outcome'])
    if expect.failed is not None and failed != expect.failed:
        problems.append('failed is %s, expected %s' % (failed, expect.failed))
    if expect.reasons and failed and result.get('reason') not in expect.reasons:
        problems.append('reason is %r, expected %s' % (result.get('reason'), ' or '.join(expect.reasons)))
    if not failed and 'reason' in result:
        problems.append('reason %r on success' % result['reason'])
    if expect.status is not None and result.get('status') != expect.status:
        problems.append('status is %r, expected %r' % (result.get('status'), expect.status))
    if expect.changed is not None and result.get('changed') != expect.changed:
        problems.append('changed is %r, expected %r' % (result.get('changed'), expect.changed))
    if cell.module in table.WAITING:
        timed_out = expect.timed_out
        if timed_out is None:
            timed_out = failed and result.get('reason') == 'timed_out'
        if result.get('timed_out') is not timed_out:
            problems.append('timed_out is %r, expected %r' % (result.get('timed_out'), timed_out))
    if result.get('ran_on') != mode:
        problems.append('ran_on is %r, expected %r' % (result.get('ran_on'), mode))

    request_timeout = _number(args.get('request_timeout'), 2.0)
    if cell.module in table.WAITING:
        wait_timeout = _number(args.get('wait_timeout'), table.WAIT_DEFAULTS['wait_timeout'])
        bound = wait_timeout + request_timeout
    else:
        bound = request_timeout
    if isinstance(result.get('elapsed'), (int, float)) and result['elapsed'] > bound + ELAPSED_SLACK:
        problems.append('elapsed %.1f s is over the bound of %.1f s' % (result['elapsed'], bound))
    result_cost = RESULT_SECONDS_PER_MB * len(json.dumps(result)) / 1e6
    limit = (FAST if expect.fast else bound + SLACK) + overhead + result_cost
    if record['duration'] > limit:
        problems.append('the task took %.1f s, more than %.1f s (%.1f s of them for starting a task in this run)'
                        % (record['duration'], limit, overhead))

    sent = _delta(record)
    if expect.sent_nothing and sent:
        problems.append('bad input reached the simulator: %s' % sent)
    if expect.starts_nothing:
        pattern = table.START_ENDPOINTS[table.MODULE_VENDOR[cell.module]]
        started = dict((k, v) for k, v in sent.items() if re.search(pattern, k))
        if started:
            problems.append('something was started: %s' % started)

    def grown(name):
        return record['after'].get(name, 0) - record['before'].get(name, 0)

    for name, most in expect.counters.items():
        if grown(name) > most:
            problems.append('counter %s grew by %s (at most %s)' % (name, grown(name), most))
    vendor = table.MODULE_VENDOR[cell.module]
    if vendor == 'ksc' and grown('early_checks'):
        problems.append('%d KSC checks came before lNextCheckDelay' % grown('early_checks'))
    if vendor == 'sbc' and grown('locks_taken') != grown('locks_released'):
        problems.append('SBC lock taken %d times, released %d times' % (grown('locks_taken'), grown('locks_released')))

    msg = result.get('msg')
    if failed:
        if not isinstance(msg, str) or not msg.strip():
            problems.append('no msg')
        else:
            if '\n' in msg:
                problems.append('msg has a newline')
            if len(msg) >= 400:
                problems.append('msg is %d characters long' % len(msg))
            for word in MSG_FORBIDDEN:
                if word in msg:
                    problems.append('msg contains %r' % word)
    text = (msg or '').lower()
    for word in expect.msg_has:
        if word.lower() not in text:
            problems.append('msg does not say %r' % word)
    if expect.msg_any and not any(word.lower() in text for word in expect.msg_any):
        problems.append('msg names none of %s' % ', '.join(expect.msg_any))
    for word in expect.msg_lacks:
        if word.lower() in text:
            problems.append('msg says %r' % word)
    dumped = json.dumps(result)
    # ansible-core 2.19 adds exception: "(traceback unavailable)" to every failed action result.
    if 'Traceback' in dumped or 'module_stderr' in result or result.get('exception') not in (None, '(traceback unavailable)'):
        problems.append('a traceback or module_stderr in the result')
    return problems


def task_overhead(run):
    """Seconds a task that waits for nothing takes in this run (90th percentile of the bad-input cells)."""
    quick = sorted(run.records[c.id]['duration'] for c in run.cells
                   if c.id in run.records and c.expect.reasons == ('invalid_options',))
    return quick[len(quick) * 9 // 10] if quick else 0.0


def _cases():
    return [(mode, vendor, cell.id) for mode in MODES for vendor in table.VENDORS
            for cell in table.vendor_cells(vendor, mode)]


@pytest.mark.parametrize('mode, vendor, cell_id', _cases())
def test_cell(matrix, mode, vendor, cell_id):
    run = matrix(mode)[vendor]
    cell = next(c for c in run.cells if c.id == cell_id)
    record = run.records.get(cell_id)
    if record is None:
        pytest.fail('the cell did not run (playbook exit %s after %s s); output ends:\n%s'
                    % (run.process.returncode, run.seconds, run.output[-3000:]))
    problems = cell_problems(cell, record, run.args[cell_id], mode, task_overhead(run))
    observed = dict((k, record['result'][k]) for k in OBSERVED if k in record['result'])
    assert not problems, '%s; observed %s in %.1f s: %s' % (
        '; '.join(problems), record['outcome'], record['duration'], json.dumps(observed)[:1500])


def _encodings(secret):
    once = urllib.parse.quote(secret, safe='')
    return {secret, once, urllib.parse.quote(once, safe=''), urllib.parse.quote_plus(secret),
            urllib.parse.quote_plus(urllib.parse.quote_plus(secret))}


def _secrets(run):
    vendor = run.vendor
    secrets = set(run.known_sessions) | set(run.issued)
    if vendor == 'sas':
        secrets |= {table.SAS_SECRET, table.SAS_TOKEN}
    else:
        secrets.add(table.PASSWORDS[vendor])
        secrets.add(base64.b64encode(table.PASSWORDS[vendor].encode()).decode())
        secrets.add(base64.b64encode(('%s:%s' % (table.USERS[vendor], table.PASSWORDS[vendor])).encode()).decode())
    # ksc_session state=present returns its session id: that is its purpose, not a leak.
    for record in run.records.values():
        if record['id'].startswith('ksc_session_present') and isinstance(record['result'].get('session_id'), str):
            secrets.discard(record['result']['session_id'])
    found = set()
    for secret in secrets:
        for form in _encodings(secret):
            if form and form in run.output:
                found.add(form)
    return found


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('vendor', table.VENDORS)
def test_output_has_no_secret_and_no_traceback(matrix, mode, vendor):
    run = matrix(mode)[vendor]
    assert run.records, 'the playbook recorded no cell; output ends:\n%s' % run.output[-3000:]
    leaked = _secrets(run)
    assert not leaked, 'secrets in the -vvv output: %s' % ', '.join(
        '%s...(%d chars) near %r' % (s[:4], len(s), _context(run.output, s)) for s in sorted(leaked))
    assert 'Traceback (most recent call last)' not in run.output, _context(run.output, 'Traceback', 1500)


def _context(text, needle, width=200):
    at = text.find(needle)
    return text[max(0, at - width):at + width].replace(needle, '<HERE>') if at >= 0 else ''
