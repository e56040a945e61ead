# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live progress: the lines come out while the task still runs, in ansible-playbook and in AWX job events.

"While it still runs" is checked against the simulator itself, not a stopwatch: when the first
progress line is read from ansible-playbook's output, the Integration Server task it reports on
must still be running on the server, and the task's own result must not have been printed yet.
"""

import base64
import json
import os
import ssl
import subprocess
import sys
import urllib.request

import pytest
import yaml

from test_awx_runner import Simulator, clean_environment, collections_path, run_job, stdout_of  # noqa: F401 pylint: disable=unused-import

PASSWORD = 'kis-Live-Progress-7'
LABEL = 'asyncops.jobs.integration_task [localhost]: '


@pytest.fixture(scope='module')
def kis(tmp_path_factory):
    sim = Simulator('integration_server', str(tmp_path_factory.mktemp('sim-live')))
    sim.control('config', {'password': PASSWORD})
    yield sim
    sim.stop()


def task_state(sim, task_id):
    """The task's state as the Integration Server reports it, read over its real API."""
    request = urllib.request.Request(
        '%s/api/2.0/virtualization/tasks/%s' % (sim.base, task_id),
        headers={'Authorization': 'Basic ' + base64.b64encode(('kis-admin:%s' % PASSWORD).encode()).decode(),
                 'Accept': 'application/xml'})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=sim.ca_path), timeout=10) as answer:
        body = answer.read().decode()
    return body.split('<state>', 1)[1].split('</state>', 1)[0]


def playbook(sim, duration, progress_interval):
    """Creates the operation right before the wait, so a slow ansible-playbook start cannot eat its duration."""
    create = {'url': '%s/_sim/operations' % sim.base, 'method': 'POST', 'body_format': 'json',
              'body': {'type': 'CreateTenant', 'duration': duration}, 'ca_path': sim.ca_path}
    args = dict(host='127.0.0.1', port=sim.port, username='kis-admin', password=PASSWORD, ca_path=sim.ca_path,
                task_id='{{ created.json.id }}', poll_interval=0.5, max_poll_interval=1,
                progress_interval=progress_interval)
    return [{'name': 'Live progress', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'Create the tenant task', 'ansible.builtin.uri': create, 'register': 'created'},
                       {'name': 'Wait on the tenant', 'asyncops.jobs.integration_task': args, 'register': 'outcome'},
                       {'name': 'Show where it ran', 'ansible.builtin.debug': {'var': 'outcome.ran_on'}}]}]


def task_id_of(line):
    return line[len(LABEL):].split(': ', 1)[0].split(' ', 1)[1]


def run_streaming(path, tmp_path, collections, on_progress=None, variables=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               PYTHONUNBUFFERED='1')
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
               '-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable, path]
    for name, value in (variables or {}).items():
        command += ['-e', '%s=%s' % (name, value)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=str(tmp_path))
    lines = []
    try:
        for line in process.stdout:
            line = line.rstrip('\n')
            lines.append(line)
            if line.startswith(LABEL) and on_progress is not None:
                on_progress(line, list(lines))
    finally:
        process.wait(timeout=120)
    return process.returncode, lines


def write(tmp_path, content):
    path = str(tmp_path / 'live.yml')
    with open(path, 'w') as f:
        yaml.safe_dump(content, f, sort_keys=False)
    return path


def test_lines_appear_while_the_task_runs(kis, collections_path, tmp_path):  # noqa: F811 pylint: disable=redefined-outer-name
    seen = []

    def on_progress(line, so_far):
        if not seen:
            # The first line: the server must still be working, and the task's result not printed yet.
            task_id = task_id_of(line)
            since_header = so_far[max(i for i, text in enumerate(so_far) if text.startswith('TASK [Wait on the tenant]')):]
            seen.append((task_state(kis, task_id), any(text.startswith('ok: [localhost]') for text in since_header)))

    rc, lines = run_streaming(write(tmp_path, playbook(kis, 4, 1)), tmp_path, collections_path, on_progress)
    output = '\n'.join(lines)
    assert rc == 0, output
    task_id = task_id_of([line for line in lines if line.startswith(LABEL)][0])
    progress = [line for line in lines if line.startswith(LABEL)]
    assert seen and seen[0][0] not in ('Completed', 'Failed', 'Canceled'), (seen, output)
    assert seen[0][1] is False, output
    assert len(progress) >= 3, output
    assert all(line.startswith(LABEL + 'task %s: ' % task_id) for line in progress)
    assert 'Completed' in progress[-1]
    assert PASSWORD not in output
    assert '"outcome.ran_on": "controller"' in output


def test_no_lines_with_progress_interval_zero_or_on_the_target(kis, collections_path, tmp_path):  # noqa: F811 pylint: disable=redefined-outer-name
    for variables, interval in (({}, 0), ({'asyncops_jobs_run_on': 'target'}, 1)):
        rc, lines = run_streaming(write(tmp_path, playbook(kis, 2, interval)), tmp_path, collections_path,
                                  variables=variables)
        output = '\n'.join(lines)
        assert rc == 0, output
        assert not [line for line in lines if line.startswith(LABEL)], output


def test_lines_are_verbose_events_of_an_ansible_runner_job(kis, collections_path, clean_environment, tmp_path):  # noqa: F811 pylint: disable=redefined-outer-name
    private_data_dir = str(tmp_path / 'job')
    os.makedirs(os.path.join(private_data_dir, 'project'))
    with open(os.path.join(private_data_dir, 'project', 'job.yml'), 'w') as f:
        yaml.safe_dump(playbook(kis, 3, 1), f, sort_keys=False)
    runner = run_job(private_data_dir, 'job.yml', {}, collections_path)
    output = stdout_of(runner)
    assert runner.status == 'successful', output[-4000:]
    events = [event for event in runner.events
              if event.get('event') == 'verbose' and event.get('stdout', '').startswith(LABEL)]
    assert len(events) >= 2, json.dumps([e.get('event') for e in runner.events])
    assert all(event['stdout'].startswith(LABEL + 'task ') for event in events)
    assert not any(PASSWORD in json.dumps(event) for event in runner.events)
