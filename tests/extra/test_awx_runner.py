# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jobs run the way AWX runs them: credentials injected by the shipped credential types.

For every vendor, ``extensions/awx/credential_types/<vendor>.yml`` is

1. checked against the modules' environment fallbacks (``argspec.CONNECTION_SPECS``), so a
   rename on either side fails here (``test_credential_type_matches_argspec``);
2. validated the way AWX validates a credential type on POST (the AWX double's checks) and
   injected the way AWX injects a credential into a job (``awx_inject``, after
   ``CredentialType.inject_credential`` in awx/main/models/credential: ``file`` templates
   rendered into ``<private_data_dir>/env`` and exposed as ``tower.filename.<name>``, ``env``
   rendered in Jinja's immutable sandbox, inputs left blank absent from the namespace);
3. used for a real job through ``ansible_runner.run()`` against that vendor's simulator, with
   certificate validation on and the simulator's CA given as the credential's CA certificate,
   on a playbook that has no connection option at all (``test_job_succeeds_with_injected_credential``).

``test_credential_type_playbook_is_idempotent`` runs ``playbooks/awx_credential_types.yml``
against the AWX double: created, then unchanged, then one description edited and updated.

Each vendor is one entry of ``CASES``: the module, its arguments (never a connection option),
the credential's inputs, and the control-API call that creates the operation to wait on.
"""

import copy
import json
import os
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import urllib.request

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES_DIR = os.path.join(ROOT, 'extensions', 'awx', 'credential_types')
SIMULATORS = os.path.join(ROOT, 'roles', 'simulators', 'files')
# The AWX API double is a test fixture (it does not ship): registered with the simulators' CLI from here.
DOUBLES = os.path.join(ROOT, 'tests', 'extra', 'doubles')
VENDORS = ['ksc', 'sbc', 'solidfire', 'sas', 'integration_server']
WAIT_ARGS = {'poll_interval': 0.2, 'max_poll_interval': 0.5, 'wait_timeout': 30}


def _argspec():
    from ansible_collections.asyncops.jobs.plugins.module_utils import argspec
    return argspec


def load_type(vendor):
    with open(os.path.join(TYPES_DIR, vendor + '.yml')) as f:
        return yaml.safe_load(f)


# --------------------------------------------------------------------------- the vendor table

class Case:
    """One vendor's job: ``prepare(sim)`` creates the operation and returns extra module args."""

    def __init__(self, module, args, inputs, prepare, expect=None):
        self.module = module
        self.args = args
        self.inputs = inputs          # port -> credential inputs (no CA: the test adds it)
        self.prepare = prepare        # Simulator -> dict merged into args
        self.expect = expect or {}    # result keys that must have these values


def _queue(sim, spec):
    """KSC: the operation is queued for the next async method the module calls; no id to pass."""
    sim.control('operations', spec)
    return {}


def _configure(sim, settings):
    sim.control('config', settings)
    return {}


CASES = {
    'ksc': Case(
        module='asyncops.jobs.ksc_async_wait',
        args={'method': 'HostGroup.RemoveGroup', 'params': {'nGroup': 17, 'nFlags': 1}},
        inputs=lambda port: {'host': '127.0.0.1', 'port': str(port), 'username': 'ksc-admin',
                             'password': 'Sim-KSC-pass-42', 'internal_user': 'true'},
        prepare=lambda sim: _queue(sim, {'duration': 0.6, 'next_check_delay_ms': 200}),
        expect={'changed': True},
    ),
    'sbc': Case(
        module='asyncops.jobs.sbc_async_status',
        args={'action': 'save'},
        inputs=lambda port: {'host': '127.0.0.1', 'port': str(port), 'username': 'admin',
                             'password': 'sbc-Secret-0', 'api_version': 'v1.2', 'token_lifetime': '600'},
        # A save started over REST by the module (lock taken and released); 0.6 s long.
        prepare=lambda sim: _configure(sim, {'durations': {'save': 0.6}}),
        expect={'changed': True},
    ),
    'solidfire': Case(
        module='asyncops.jobs.solidfire_async_result',
        args={},
        inputs=lambda port: {'hostname': '127.0.0.1', 'port': str(port), 'username': 'sf-admin',
                             'password': 'Sim-SolidFire-pass-42'},
        prepare=lambda sim: {'async_handle': sim.control('operations', {'duration': 0.6})['asyncHandle']},
    ),
    'sas': Case(
        module='asyncops.jobs.sas_scan_task_progress',
        args={},
        # Temporary STS credentials, so the security token's injection is exercised too.
        inputs=lambda port: {'access_key_id': 'STS.NSimulatorTemporaryKey',
                             'access_key_secret': 'SimulatorStsSecret93b1e0f4a2',
                             'security_token': 'CAISimulatorSecurityToken7d2c5e8a1f',
                             'region': 'cn-shanghai', 'endpoint': '127.0.0.1:%d' % port,
                             'signature_version': 'v3'},
        prepare=lambda sim: {'task_id': sim.control('operations', {'duration': 0.6})['task_id']},
    ),
    'integration_server': Case(
        module='asyncops.jobs.integration_task',
        args={'state': 'completed'},
        inputs=lambda port: {'host': '127.0.0.1', 'port': str(port), 'username': 'kis-admin',
                             'password': 'kis-Secret-0'},
        prepare=lambda sim: {'task_id': sim.control('operations', {'type': 'CreateTenant', 'duration': 0.6})['id']},
    ),
}


# --------------------------------------------------------------------------- AWX, as far as jobs see it

def awx_validate(credential_type):
    """Reject what AWX's API would reject on POST /api/v2/credential_types/ (400/403 answers)."""
    from awx_api import AwxSimulator, _Invalid
    try:
        if credential_type.get('kind') not in ('cloud', 'net'):
            raise _Invalid(400, {'kind': ["Must be 'cloud' or 'net', not %s" % credential_type.get('kind')]})
        inputs = AwxSimulator._valid_inputs(credential_type.get('inputs', {}))
        AwxSimulator._valid_injectors(credential_type.get('injectors', {}), inputs)
    except _Invalid as err:
        pytest.fail('AWX would refuse this credential type: %s' % json.dumps(err.body))


def awx_inject(credential_type, inputs, private_data_dir):
    """The environment AWX gives a job for a credential of ``credential_type`` with ``inputs``.

    After ``CredentialType.inject_credential``: only inputs that were given (and are not empty)
    are in the template namespace; a boolean input that was not given is False; ``file``
    templates are written to ``<private_data_dir>/env`` (mode 0600) and their paths exposed as
    ``tower.filename`` (single file) or ``tower.filename.<name>`` (``template.<name>``);
    ``ANSIBLE_*`` variables are dropped.
    """
    from jinja2 import sandbox

    class Namespace:
        pass

    namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    for field in credential_type['inputs'].get('fields', []):
        if field.get('type') == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    tower = Namespace()
    namespace['tower'] = tower
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    environment = sandbox.ImmutableSandboxedEnvironment()
    for label, template in credential_type['injectors'].get('file', {}).items():
        data = environment.from_string(template).render(**namespace)
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as f:
            f.write(data)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if '.' not in label:
            tower.filename = path
        else:
            if not hasattr(tower, 'filename'):
                tower.filename = Namespace()
            setattr(tower.filename, label.split('.', 1)[1], path)
    env = {}
    for name, template in credential_type['injectors'].get('env', {}).items():
        if not name.startswith('ANSIBLE_'):
            env[name] = environment.from_string(template).render(**namespace)
    assert not credential_type['injectors'].get('extra_vars'), 'the credential types inject environment only'
    return env


# --------------------------------------------------------------------------- simulators

class Simulator:
    """One vendor's simulator in its own process (a missing or broken one cannot stop the others)."""

    def __init__(self, vendor, state_dir):
        self.vendor = vendor
        self.state_dir = state_dir
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SIMULATORS, DOUBLES, os.environ.get('PYTHONPATH')])),
                   ASYNCOPS_SIMULATORS_EXTRA='awx=awx_api:AwxSimulator')
        self.env = env
        answer = subprocess.run(
            [sys.executable, '-m', 'asyncops_simulators', 'start', '--vendors', vendor, '--state-dir', state_dir,
             '--idle-timeout', '300'],
            env=env, capture_output=True, text=True, timeout=60, check=False)
        if answer.returncode != 0:
            log = os.path.join(state_dir, 'simulators.log')
            tail = open(log).read()[-2000:] if os.path.exists(log) else ''
            pytest.fail('the %s simulator did not start: %s %s' % (vendor, answer.stderr, tail))
        state = json.loads(answer.stdout.strip().splitlines()[-1])
        self.port = state['ports'][vendor]
        self.ca_path = state['ca_path']
        self.base = 'https://127.0.0.1:%d' % self.port
        self.context = ssl.create_default_context(cafile=self.ca_path)

    def control(self, action, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request('%s/_sim/%s' % (self.base, action), data=data,
                                         method='GET' if body is None else 'POST',
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, context=self.context, timeout=10) as answer:
            return json.loads(answer.read().decode())

    def stop(self):
        subprocess.run([sys.executable, '-m', 'asyncops_simulators', 'stop', '--state-dir', self.state_dir],
                       env=self.env, capture_output=True, timeout=30, check=False)


@pytest.fixture(scope='module')
def simulator(tmp_path_factory):
    started = {}

    def get(vendor):
        if vendor not in started:
            started[vendor] = Simulator(vendor, str(tmp_path_factory.mktemp('sim-' + vendor)))
        return started[vendor]
    yield get
    for sim in started.values():
        sim.stop()


@pytest.fixture(scope='module')
def collections_path(tmp_path_factory):
    """``<tmp>/ansible_collections/asyncops/jobs`` -> the checkout, for ANSIBLE_COLLECTIONS_PATH."""
    tree = tmp_path_factory.mktemp('collections')
    os.makedirs(str(tree / 'ansible_collections' / 'asyncops'))
    os.symlink(ROOT, str(tree / 'ansible_collections' / 'asyncops' / 'jobs'))
    return str(tree)


@pytest.fixture
def clean_environment(monkeypatch):
    """No connection variable may reach the job except through the credential."""
    argspec = _argspec()
    for vendor, options in argspec.CONNECTION_SPECS.items():
        for option in options:
            for name in argspec.environment_variables(vendor, option):
                monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith(('CONTROLLER_', 'TOWER_')):
            monkeypatch.delenv(name, raising=False)
    # ansible-runner looks ansible-playbook up on PATH: this venv's, whether or not it is activated.
    monkeypatch.setenv('PATH', os.pathsep.join([os.path.dirname(sys.executable), os.environ.get('PATH', '')]))


def run_job(private_data_dir, playbook, envvars, collections_path, extravars=None):
    import ansible_runner
    env = dict(envvars)
    bindir = os.path.dirname(sys.executable)  # this venv's ansible-core, whether or not it is activated
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1',
               PATH=os.pathsep.join([bindir, os.environ.get('PATH', '')]))
    return ansible_runner.run(
        private_data_dir=private_data_dir, playbook=playbook, envvars=env, extravars=extravars or {},
        inventory='localhost ansible_connection=local ansible_python_interpreter=%s' % sys.executable,
        # The runner settings AWX gives a job: the job template's timeout and the idle timeout.
        settings={'job_timeout': 300, 'idle_timeout': 120, 'suppress_ansible_output': True}, quiet=True)


