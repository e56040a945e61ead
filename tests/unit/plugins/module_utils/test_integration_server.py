# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Integration Server client against the in-process simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.integration_server import (
    ALREADY_FINISHED,
    CANCEL_ACCEPTED,
    CANCELLED_NOW,
    IntegrationServerClient,
    status_of,
    validate_created_from,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    CANCELLED,
    FAILED,
    RUNNING,
    SUCCEEDED,
    WaitPolicy,
    wait_for,
    wait_for_many,
)

PASSWORD = 'kis-Secret-0'


@pytest.fixture(scope='module')
def kis_session(start_simulator):
    from asyncops_simulators.integration_server import IntegrationServerSimulator
    return start_simulator(IntegrationServerSimulator())


@pytest.fixture
def kis(kis_session):
    kis_session.reset()
    kis_session.simulator.configure({'cancelled_word': 'Canceled', 'password': PASSWORD})
    return kis_session


def client(sim, password=PASSWORD):
    return IntegrationServerClient('127.0.0.1', 'kis-admin', password, port=sim.port, ca_path=sim.ca_path, timeout=5)


def create(sim, **spec):
    return sim.simulator.create_operation(spec)['id']


def finish(sim, task_id):
    """Move a task's timeline past its end instead of sleeping through it."""
    task = sim.simulator.tasks[task_id]
    task.started -= task.queued + task.duration + 1


class Clock(object):
    """Advances the simulator's tasks instead of real time: sleeping shifts every task's start back."""

    def __init__(self, sim):
        self.sim = sim
        self.t = 0.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds
        for task in self.sim.simulator.tasks.values():
            task.started -= seconds
            if task.cancel_requested_at is not None:
                task.cancel_requested_at -= seconds


@pytest.mark.parametrize('word, status', [
    ('Created', RUNNING), ('Queued', RUNNING), ('Starting', RUNNING), ('Running', RUNNING), ('Stopping', RUNNING),
    ('Completed', SUCCEEDED), ('Failed', FAILED), ('Canceled', CANCELLED), ('Cancelled', CANCELLED),
    ('Stopped', CANCELLED), ('SomethingNew', RUNNING),
])
def test_every_documented_state_is_normalized(word, status):
    assert status_of(word) == status


def test_running_task_has_type_stage_progress_and_zoneless_dates(kis):
    task_id = create(kis, type='CreateTenant', duration=60)
    kis.simulator.tasks[task_id].started -= 30.1
    task = client(kis).get_task(task_id)
    assert task['id'] == task_id
    assert task['type'] == 'CreateTenant'
    assert task['state'] == 'Running'
    assert 45 <= task['progress'] <= 55
    assert task['stage'] == 'CreatingTenant'
    for key in ('created', 'state_changed', 'changed'):
        assert validate_created_from(task[key]) == task[key]
    assert task['result'] is None and task['error'] is None


def test_completed_task_result_is_a_plain_dict(kis):
    task_id = create(kis, duration=1)
    finish(kis, task_id)
    observation = client(kis).read(task_id)
    assert observation.status == SUCCEEDED
    assert observation.vendor_status == 'Completed'
    assert observation.payload['result'].__class__ is dict  # xmltodict < 0.13 gives OrderedDict
    assert observation.payload['result'] == {'taskId': task_id}


def test_failed_task_carries_its_error(kis):
    task_id = create(kis, duration=1, outcome='failed', error='Tenant name is taken.')
    finish(kis, task_id)
    observation = client(kis).read(task_id)
    assert observation.status == FAILED
    assert observation.payload['error'] == 'Tenant name is taken.'


def test_unknown_task_is_terminal_and_names_the_id(kis):
    with pytest.raises(TerminalError) as caught:
        client(kis).get_task('no-such-task')
    assert 'no-such-task' in caught.value.message
    assert caught.value.fields['http_status'] == 404


