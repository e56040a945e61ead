# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SolidFire client and handle watcher against the in-process SolidFire simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.solidfire import (
    AsyncHandleWatcher,
    AsyncResult,
    SolidFireClient,
    SolidFireMethodError,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    TransientBudgetExhausted,
    WaitPolicy,
    WaitTimeout,
    wait_for,
    wait_for_many,
)

USER = 'sf-admin'
PASSWORD = 'Sim-SolidFire-pass-42'


@pytest.fixture(scope='module')
def sf_server(start_simulator):
    from asyncops_simulators.solidfire import SolidFireSimulator
    return start_simulator(SolidFireSimulator())


@pytest.fixture
def sf(sf_server):
    sf_server.reset()
    return sf_server


def client(sim, **kwargs):
    kwargs.setdefault('username', USER)
    kwargs.setdefault('password', PASSWORD)
    return SolidFireClient('127.0.0.1', port=sim.port, ca_path=sim.ca_path, timeout=5, **kwargs)


def operation(sim, **spec):
    return sim.simulator.create_operation(spec)['id']


def fault(sim, **spec):
    from asyncops_simulators.kit import Fault
    sim.simulator.faults.append(Fault(**spec))


def calls(sim, method):
    return sim.simulator.counters.snapshot()['requests_by_endpoint'].get(method, 0)


class SimulatorClock(object):
    """A wait-loop clock whose sleep moves the simulator's operations forward instead of sleeping."""

    def __init__(self, sim):
        self.sim = sim
        self.time = 0.0
        self.sleeps = []

    def now(self):
        return self.time

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.time += seconds
        for op in self.sim.simulator.operations.values():
            op.started -= seconds


def policy(**kwargs):
    kwargs.setdefault('timeout', 60)
    kwargs.setdefault('poll_interval', 1)
    kwargs.setdefault('max_poll_interval', 1)
    kwargs.setdefault('retries', 3)
    return WaitPolicy(**kwargs)


# -- the JSON-RPC call ---------------------------------------------------------

def test_call_posts_json_rpc_to_the_versioned_path_with_basic_auth(sf):
    assert client(sf).call('GetAPI')['currentVersion'] == 12.3
    assert calls(sf, 'GetAPI') == 1


def test_wrong_password_gets_a_credentials_message_without_the_password(sf):
    with pytest.raises(TerminalError) as caught:
        client(sf, password='Wrong-pass-123').call('GetAPI')
    assert caught.value.fields['http_status'] == 401
    assert 'check username and password' in caught.value.message
    assert 'Wrong-pass-123' not in str(caught.value.to_result())
    assert not isinstance(caught.value, TransientError)


def test_method_error_carries_name_message_and_code(sf):
    with pytest.raises(SolidFireMethodError) as caught:
        client(sf).call('NoSuchMethod')
    err = caught.value
    assert err.unknown_method and not err.no_such_path
    assert err.fields['error'] == {'name': 'xUnknownAPIMethod', 'message': 'Unknown method NoSuchMethod.', 'code': 500}
    assert err.message == 'NoSuchMethod failed with xUnknownAPIMethod: Unknown method NoSuchMethod.'


@pytest.mark.parametrize('status', [200, 500])
def test_method_error_is_recognised_whatever_http_status_carries_it(sf, status):
    sf.simulator.configure({'error_http_status': status})
    with pytest.raises(SolidFireMethodError) as caught:
        client(sf).get_async_result(999)
    assert caught.value.no_such_path
    assert 'keep_result' in caught.value.message
    assert caught.value.fields['async_handle'] == 999


def test_503_is_transient(sf):
    fault(sf, kind='status', status=503, endpoint='^GetAsyncResult$')
    with pytest.raises(TransientError) as caught:
        client(sf).get_async_result(1)
    assert caught.value.fields['http_status'] == 503


def test_malformed_answer_is_transient(sf):
    handle = operation(sf, duration=10)
    fault(sf, kind='malformed', endpoint='^GetAsyncResult$')
    with pytest.raises(TransientError):
        client(sf).get_async_result(handle)
    assert client(sf).get_async_result(handle).status == RUNNING


def test_unsupported_api_version_is_a_method_error(sf):
    with pytest.raises(SolidFireMethodError) as caught:
        client(sf, api_version='99.9').call('GetAPI')
    assert caught.value.name == 'xUnknownAPIVersion'


# -- GetAsyncResult and the purge rule ----------------------------------------------

def test_running_read_reports_details_and_never_purges(sf):
    handle = operation(sf, duration=10, result_type='BulkVolume')
    first = client(sf).get_async_result(handle)
    second = client(sf).get_async_result(handle)
    assert (first.status, first.vendor_status, first.result_type) == (RUNNING, 'running', 'BulkVolume')
    assert first.details['bvID'] == handle and first.progress is not None
    assert second.status == RUNNING
    assert sf.simulator.counters.snapshot().get('purged', 0) == 0