def task_results(runner, task):
    """``res`` of every ``runner_on_ok``/``runner_on_failed`` event of ``task``."""
    found = []
    for event in runner.events:
        data = event.get('event_data', {})
        if event.get('event') in ('runner_on_ok', 'runner_on_failed') and data.get('task') == task:
            found.append(data.get('res', {}))
    return found


def stdout_of(runner):
    with runner.stdout as f:
        return f.read()


# --------------------------------------------------------------------------- drift

def drift_problems(vendor, credential_type):
    """Why ``credential_type`` and the modules' environment fallbacks disagree ([] when they agree)."""
    argspec = _argspec()
    options = argspec.CONNECTION_SPECS[vendor]
    option_of = {}
    for option in options:
        for name in argspec.environment_variables(vendor, option):
            option_of[name] = option
    problems = []
    env = credential_type.get('injectors', {}).get('env', {})
    fields = {f['id']: f for f in credential_type.get('inputs', {}).get('fields', [])}
    required_inputs = set(credential_type.get('inputs', {}).get('required', []))
    for name in env:
        if name not in option_of:
            problems.append('%s is injected but no %s option falls back to it' % (name, vendor))
        elif argspec.environment_variables(vendor, option_of[name])[0] != name:
            problems.append('%s is not the first variable %s consults (%s), so another variable in the job '
                            'environment would win over the credential'
                            % (name, option_of[name], argspec.environment_variables(vendor, option_of[name])[0]))
    injected_options = {option_of[name]: name for name in env if name in option_of}
    for option in argspec.REQUIRED_CONNECTION_OPTIONS[vendor]:
        if option not in injected_options:
            problems.append('required option %s is not injected (any of %s)'
                            % (option, ', '.join(argspec.environment_variables(vendor, option))))
    for option, name in injected_options.items():
        used = [fid for fid in fields if '{{ %s }}' % fid in env[name] or ('%s is defined' % fid) in env[name]]
        if option in argspec.REQUIRED_CONNECTION_OPTIONS[vendor] and not required_inputs.intersection(used):
            problems.append('%s is required by the modules but its input (%s) is not required' % (option, used))
        secret_inputs = [fields[fid].get('secret') for fid in used if fid in fields and fid != 'ca_cert']
        if options[option].get('no_log') and not all(secret_inputs):
            problems.append('%s is a secret (no_log) but its input is not secret: true' % option)
    for fid, field in fields.items():
        if not any(fid in template for template in
                   list(env.values()) + list(credential_type['injectors'].get('file', {}).values())):
            problems.append('input %s is injected nowhere' % fid)
    return problems