def test_bad_credentials_fail_without_the_password(kis):
    with pytest.raises(TerminalError) as caught:
        client(kis, password='wrong-password-1').get_task('x')
    assert caught.value.fields['http_status'] == 401
    assert 'credentials' in caught.value.message
    assert 'wrong-password-1' not in repr(caught.value.to_result())


def test_cancel_answers(kis):
    http = client(kis)
    immediate = create(kis, duration=60)
    stopping = create(kis, duration=60, stop_duration=5)
    assert http.cancel_task(immediate) == CANCELLED_NOW
    assert http.get_task(immediate)['state'] == 'Canceled'
    assert http.cancel_task(stopping) == CANCEL_ACCEPTED
    assert http.get_task(stopping)['state'] == 'Stopping'
    assert http.cancel_task(immediate) == ALREADY_FINISHED


def test_cancel_of_a_child_task_is_refused_with_the_reason(kis):
    parent = create(kis, duration=60)
    child = create(kis, duration=60, parent=parent)
    with pytest.raises(TerminalError) as caught:
        client(kis).cancel_task(child)
    assert caught.value.fields['http_status'] == 405
    assert 'parent' in caught.value.message
    # Cancelling the parent takes its children with it.
    assert client(kis).cancel_task(parent) == CANCELLED_NOW
    assert client(kis).get_task(child)['state'] == 'Canceled'


def test_cancel_of_an_unknown_task_names_it(kis):
    with pytest.raises(TerminalError) as caught:
        client(kis).cancel_task('ghost-1')
    assert 'ghost-1' in caught.value.message


@pytest.mark.parametrize('word', ['Cancelled', 'Stopped'])
def test_other_spellings_of_cancelled_are_terminal(kis, word):
    kis.simulator.configure({'cancelled_word': word})
    task_id = create(kis, duration=60)
    client(kis).cancel_task(task_id)
    observation = client(kis).read(task_id)
    assert (observation.status, observation.vendor_status) == (CANCELLED, word)


def test_wait_goes_through_stopping_to_cancelled(kis):
    task_id = create(kis, duration=60, stop_duration=2)
    http = client(kis)
    assert http.cancel_task(task_id) == CANCEL_ACCEPTED
    clock = Clock(kis)
    outcome = wait_for(lambda: http.read(task_id), WaitPolicy(timeout=30, poll_interval=0.5, max_poll_interval=1),
                       clock=clock, rng=lambda: 0.0)
    assert outcome.observation.status == CANCELLED
    assert [entry['vendor_status'] for entry in outcome.record.history] == ['Stopping', 'Canceled']


def test_list_filters(kis):
    old = create(kis, type='DeleteTenant', duration=7200, created_ago=3600)
    report = create(kis, type='CreateTenantReport', duration=60)
    done = create(kis, type='CreateTenant', duration=1)
    finish(kis, done)
    http = client(kis)
    assert [t['id'] for t in http.list_tasks()] == [old, report, done]
    assert [t['id'] for t in http.list_tasks(task_type='CreateTenantReport')] == [report]
    assert [t['id'] for t in http.list_tasks(state='Completed')] == [done]
    since = http.get_task(report)['created']
    assert old not in [t['id'] for t in http.list_tasks(created_from=since)]


@pytest.mark.parametrize('value', ['2024-05-01', '2024-05-01 08:00:00', '2024-13-01T08:00:00', 'yesterday'])
def test_created_from_is_validated_before_any_request(kis, value):
    with pytest.raises(TerminalError) as caught:
        client(kis).list_tasks(created_from=value)
    assert 'YYYY-MM-DDThh:mm:ss' in caught.value.message
    assert kis.simulator.counters.snapshot()['requests_total'] == 0


def test_bad_state_and_type_are_validated_locally(kis):
    with pytest.raises(TerminalError) as caught:
        client(kis).list_tasks(state='running')
    assert 'Running' in caught.value.message
    with pytest.raises(TerminalError):
        client(kis).list_tasks(task_type='Create Tenant; DROP')
    assert kis.simulator.counters.snapshot()['requests_total'] == 0


