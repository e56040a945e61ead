# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Several forks, one appliance, one request budget: checked from the simulator's own request log.

Eight hosts (local connection), forks 8, each waiting on its own Integration Server task with
``max_requests_per_second: 3``, both ways (controller and target). The simulator stamps every
request it receives; no one-second window of that log may hold more than the limit plus the
burst, and every wait must still end with its task completed.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from test_awx_runner import Simulator, collections_path  # noqa: F401 pylint: disable=unused-import

PASSWORD = 'kis-Budget-Forks-3'
HOSTS = 8
LIMIT = 3
BURST = 3  # the documented default: one second's worth, max(1, ceil(limit))


@pytest.fixture(scope='module')
def kis(tmp_path_factory):
    sim = Simulator('integration_server', str(tmp_path_factory.mktemp('sim-budget')))
    sim.control('config', {'password': PASSWORD})
    yield sim
    sim.stop()


def peak(times, window):
    """The most requests in any ``window`` seconds of ``times`` (sorted)."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize('way', ['controller', 'target'])
def test_forks_share_one_budget(kis, collections_path, tmp_path, way):  # noqa: F811 pylint: disable=redefined-outer-name
    kis.control('reset', {})
    kis.control('config', {'password': PASSWORD})
    task_ids = [kis.control('operations', {'type': 'CreateTenant', 'duration': 2})['id'] for dummy in range(HOSTS)]
    inventory = {'all': {'hosts': dict(('host%02d' % i, {'task_id': task_id, 'ansible_connection': 'local',
                                                         'ansible_python_interpreter': sys.executable})
                                       for i, task_id in enumerate(task_ids))}}
    play = [{'name': 'Every fork waits on its own task', 'hosts': 'all', 'gather_facts': False,
             'tasks': [{'name': 'Wait', 'asyncops.jobs.integration_task': dict(
                 host='127.0.0.1', port=kis.port, username='kis-admin', password=PASSWORD, ca_path=kis.ca_path,
                 task_id='{{ task_id }}', poll_interval=0.3, max_poll_interval=0.6, wait_timeout=120,
                 max_requests_per_second=LIMIT), 'register': 'outcome'},
                 {'name': 'Keep the outcome', 'ansible.builtin.copy': {
                     'content': '{{ outcome | to_json }}', 'dest': str(tmp_path / '{{ inventory_hostname }}.json')},
                  'delegate_to': 'localhost'}]}]
    for name, content in (('inventory.yml', inventory), ('play.yml', play)):
        with open(str(tmp_path / name), 'w') as f:
            yaml.safe_dump(content, f, sort_keys=False)
    before = len(kis.control('counters')['request_times'])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR='1',
               # A budget directory of this test's own, so no other run on the machine shares it.
               TMPDIR=str(tmp_path))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(tmp_path / 'inventory.yml'),
               '-f', str(HOSTS), '-e', 'asyncops_jobs_run_on=%s' % way, str(tmp_path / 'play.yml')]
    answer = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert answer.returncode == 0, answer.stdout[-4000:] + answer.stderr[-2000:]
    times = sorted(kis.control('counters')['request_times'][before:])
    outcomes = [json.load(open(str(tmp_path / ('host%02d.json' % i)))) for i in range(HOSTS)]
    assert all(o['status'] == 'succeeded' and o['ran_on'] == way for o in outcomes), outcomes
    assert all(o['request_budget']['max_requests_per_second'] == LIMIT for o in outcomes)
    assert len(times) >= HOSTS
    assert peak(times, 1.0) <= LIMIT + BURST, (peak(times, 1.0), times)
    # The budget really held the forks back: someone waited, and it shows in history too.
    waited = [o for o in outcomes if o['request_budget']['waits']]
    assert waited
    assert any('request_budget_wait' in entry for o in waited for entry in o['history'])