@pytest.mark.parametrize('vendor', VENDORS)
def test_credential_type_matches_argspec(vendor):
    credential_type = load_type(vendor)
    assert credential_type['kind'] == 'cloud'
    assert credential_type['name'] and credential_type['description']
    awx_validate(credential_type)
    assert drift_problems(vendor, credential_type) == []


def test_drift_is_caught():
    """A renamed variable, a dropped required one or a secret shown in clear each fail the check."""
    renamed = load_type('ksc')
    renamed['injectors']['env']['KSC_SERVER'] = renamed['injectors']['env'].pop('KSC_HOST')
    problems = drift_problems('ksc', renamed)
    assert any('KSC_SERVER is injected' in p for p in problems)
    assert any('required option host' in p for p in problems)

    second_name = load_type('sas')
    second_name['injectors']['env']['ALIBABA_CLOUD_ACCESS_KEY_ID'] = \
        second_name['injectors']['env'].pop('ALICLOUD_ACCESS_KEY')
    assert any('not the first variable' in p for p in drift_problems('sas', second_name))

    clear = load_type('solidfire')
    for field in clear['inputs']['fields']:
        field.pop('secret', None)
    assert any('password is a secret' in p for p in drift_problems('solidfire', clear))


def test_every_vendor_has_a_credential_type_and_a_case():
    assert sorted(VENDORS) == sorted(_argspec().CONNECTION_SPECS)
    assert sorted(f[:-4] for f in os.listdir(TYPES_DIR) if f.endswith('.yml')) == sorted(VENDORS)
    assert sorted(CASES) == sorted(VENDORS)
    names = [load_type(v)['name'] for v in VENDORS]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize('vendor', VENDORS)