def test_malformed_body_is_transient(kis):
    from asyncops_simulators.kit import Fault
    task_id = create(kis, duration=60)
    kis.simulator.faults.append(Fault('malformed', endpoint='tasks/'))
    with pytest.raises(TransientError):
        client(kis).get_task(task_id)
    assert client(kis).get_task(task_id)['id'] == task_id


def test_many_tasks_take_one_list_request_per_round(kis):
    ids = kis.simulator.create_operation(dict(duration=3, count=20))['ids']
    kis.simulator.create_operation(dict(duration=1, created_ago=600))  # older, filtered out after round one
    http = client(kis)
    outcome = wait_for_many(http.batch_reader(ids), ids, WaitPolicy(timeout=60, poll_interval=0.5, max_poll_interval=1),
                            clock=Clock(kis), rng=lambda: 0.0)
    counters = kis.simulator.counters.snapshot()
    assert outcome.observation.status == SUCCEEDED
    assert outcome.observation.payload.counts()[SUCCEEDED] == 20
    assert outcome.record.attempts >= 3
    assert counters['requests_by_endpoint'] == {'GET tasks': outcome.record.attempts}


def test_many_tasks_with_an_unknown_id_fail_naming_it(kis):
    task_id = create(kis, duration=60)
    with pytest.raises(TerminalError) as caught:
        wait_for_many(client(kis).batch_reader([task_id, 'ghost-2']), [task_id, 'ghost-2'], WaitPolicy(timeout=5))
    assert 'ghost-2' in caught.value.message
    assert task_id not in caught.value.message


def test_tenant_endpoint_starts_a_task(kis):
    http = client(kis).http
    response = http.send('POST', 'tenants', data='<tenant><name>acme</name><type>Complete</type></tenant>',
                         headers={'Content-Type': 'application/xml'})
    assert response.status_code == 202
    task_id = response.headers['Location'].rsplit('/', 1)[1]
    assert client(kis).get_task(task_id)['type'] == 'CreateTenant'
    bad = http.send('POST', 'tenants', data='<tenant><name>x</name><type>Huge</type></tenant>')
    assert bad.status_code == 400 and 'VIRMT_InvalidTenantType' in bad.text


def test_task_timeline_starts_queued(kis):
    task_id = create(kis, duration=1, queued=10)
    states = []
    task = kis.simulator.tasks[task_id]
    for offset in (0.0, 5.0, 10.05, 10.5, 12.0):
        states.append(task.phase(task.started + offset)[0])
    assert states == ['Created', 'Queued', 'Starting', 'Running', 'Completed']
    assert time.monotonic() - task.started < 5


def test_credentials_revoked_mid_wait_fail_at_once(kis):
    import requests
    task_id = create(kis, duration=60)
    kis_client = client(kis)
    checks = []

    class Clock(object):
        time = 0.0

        def now(self):
            return self.time

        def sleep(self, seconds):
            self.time += seconds

    def check():
        checks.append(1)
        if len(checks) == 2:
            answer = requests.post(kis.base_url + '/_sim/revoke', json={}, verify=kis.ca_path, timeout=5)
            assert answer.json() == {'revoked': ['kis-admin']}
        return kis_client.read(task_id)
    with pytest.raises(TerminalError) as caught:
        wait_for(check, WaitPolicy(timeout=60, poll_interval=1), clock=Clock())
    assert len(checks) == 2 and caught.value.fields['http_status'] == 401
    assert 'rejected the credentials of user kis-admin' in caught.value.message
    assert PASSWORD not in repr(caught.value.to_result())


def test_ipv6_literal_host(start_simulator):
    from asyncops_simulators.integration_server import IntegrationServerSimulator
    simulator = IntegrationServerSimulator()
    simulator.configure({'password': PASSWORD})
    sim = start_simulator(simulator, host='::1')
    kis_client = IntegrationServerClient('::1', 'kis-admin', PASSWORD, port=sim.port, ca_path=sim.ca_path, timeout=5)
    assert kis_client.http.base_url == 'https://[::1]:%d/api/2.0/virtualization' % sim.port
    task_id = simulator.create_operation({'duration': 30})['id']
    assert kis_client.get_task(task_id)['id'] == task_id
    assert kis_client.cancel_task(task_id) in (CANCELLED_NOW, CANCEL_ACCEPTED)


