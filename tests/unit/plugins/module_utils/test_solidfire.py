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