def test_blank_inputs_leave_the_modules_defaults(vendor, monkeypatch, tmp_path):
    """AWX injects '' for an input left blank: the modules must read that as unset, not fail on it."""
    from ansible.module_utils.errors import AnsibleFallbackNotFound
    argspec = _argspec()
    credential_type = load_type(vendor)
    minimal = {name: 'x' for name in credential_type['inputs']['required']}
    env = awx_inject(credential_type, minimal, str(tmp_path))
    blank = sorted(name for name, value in env.items() if value == '')
    assert blank, 'every credential type has optional inputs'
    ca_path = [name for name in env if name.endswith('_CA_PATH')]
    assert ca_path and ca_path[0] in blank, 'no CA certificate given, so no CA path either'
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for option, spec in argspec.CONNECTION_SPECS[vendor].items():
        names = argspec.environment_variables(vendor, option)
        if names and names[0] in blank:
            strategy, names = spec['fallback']
            with pytest.raises(AnsibleFallbackNotFound):
                strategy(*names)


# --------------------------------------------------------------------------- jobs through ansible-runner

@pytest.mark.parametrize('vendor', VENDORS)
def test_job_succeeds_with_injected_credential(vendor, simulator, collections_path, clean_environment, tmp_path):
    case = CASES[vendor]
    connection_options = set(_argspec().CONNECTION_SPECS[vendor])
    assert not connection_options.intersection(case.args), 'the job playbook must not carry connection options'

    sim = simulator(vendor)
    credential_type = load_type(vendor)
    awx_validate(credential_type)
    with open(sim.ca_path) as f:
        ca_pem = f.read()
    inputs = dict(case.inputs(sim.port), ca_cert=ca_pem, validate_certs='true')
    private_data_dir = str(tmp_path / 'job')
    os.makedirs(os.path.join(private_data_dir, 'project'))
    injected = awx_inject(credential_type, inputs, private_data_dir)

    # The CA arrives as a file AWX wrote, and certificates are validated against it.
    ca_variable = [name for name in injected if name.endswith('_CA_PATH')]
    assert len(ca_variable) == 1
    with open(injected[ca_variable[0]]) as f:
        assert f.read() == ca_pem
    assert injected[[n for n in injected if n.endswith('_VALIDATE_CERTS')][0]] == 'true'

    args = copy.deepcopy(case.args)
    args.update(WAIT_ARGS)
    args.update(case.prepare(sim))
    assert not connection_options.intersection(args)
    playbook = [{
        'name': 'An asyncops.jobs job as AWX runs it: connection from the credential only',
        'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'name': 'Wait on the operation', case.module: args, 'register': 'outcome'}],
    }]
    with open(os.path.join(private_data_dir, 'project', 'job.yml'), 'w') as f:
        yaml.safe_dump(playbook, f, sort_keys=False)

    runner = run_job(private_data_dir, 'job.yml', injected, collections_path)
    output = stdout_of(runner)
    results = task_results(runner, 'Wait on the operation')
    assert runner.status == 'successful', 'job %s (rc %s):\n%s' % (runner.status, runner.rc, output[-4000:])
    assert len(results) == 1, output[-4000:]
    result = results[0]
    assert result.get('status') == 'succeeded', result
    for key, value in case.expect.items():
        assert result.get(key) == value, (key, result)
    for secret in (inputs.get('password'), inputs.get('access_key_secret'), inputs.get('security_token')):
        if secret:
            assert secret not in output and secret not in json.dumps(result)


