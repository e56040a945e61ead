# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller way against the target way: the same inputs give the same results.

The target way is the module's main() (AnsibleModule); the controller way is what the action
plugin runs in the worker process (validate_like_a_module, then perform on a ControllerTask).
Both run against the same in-process Integration Server simulator on the same fake clock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils import wait as wait_module
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import integration_task as operation
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import sas_scan_task_progress as sas_operation
from ansible_collections.asyncops.jobs.plugins.module_utils.task import perform
from ansible_collections.asyncops.jobs.plugins.modules import integration_task, sas_scan_task_progress
from ansible_collections.asyncops.jobs.plugins.plugin_utils import controller_task
from ansible_collections.asyncops.jobs.tests.unit.plugins.module_utils.test_integration_server import Clock
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module

PASSWORD = 'kis-Parity-Secret-0'
# Keys that legitimately differ between two runs: where it ran, and timings (the simulator's tasks
# also move on real time between the two runs, so a round more or less is possible).
VOLATILE = ('ran_on', 'elapsed', 'history', 'attempts', 'invocation', 'exception')


@pytest.fixture(scope='module')
def kis_server(start_simulator):
    from asyncops_simulators.integration_server import IntegrationServerSimulator
    return start_simulator(IntegrationServerSimulator())


@pytest.fixture
def kis(kis_server, monkeypatch):
    kis_server.reset()
    kis_server.simulator.configure({'cancelled_word': 'Canceled', 'password': PASSWORD})
    for name in ('KIS_HOST', 'KIS_USERNAME', 'KIS_PASSWORD', 'KIS_PORT', 'KIS_CA_PATH'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(wait_module, 'SystemClock', lambda: Clock(kis_server))
    # Both ways must see the same delays, so the loop's jitter is fixed.
    monkeypatch.setattr(wait_module.random, 'random', lambda: 0.5)
    return kis_server


def args(sim, **extra):
    base = dict(host='127.0.0.1', port=sim.port, ca_path=sim.ca_path, username='kis-admin', password=PASSWORD,
                poll_interval=0.5, max_poll_interval=1)
    base.update(extra)
    return base


class Shown(list):
    """Progress lines a ControllerTask printed."""


def run_on_controller(spec_module, task_args, check_mode=False, host='kis01', shown=None):
    """What the action plugin does in the worker process, without an executor around it."""
    spec = spec_module.SPEC
    params, no_log_values, error = controller_task.validate_like_a_module(spec, task_args, spec.fqcn)
    if error:
        failure = dict(failed=True, changed=False, msg=error, reason='invalid_options', ran_on='controller')
        if spec.wait:
            failure['timed_out'] = False
        return controller_task.remove_values(failure, no_log_values), True

    def make_task():
        task = controller_task.ControllerTask(spec, params, check_mode, host)
        if shown is not None:
            task.show_progress = shown.append
        return task
    result, failed = perform(spec, spec_module.run, params, check_mode, make_task, 'controller')
    result['invocation'] = dict(module_args=params)
    if failed:
        result['failed'] = True
    return controller_task.remove_values(result, no_log_values), failed


def comparable(result):
    return dict((k, v) for k, v in result.items() if k not in VOLATILE)


def both_ways(monkeypatch, sim, module, spec_module, task_args, check_mode=False):
    """Run the target way, put the simulator back as it was, run the controller way."""
    saved = copy.deepcopy(sim.simulator.tasks) if sim is not None else None
    target_args = dict(task_args, _ansible_module_name=spec_module.SPEC.fqcn)
    target, target_failed = run_module(monkeypatch, module, target_args, check_mode=check_mode)
    if sim is not None:
        sim.simulator.tasks.clear()
        sim.simulator.tasks.update(saved)
    controller, controller_failed = run_on_controller(spec_module, task_args, check_mode=check_mode)
    return (target, target_failed), (controller, controller_failed)


def create(sim, **spec):
    return sim.simulator.create_operation(spec)['id']


def test_a_completed_task_gives_the_same_result_both_ways(kis, monkeypatch):
    task_id = create(kis, duration=3)
    target_way, controller_way = both_ways(monkeypatch, kis, integration_task, operation, args(kis, task_id=task_id))
    (target, t_failed), (controller, c_failed) = target_way, controller_way
    assert not t_failed and not c_failed
    assert (target['ran_on'], controller['ran_on']) == ('target', 'controller')
    assert comparable(target) == comparable(controller)
    assert controller['status'] == 'succeeded' and controller['timed_out'] is False


def test_a_failed_task_fails_alike(kis, monkeypatch):
    task_id = create(kis, duration=1, outcome='failed', error='Tenant name acme is taken.')
    target_way, controller_way = both_ways(monkeypatch, kis, integration_task, operation, args(kis, task_id=task_id))
    (target, t_failed), (controller, c_failed) = target_way, controller_way
    assert t_failed and c_failed
    assert comparable(target) == comparable(controller)
    assert controller['reason'] == 'operation_failed'


@pytest.mark.parametrize('bad, fragment', [
    (dict(wait_timeout=0), 'wait_timeout must be more than 0'),
    (dict(wait_timeout=-5), 'wait_timeout must be more than 0'),
    (dict(request_timeout=0), 'request_timeout must be more than 0'),
    (dict(poll_interval='nan'), 'poll_interval must be a finite number'),
    (dict(retries=10 ** 9), 'retries must be at most'),
    (dict(task_ids=[]), 'task_ids is an empty list'),
    (dict(task_ids=['a'], task_id='b'), 'mutually exclusive'),
    (dict(wait_timeout='soon'), "cannot be converted to an int"),
    (dict(bogus=1), 'Unsupported parameters for (asyncops.jobs.integration_task) module: bogus'),
])
def test_bad_input_fails_alike_and_sends_nothing(kis, monkeypatch, bad, fragment):
    task_args = args(kis, task_id='t-1')
    task_args.update(bad)
    if 'task_ids' in bad and 'task_id' not in bad:
        task_args.pop('task_id')
    (target, t_failed), (controller, c_failed) = both_ways(monkeypatch, kis, integration_task, operation, task_args)
    assert t_failed and c_failed
    assert fragment in target['msg']
    assert target['msg'] == controller['msg']
    assert target['reason'] == controller['reason'] == 'invalid_options'
    assert kis.simulator.counters.snapshot()['requests_by_endpoint'] == {}
    assert PASSWORD not in json.dumps(target) and PASSWORD not in json.dumps(controller)


def test_check_mode_cancels_nothing_either_way(kis, monkeypatch):
    task_id = create(kis, duration=60)
    # Well into Running, so the real time between the two runs cannot move it out of Starting.
    kis.simulator.tasks[task_id].started -= 5
    target_way, controller_way = both_ways(monkeypatch, kis, integration_task, operation,
                                           args(kis, task_id=task_id, state='cancelled'), check_mode=True)
    target, controller = target_way[0], controller_way[0]
    assert target['changed'] is True and controller['changed'] is True
    assert comparable(target) == comparable(controller)
    assert 'POST tasks/{id}/cancel' not in kis.simulator.counters.snapshot()['requests_by_endpoint']


def test_no_log_values_are_masked_alike(kis, monkeypatch):
    """The password also appears in a result value (here: the user name): both ways mask it the same."""
    task_id = create(kis, duration=1)
    kis.simulator.configure({'password': PASSWORD})
    task_args = args(kis, task_id=task_id, username=PASSWORD)
    target_way, controller_way = both_ways(monkeypatch, kis, integration_task, operation, task_args)
    target, controller = target_way[0], controller_way[0]
    assert PASSWORD not in json.dumps(controller) and PASSWORD not in json.dumps(target)
    assert controller['invocation']['module_args']['username'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


def test_a_wrongly_typed_option_prints_no_secret_either_way(monkeypatch):
    secret, token = 'Ali-Secret-Value-99', 'Sts-Token-Value-77'
    task_args = dict(access_key_id='LTAIkey1234', access_key_secret=secret, security_token=token,
                     region='cn-hangzhou', target_info='not a list of dicts')
    target_way, controller_way = both_ways(monkeypatch, None, sas_scan_task_progress, sas_operation, task_args)
    (target, t_failed), (controller, c_failed) = target_way, controller_way
    assert t_failed and c_failed
    for result in (target, controller):
        dumped = json.dumps(result)
        assert secret not in dumped and token not in dumped
        assert result['reason'] == 'invalid_options'


def test_environment_fallbacks_of_the_task_count_on_the_controller(kis, monkeypatch):
    """The task's environment: keyword reaches the credential fallbacks, as it would reach a module."""
    task_id = create(kis, duration=1)
    task_args = args(kis, task_id=task_id)
    del task_args['password']
    with controller_task.environment({'KIS_PASSWORD': PASSWORD}):
        controller, failed = run_on_controller(operation, task_args)
    assert not failed and controller['status'] == 'succeeded'
    assert 'KIS_PASSWORD' not in os.environ


def test_progress_lines_name_the_host_and_carry_no_secret(kis, monkeypatch):
    task_id = create(kis, duration=6)
    shown = Shown()
    result, failed = run_on_controller(operation, args(kis, task_id=task_id, progress_interval=5), shown=shown)
    assert not failed
    assert len(shown) >= 3
    assert all(line.startswith('asyncops.jobs.integration_task [kis01]: task %s: ' % task_id) for line in shown)
    assert 'of 10m' in shown[0] and 'check 1' in shown[0]
    assert 'Completed' in shown[-1]
    assert any('left' in line for line in shown), 'KIS reports a percentage, so an estimate must appear'
    assert not any(PASSWORD in line for line in shown)


def test_progress_interval_zero_prints_nothing(kis, monkeypatch):
    task_id = create(kis, duration=6)
    shown = Shown()
    result, failed = run_on_controller(operation, args(kis, task_id=task_id, progress_interval=0), shown=shown)
    assert not failed and result['attempts'] > 2
    assert shown == []


def test_a_wait_that_ends_at_its_first_read_prints_nothing(kis, monkeypatch):
    task_id = create(kis, duration=1)
    kis.simulator.tasks[task_id].started -= 5
    shown = Shown()
    result, failed = run_on_controller(operation, args(kis, task_id=task_id), shown=shown)
    assert not failed and result['attempts'] == 1
    assert shown == []


def test_a_batch_wait_says_how_many_are_done(kis, monkeypatch):
    ids = [create(kis, duration=d) for d in (1, 3, 5)]
    shown = Shown()
    result, failed = run_on_controller(operation, args(kis, task_ids=ids), shown=shown)
    assert not failed
    assert any(' of 3 tasks done' in line for line in shown)
    assert shown[-1].split(': ')[2].startswith('3 of 3 tasks done')


class FakeConnection(object):
    def __init__(self, transport):
        self.transport = transport


class FakeTask(object):
    def __init__(self, async_val=0):
        self.async_val = async_val


class FakePlayContext(object):
    def __init__(self, become=False):
        self.become = become


class FakeTemplar(object):
    @staticmethod
    def template(value):
        return value


def where(transport='local', async_val=0, become=False, variables=None, environ=None):
    action = controller_task.OperationAction.__new__(controller_task.OperationAction)
    action._connection = FakeConnection(transport)
    action._task = FakeTask(async_val)
    action._play_context = FakePlayContext(become)
    action._templar = FakeTemplar()
    return action._where_to_run(operation.SPEC, variables or {}, environ or {})


def test_a_local_task_runs_on_the_controller():
    assert where() == ('controller', None)


@pytest.mark.parametrize('kwargs', [dict(transport='ssh'), dict(async_val=30), dict(become=True),
                                    dict(variables={'asyncops_jobs_run_on': 'target'}),
                                    dict(environ={'ASYNCOPS_JOBS_RUN_ON': 'target'})])
def test_everything_else_runs_on_the_target(kwargs):
    assert where(**kwargs) == ('target', None)


def test_the_variable_wins_over_the_environment():
    assert where(variables={'asyncops_jobs_run_on': 'controller'}, environ={'ASYNCOPS_JOBS_RUN_ON': 'target'}) \
        == ('controller', None)


def test_forcing_the_controller_where_it_cannot_be_done_says_why():
    choice, problem = where(transport='ssh', variables={'asyncops_jobs_run_on': 'controller'})
    assert choice is None
    assert problem == ('the variable asyncops_jobs_run_on asks to run asyncops.jobs.integration_task on the '
                       'controller, but the task runs through the ssh connection, not on the control node.')


def test_an_unknown_choice_is_refused_in_one_sentence():
    choice, problem = where(environ={'ASYNCOPS_JOBS_RUN_ON': 'laptop'})
    assert choice is None
    assert problem == "the environment variable ASYNCOPS_JOBS_RUN_ON must be one of auto, controller, target, not 'laptop'."