def test_complete_result_is_purged_unless_keep_result(sf):
    kept = operation(sf, duration=0, result={'cloneID': 5, 'volumeID': 7})
    purged = operation(sf, duration=0)
    sf_client = client(sf)
    first = sf_client.get_async_result(kept, keep_result=True)
    again = sf_client.get_async_result(kept, keep_result=True)
    assert first.to_result() == again.to_result()
    assert first.result == {'cloneID': 5, 'volumeID': 7} and first.status == SUCCEEDED
    assert sf_client.get_async_result(purged).status == SUCCEEDED
    with pytest.raises(SolidFireMethodError) as caught:
        sf_client.get_async_result(purged)
    assert 'keep_result' in caught.value.message
    assert caught.value.fields['error']['name'] == 'xDBNoSuchPath'


def test_failed_operation_keeps_the_vendor_error(sf):
    handle = operation(sf, duration=0, outcome='failed', result_type='BulkVolume')
    current = client(sf).get_async_result(handle)
    assert current.status == FAILED and current.vendor_status == 'complete'
    assert current.error['name'] == 'xBulkVolumeScriptFailure'
    assert current.to_result()['error']['bvID'] == handle
    assert 'result' not in current.to_result()


def test_start_returns_the_handle_and_the_method_answer(sf):
    handle, answer = client(sf).start('CloneVolume', {'volumeID': 3, 'name': 'c1'})
    assert answer['asyncHandle'] == handle and 'cloneID' in answer
    assert client(sf).get_async_result(handle, keep_result=True).result_type == 'Clone'


def test_start_of_a_method_without_handle_fails_clearly(sf):
    with pytest.raises(TerminalError) as caught:
        client(sf).start('GetAPI', {})
    assert 'asyncHandle' in caught.value.message


def test_password_never_appears_in_errors(sf):
    fault(sf, kind='status', status=502, endpoint='^GetAPI$', body='upstream said %s' % PASSWORD)
    with pytest.raises(TransientError) as caught:
        client(sf).call('GetAPI')
    assert PASSWORD not in str(caught.value.to_result())


# -- list entries -------------------------------------------------------------------

@pytest.mark.parametrize('shape, payload_known', [('nested', True), ('flat', True), ('empty', False)])
def test_list_failure_data_shapes(sf, shape, payload_known):
    sf.simulator.configure({'list_failure_data': shape})
    handle = operation(sf, duration=0, outcome='failed')
    entry = client(sf).list_async_results()[handle]
    assert entry.status == FAILED
    assert entry.payload_known is payload_known
    if payload_known:
        assert entry.error['name'] == 'xBulkVolumeScriptFailure'


def test_unknown_vendor_word_keeps_waiting():
    current = AsyncResult(1, 'queued')
    assert current.status == RUNNING and current.observation().vendor_status == 'queued'


# -- one handle through the wait loop ---------------------------------------------

def test_wait_for_one_handle_with_a_clock(sf):
    handle = operation(sf, duration=3, result={'cloneID': 1})
    clock = SimulatorClock(sf)
    sf_client = client(sf)
    outcome = wait_for(lambda: sf_client.get_async_result(handle).observation(), policy(), clock=clock)
    assert outcome.observation.status == SUCCEEDED
    assert outcome.observation.payload.result == {'cloneID': 1}
    assert 3 <= clock.time < 5
    assert sf.simulator.counters.snapshot()['purged'] == 1


def test_dropped_connections_mid_wait_are_retried(sf):
    handle = operation(sf, duration=2)
    fault(sf, kind='drop', endpoint='^GetAsyncResult$', count=2, after=1)
    sf_client = client(sf)
    outcome = wait_for(lambda: sf_client.get_async_result(handle).observation(), policy(), clock=SimulatorClock(sf))
    assert outcome.observation.status == SUCCEEDED
    assert any('transient_error' in entry for entry in outcome.record.history)


def test_timeout_keeps_the_last_status(sf):
    handle = operation(sf, duration=100)
    sf_client = client(sf)
    with pytest.raises(WaitTimeout) as caught:
        wait_for(lambda: sf_client.get_async_result(handle).observation(), policy(timeout=5),
                 clock=SimulatorClock(sf), describe='async handle %d' % handle)
    assert caught.value.observation.status == RUNNING
    assert 'Timed out after 5 s' in caught.value.message


# -- many handles -------------------------------------------------------------------

def wait_many(sim, handles, keep_result=False, **policy_args):
    watcher = AsyncHandleWatcher(client(sim), keep_result=keep_result)
    outcome = wait_for_many(watcher, handles, policy(**policy_args), clock=SimulatorClock(sim), rng=lambda: 0.0)
    return watcher, outcome