# --------------------------------------------------------------------------- the credential-type playbook

def test_credential_type_playbook_is_idempotent(simulator, collections_path, clean_environment, tmp_path):
    sim = simulator('awx')
    sim.control('reset', {})
    env = {'CONTROLLER_HOST': '127.0.0.1:%d' % sim.port, 'CONTROLLER_USERNAME': 'admin',
           'CONTROLLER_PASSWORD': 'awx-sim-password', 'CONTROLLER_CA_PATH': sim.ca_path,
           'CONTROLLER_VERIFY_SSL': 'true'}
    playbook = 'asyncops.jobs.awx_credential_types'

    def run(name, extravars=None, envvars=None):
        private_data_dir = str(tmp_path / name)
        os.makedirs(os.path.join(private_data_dir, 'project'))
        runner = run_job(private_data_dir, playbook, envvars or env, collections_path, extravars)
        output = stdout_of(runner)
        assert runner.status == 'successful', output[-4000:]
        assert 'awx-sim-password' not in output
        return runner, sim.control('counters')['requests_by_endpoint']

    def writes(before, after):
        return {k: after.get(k, 0) - before.get(k, 0) for k in after
                if not k.startswith('GET') and after.get(k, 0) != before.get(k, 0)}

    first, after_first = run('first')
    assert first.stats['changed'].get('localhost', 0) >= 1
    assert writes({}, after_first) == {'POST /api/v2/credential_types/': len(VENDORS)}
    for vendor in VENDORS:
        wanted = load_type(vendor)
        found = _api_get(sim, '/api/v2/credential_types/?name=%s' % urllib.request.quote(wanted['name']))
        assert found['count'] == 1
        item = found['results'][0]
        assert (item['kind'], item['description'], item['inputs'], item['injectors'], item['managed']) == \
            (wanted['kind'], wanted['description'], wanted['inputs'], wanted['injectors'], False)

    second, after_second = run('second')
    assert second.stats['changed'].get('localhost', 0) == 0
    assert writes(after_first, after_second) == {}

    # One description edited, and the type already in use by a credential (AWX then refuses
    # changes to its inputs, not to its description or injectors): one PATCH, with the token.
    edited = str(tmp_path / 'types')
    shutil.copytree(TYPES_DIR, edited)
    ksc = load_type('ksc')
    ksc['description'] += ' Edited.'
    with open(os.path.join(edited, 'ksc.yml'), 'w') as f:
        yaml.safe_dump(ksc, f, sort_keys=False)
    ksc_id = _api_get(sim, '/api/v2/credential_types/?name=%s' % urllib.request.quote(ksc['name']))['results'][0]['id']
    sim.control('operations', {'credential_type': ksc_id})
    token_env = dict(env, CONTROLLER_OAUTH_TOKEN='awx-sim-token')
    del token_env['CONTROLLER_PASSWORD']
    third, after_third = run('third', {'asyncops_awx_credential_types_dir': edited}, token_env)
    assert third.stats['changed'].get('localhost', 0) >= 1
    assert writes(after_second, after_third) == {'PATCH /api/v2/credential_types/<id>/': 1}
    assert _api_get(sim, '/api/v2/credential_types/%d/' % ksc_id)['description'] == ksc['description']

    fourth, after_fourth = run('fourth', {'asyncops_awx_credential_types_dir': edited}, token_env)
    assert fourth.stats['changed'].get('localhost', 0) == 0
    assert writes(after_third, after_fourth) == {}


def _api_get(sim, path):
    request = urllib.request.Request(sim.base + path, headers={'Authorization': 'Bearer awx-sim-token'})
    with urllib.request.urlopen(request, context=sim.context, timeout=10) as answer:
        return json.loads(answer.read().decode())