def _answer(kis, monkeypatch, status, body):
    from asyncops_simulators import kit
    monkeypatch.setattr(kis.simulator, 'handle', lambda request: kit.Response(status, body, content_type='application/xml'))


@pytest.mark.parametrize('body, unexpected', [
    ('<task>just text</task>', 'a string as the task element'),
    ('<task/>', 'null as the task element'),
    ('<task id="7"><state><a/><b/></state></task>', 'an object as state'),
    ('<task id="7"><type>CreateTenant</type></task>', 'no state'),
    ('<task><state>Running</state></task>', 'no the id attribute of a task'),
    ('<tasks/>', 'the root element tasks'),
])
def test_task_of_an_unexpected_shape_is_one_sentence(kis, monkeypatch, body, unexpected):
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import UnexpectedAnswer
    _answer(kis, monkeypatch, 200, body)
    with pytest.raises(UnexpectedAnswer) as caught:
        client(kis).get_task('7')
    assert caught.value.message.startswith('The Integration Server answered GET tasks/7 with %s' % unexpected)


def test_an_element_with_attributes_where_text_is_expected_gives_its_text(kis, monkeypatch):
    _answer(kis, monkeypatch, 200, '<task id="7"><state since="x">Running</state><progress unit="%">40</progress></task>')
    task = client(kis).get_task('7')
    assert task['state'] == 'Running' and task['progress'] == 40


def test_a_proxy_page_or_an_empty_answer_is_transient(kis, monkeypatch):
    from asyncops_simulators import kit
    monkeypatch.setattr(kis.simulator, 'handle', lambda request: kit.Response(
        200, '<html><body>Gateway</body></html>', content_type='text/html'))
    with pytest.raises(TransientError):
        client(kis).get_task('7')
    _answer(kis, monkeypatch, 200, '')
    with pytest.raises(TransientError):
        client(kis).list_tasks()


@pytest.mark.parametrize('status, body', [
    (404, '<error><code><x/></code><message>gone</message></error>'),
    (405, '<error>child task</error>'),
    (405, '<error><message a="1">child</message><message>task</message></error>'),
    (409, 'not xml at all <'),
    (500, '<error/>'),
])
def test_cancel_answers_of_odd_shapes_end_in_the_collections_errors(kis, monkeypatch, status, body):
    from ansible_collections.asyncops.jobs.plugins.module_utils.errors import AsyncOpsError
    _answer(kis, monkeypatch, status, body)
    try:
        outcome = client(kis).cancel_task('7')
    except AsyncOpsError as err:
        assert err.message and '\n' not in err.message
        error = err.fields.get('error')
        assert error is None or all(isinstance(value, str) for value in error.values())
    else:
        assert outcome == ALREADY_FINISHED


def test_error_of_reads_every_shape_of_error_as_text():
    from ansible_collections.asyncops.jobs.plugins.module_utils.integration_server import error_of
    assert error_of({'state': 'Failed', 'error': ['a', 'b']}) == {'name': 'Failed', 'message': 'a b'}
    assert error_of({'state': 'Failed', 'error': {'code': 'E1', 'message': {'#text': 'm', '@l': 'en'}}})['message'] == 'm'
    assert error_of({'state': 'Failed', 'error': {'x': {'y': 1}}}) == {'x': {'y': 1}, 'name': 'Failed', 'message': None}


def test_many_missing_tasks_are_counted_not_listed(kis):
    with pytest.raises(TerminalError) as caught:
        client(kis).batch_reader(['missing-%d' % n for n in range(1000)])(['missing-0'])
    assert caught.value.message.endswith('missing-0, missing-1, missing-2, missing-3, missing-4 and 995 more.')
    assert len(caught.value.fields['missing_task_ids']) == 1000