def test_many_handles_one_list_per_round_and_one_purge_read_each(sf):
    handles = [operation(sf, duration=d) for d in (1, 2, 3, 4, 5)]
    watcher, outcome = wait_many(sf, handles)
    assert outcome.observation.status == SUCCEEDED
    rounds = outcome.record.attempts
    assert calls(sf, 'ListAsyncResults') == rounds
    assert calls(sf, 'GetAsyncResult') == len(handles)
    assert sf.simulator.counters.snapshot()['purged'] == len(handles)
    assert watcher.use_list


def test_keep_result_true_needs_no_per_handle_read_and_purges_nothing(sf):
    handles = [operation(sf, duration=d) for d in (0, 1, 2)]
    watcher, outcome = wait_many(sf, handles, keep_result=True)
    assert outcome.observation.status == SUCCEEDED
    assert calls(sf, 'GetAsyncResult') == 0
    assert sorted(sf.simulator.operations) == sorted(handles)
    assert watcher.settled[handles[0]].result['cloneID'] == handles[0]


def test_failure_error_left_out_of_the_list_is_read_once(sf):
    sf.simulator.configure({'list_failure_data': 'empty'})
    handles = [operation(sf, duration=0, outcome='failed'), operation(sf, duration=1)]
    watcher, outcome = wait_many(sf, handles, keep_result=True)
    assert outcome.observation.status == FAILED
    assert calls(sf, 'GetAsyncResult') == 1
    assert watcher.settled[handles[0]].error['name'] == 'xBulkVolumeScriptFailure'


def test_fallback_without_list_async_results(sf):
    sf.simulator.configure({'list_async_results': False})
    handles = [operation(sf, duration=d) for d in (1, 3)]
    watcher, outcome = wait_many(sf, handles)
    assert outcome.observation.status == SUCCEEDED and not watcher.use_list
    assert calls(sf, 'ListAsyncResults') == 1
    # Rounds at 0, 1, 2, 3 s: both read in the first two (the first completes at 1 s), then only the second.
    assert outcome.record.attempts == 4
    assert calls(sf, 'GetAsyncResult') == 2 + 2 + 1 + 1
    assert sf.simulator.counters.snapshot()['purged'] == 2


def test_purged_handle_in_a_list_is_a_failed_entry_not_an_exception(sf):
    kept = operation(sf, duration=0)
    watcher, outcome = wait_many(sf, [kept, 424242])
    assert outcome.observation.status == FAILED
    gone = watcher.settled[424242]
    assert gone.status == FAILED and gone.error['name'] == 'xDBNoSuchPath'
    assert watcher.settled[kept].status == SUCCEEDED


def test_result_purged_in_a_round_that_later_fails_is_not_lost(sf):
    first = operation(sf, duration=0, result={'cloneID': 1})
    second = operation(sf, duration=0, result={'cloneID': 2})
    # ListAsyncResults, GetAsyncResult(first) purges; GetAsyncResult(second) fails twice.
    fault(sf, kind='status', status=503, endpoint='^GetAsyncResult$', after=1, count=2)
    watcher, outcome = wait_many(sf, [first, second])
    assert outcome.observation.status == SUCCEEDED
    assert watcher.settled[first].result == {'cloneID': 1}
    assert watcher.settled[second].result == {'cloneID': 2}


def test_list_outage_exhausts_the_retry_budget(sf):
    handle = operation(sf, duration=10)
    fault(sf, kind='status', status=503, endpoint='^ListAsyncResults$', count=10)
    with pytest.raises(TransientBudgetExhausted):
        wait_many(sf, [handle], retries=2)


def test_api_version_before_9_6_falls_back_without_list_async_results(sf):
    handle = operation(sf, duration=1)
    watcher = AsyncHandleWatcher(client(sf, api_version='9.0'))
    outcome = wait_for_many(watcher, [handle], policy(), clock=SimulatorClock(sf), rng=lambda: 0.0)
    assert outcome.observation.status == SUCCEEDED and not watcher.use_list
    assert calls(sf, 'ListAsyncResults') == 1


def test_control_api_creates_many_handles_in_one_call(sf):
    created = sf.simulator.create_operation({'durations': [0, 5, 10], 'result_type': 'DriveAdd'})
    listed = client(sf).list_async_results()
    assert sorted(listed) == sorted(created['ids'])
    assert [listed[h].status for h in created['ids']] == [SUCCEEDED, RUNNING, RUNNING]
    assert set(entry.result_type for entry in listed.values()) == set(['DriveAdd'])


# -- deadlines, credentials, IPv6, shapes ----------------------------------------

class SlowClusterClock(object):
    """An injected clock on which every answer of the cluster takes ``per_request`` seconds."""

    def __init__(self, per_request):
        self.time = 100.0
        self.per_request = per_request

    def now(self):
        return self.time

    def sleep(self, seconds):
        self.time += max(seconds, 0)

    def on_response(self, response, *args, **kwargs):
        self.time += self.per_request


@pytest.mark.parametrize('use_list', [False, True])
def test_per_handle_reads_stop_at_the_deadline(sf, use_list):
    """Handles the cluster does not know, read one by one at 2 s each: the wait still ends on time."""
    sf.simulator.configure({'list_async_results': use_list})
    clock = SlowClusterClock(per_request=2.0)
    sf_client = client(sf)
    sf_client.http.session.hooks['response'].append(clock.on_response)
    wait_policy = policy(timeout=10, retries=0)
    handles = list(range(5000, 5300))  # never issued: each costs its own GetAsyncResult
    watcher = AsyncHandleWatcher(sf_client, deadline=wait_policy.deadline(clock), clock=clock)
    start = clock.now()
    with pytest.raises(WaitTimeout) as caught:
        wait_for_many(watcher, handles, wait_policy, clock=clock)
    elapsed = clock.now() - start
    assert elapsed <= 10 + 2.0  # wait_timeout + one request
    assert calls(sf, 'GetAsyncResult') <= 6
    assert len(watcher.unread) >= len(handles) - 6
    batch = caught.value.observation.payload
    assert len(batch.pending()) >= len(handles) - 6


def test_without_a_deadline_the_watcher_reads_every_handle(sf):
    sf.simulator.configure({'list_async_results': False})
    watcher = AsyncHandleWatcher(client(sf))
    observations = watcher([9001, 9002, 9003])
    assert sorted(observations) == [9001, 9002, 9003]
    assert all(o.status == FAILED for o in observations.values()) and watcher.unread == []


def test_credentials_revoked_mid_wait_fail_at_once(sf):
    import requests
    handle = operation(sf, duration=30)
    sf_client = client(sf)
    clock = SimulatorClock(sf)
    checks = []

    def check():
        checks.append(1)
        if len(checks) == 2:
            answer = requests.post(sf.base_url + '/_sim/revoke', json={}, verify=sf.ca_path, timeout=5)
            assert answer.json() == {'revoked': [USER]}
        return sf_client.get_async_result(handle).observation()
    with pytest.raises(TerminalError) as caught:
        wait_for(check, policy(), clock=clock)
    assert len(checks) == 2 and caught.value.fields['http_status'] == 401
    assert PASSWORD not in repr(caught.value.to_result())


def test_ipv6_literal_host(start_simulator):
    from asyncops_simulators.solidfire import SolidFireSimulator
    sim = start_simulator(SolidFireSimulator(), host='::1')
    sf_client = SolidFireClient('::1', USER, PASSWORD, port=sim.port, ca_path=sim.ca_path, timeout=5)
    assert sf_client.http.base_url == 'https://[::1]:%d' % sim.port
    handle, dummy = sf_client.start('CloneVolume', {'volumeID': 1, 'name': 'v6'})
    assert sf_client.get_async_result(handle, keep_result=True).async_handle == handle


def _answer_with(sf, monkeypatch, result):
    from asyncops_simulators import kit
    monkeypatch.setattr(sf.simulator, 'handle', lambda request: kit.json_response({'id': 1, 'result': result}))


@pytest.mark.parametrize('result, unexpected', [
    (['running'], 'a list as the result'),
    ('complete', 'a string as the result'),
    ({'status': ['complete']}, 'a list as status'),
    ({'resultType': 'Clone'}, 'no status'),
])
def test_get_async_result_of_an_unexpected_shape(sf, monkeypatch, result, unexpected):
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import UnexpectedAnswer
    _answer_with(sf, monkeypatch, result)
    with pytest.raises(UnexpectedAnswer) as caught:
        client(sf).get_async_result(3)
    assert caught.value.message.startswith(
        'The SolidFire cluster answered GetAsyncResult for handle 3 with %s' % unexpected)


def test_a_bare_error_message_becomes_an_error_object(sf, monkeypatch):
    _answer_with(sf, monkeypatch, {'status': 'complete', 'error': 'disk on fire'})
    result = client(sf).get_async_result(3)
    assert result.status == FAILED and result.error == {'message': 'disk on fire'}


@pytest.mark.parametrize('entries', [[{'asyncResultID': [1], 'completed': True}], [{'completed': True}], ['x'],
                                     [{'asyncResultID': 1, 'completed': 'yes'}]])
def test_list_async_results_of_an_unexpected_shape(sf, monkeypatch, entries):
    from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import UnexpectedAnswer
    _answer_with(sf, monkeypatch, {'asyncHandles': entries})
    with pytest.raises(UnexpectedAnswer) as caught:
        client(sf).list_async_results()
    assert caught.value.message.startswith('The SolidFire cluster answered ListAsyncResults with ')
