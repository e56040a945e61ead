# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""solidfire_async_result's main() against the in-process SolidFire simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils import wait
from ansible_collections.asyncops.jobs.plugins.modules import solidfire_async_result
from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module

PASSWORD = 'Sim-SolidFire-pass-42'


@pytest.fixture(scope='module')
def sf_server(start_simulator):
    from asyncops_simulators.solidfire import SolidFireSimulator
    return start_simulator(SolidFireSimulator())


@pytest.fixture
def sf(sf_server, monkeypatch):
    sf_server.reset()

    class FastForwardClock(object):
        """The module's wait loop sleeps by moving the simulator's operations forward."""

        def __init__(self):
            self.time = 0.0

        def now(self):
            return self.time

        def sleep(self, seconds):
            self.time += seconds
            for op in sf_server.simulator.operations.values():
                op.started -= seconds

    monkeypatch.setattr(wait, 'SystemClock', FastForwardClock)
    return sf_server


def args(sim, **kwargs):
    base = dict(hostname='127.0.0.1', port=sim.port, username='sf-admin', password=PASSWORD,
                ca_path=sim.ca_path, poll_interval=1, max_poll_interval=2, wait_timeout=60, request_timeout=5)
    base.update(kwargs)
    return base


def operation(sim, **spec):
    return sim.simulator.create_operation(spec)['id']


def calls(sim, method):
    return sim.simulator.counters.snapshot()['requests_by_endpoint'].get(method, 0)


def run(monkeypatch, sim, check_mode=False, **kwargs):
    result, failed = run_module(monkeypatch, solidfire_async_result, args(sim, **kwargs), check_mode=check_mode)
    assert PASSWORD not in json.dumps(result)
    return result, failed


def test_single_handle_success(monkeypatch, sf):
    handle = operation(sf, duration=3, result={'cloneID': 25, 'volumeID': 47})
    result, failed = run(monkeypatch, sf, async_handle=handle)
    assert not failed and result['changed'] is False
    assert (result['status'], result['vendor_status']) == ('succeeded', 'complete')
    assert result['result'] == {'cloneID': 25, 'volumeID': 47}
    assert result['result_type'] == 'Clone' and result['async_handle'] == handle
    assert result['create_time'].endswith('Z') and result['last_update_time'].endswith('Z')
    assert result['attempts'] >= 2


def test_single_handle_failure_fails_the_task_with_the_vendor_error(monkeypatch, sf):
    handle = operation(sf, duration=1, outcome='failed', result_type='BulkVolume')
    result, failed = run(monkeypatch, sf, async_handle=handle)
    assert failed and result['status'] == 'failed'
    assert result['error']['name'] == 'xBulkVolumeScriptFailure'
    assert result['msg'] == 'Async handle %d (BulkVolume) failed: xBulkVolumeScriptFailure: Bulk volume job failed.' % handle
    assert result['reason'] == 'operation_failed' and result['timed_out'] is False and result['ran_on'] == 'target'


def test_keep_result_false_purges_and_the_rerun_explains_keep_result(monkeypatch, sf):
    handle = operation(sf, duration=0)
    first, failed = run(monkeypatch, sf, async_handle=handle)
    assert not failed
    again, failed = run(monkeypatch, sf, async_handle=handle)
    assert failed and 'keep_result' in again['msg']
    assert again['error']['name'] == 'xDBNoSuchPath' and again['async_handle'] == handle
    assert again['reason'] == 'request_rejected'


def test_keep_result_true_is_idempotent(monkeypatch, sf):
    handle = operation(sf, duration=2)
    first, failed = run(monkeypatch, sf, async_handle=handle, keep_result=True)
    second, failed_again = run(monkeypatch, sf, async_handle=handle, keep_result=True)
    assert not failed and not failed_again
    keys = ('status', 'vendor_status', 'result', 'result_type', 'create_time', 'last_update_time')
    assert dict((k, first[k]) for k in keys) == dict((k, second[k]) for k in keys)
    assert handle in sf.simulator.operations


def test_wait_false_reads_once(monkeypatch, sf):
    handle = operation(sf, duration=30)
    result, failed = run(monkeypatch, sf, async_handle=handle, wait=False)
    assert not failed and result['status'] == 'running' and result['attempts'] == 1
    assert 'percentComplete' in result['details']


def test_check_mode_reads_without_purging(monkeypatch, sf):
    handle = operation(sf, duration=0)
    result, failed = run(monkeypatch, sf, check_mode=True, async_handle=handle)
    assert not failed and result['status'] == 'succeeded' and result['changed'] is False
    assert handle in sf.simulator.operations


def test_method_mode_starts_and_waits(monkeypatch, sf):
    result, failed = run(monkeypatch, sf, method='CloneVolume', params={'volumeID': 34, 'name': 'c1'})
    assert not failed and result['changed'] is True
    assert result['status'] == 'succeeded'
    assert result['method_result']['asyncHandle'] == result['async_handle']
    assert calls(sf, 'CloneVolume') == 1


def test_method_mode_check_mode_calls_nothing(monkeypatch, sf):
    result, failed = run(monkeypatch, sf, check_mode=True, method='CloneVolume', params={'volumeID': 34, 'name': 'c'})
    assert not failed and result['changed'] is True and result['async_handle'] is None
    assert sf.simulator.counters.snapshot()['requests_total'] == 0


def test_method_error_at_start_is_one_sentence(monkeypatch, sf):
    result, failed = run(monkeypatch, sf, method='CloneVolume', params={'name': 'c'})
    assert failed and result['error']['name'] == 'xMissingParameter'
    assert result['msg'].startswith('CloneVolume failed with xMissingParameter')
    assert result['reason'] == 'request_rejected' and result['changed'] is False


def test_many_handles_results_in_order_and_summary(monkeypatch, sf):
    handles = [operation(sf, duration=d) for d in (3, 1, 2)]
    result, failed = run(monkeypatch, sf, async_handles=handles)
    assert not failed and result['list_async_results'] is True
    assert [entry['async_handle'] for entry in result['results']] == handles
    assert result['summary'] == dict(total=3, running=0, succeeded=3, failed=0, cancelled=0)
    assert calls(sf, 'ListAsyncResults') == result['attempts']
    assert calls(sf, 'GetAsyncResult') == 3


def test_many_handles_failure_names_the_failed_ones(monkeypatch, sf):
    good = operation(sf, duration=1)
    bad = operation(sf, duration=2, outcome='failed')
    result, failed = run(monkeypatch, sf, async_handles=[good, bad, 555])
    assert failed
    assert result['summary']['failed'] == 2 and result['summary']['succeeded'] == 1
    assert result['msg'].startswith('2 of 3 async handles failed: %d (xBulkVolumeScriptFailure' % bad)
    assert '555 (xDBNoSuchPath' in result['msg'] and 'keep_result' in result['msg']
    assert result['reason'] == 'operation_failed' and result['timed_out'] is False


def test_many_handles_fallback(monkeypatch, sf):
    sf.simulator.configure({'list_async_results': False})
    handles = [operation(sf, duration=d) for d in (1, 2)]
    result, failed = run(monkeypatch, sf, async_handles=handles)
    assert not failed and result['list_async_results'] is False
    assert result['summary']['succeeded'] == 2


def test_many_handles_timeout_reports_which_were_left(monkeypatch, sf):
    done = operation(sf, duration=0)
    slow = operation(sf, duration=1000)
    result, failed = run(monkeypatch, sf, async_handles=[done, slow], wait_timeout=5)
    assert failed and 'Timed out after 5 s' in result['msg']
    assert [entry['status'] for entry in result['results']] == ['succeeded', 'running']
    assert result['summary']['running'] == 1
    assert result['reason'] == 'timed_out' and result['timed_out'] is True


def test_single_timeout_keeps_last_status(monkeypatch, sf):
    handle = operation(sf, duration=1000)
    result, failed = run(monkeypatch, sf, async_handle=handle, wait_timeout=4)
    assert failed and result['status'] == 'running' and result['async_handle'] == handle
    assert 'Timed out after 4 s' in result['msg']
    assert result['reason'] == 'timed_out' and result['timed_out'] is True


def test_wrong_password(monkeypatch, sf):
    handle = operation(sf, duration=0)
    result, failed = run_module(monkeypatch, solidfire_async_result,
                                args(sf, async_handle=handle, password='Not-the-pass-99'))
    assert failed and result['http_status'] == 401
    assert 'check username and password' in result['msg']
    assert 'Not-the-pass-99' not in json.dumps(result)
    assert result['reason'] == 'request_rejected'


def test_options_are_mutually_exclusive(monkeypatch, sf):
    result, failed = run(monkeypatch, sf, async_handle=1, async_handles=[1])
    assert failed and 'mutually exclusive' in result['msg']
    assert result['reason'] == 'invalid_options'
    assert sf.simulator.counters.snapshot()['requests_total'] == 0


def test_missing_connection_option_names_the_environment_variable(monkeypatch, sf):
    monkeypatch.delenv('SOLIDFIRE_HOSTNAME', raising=False)
    result, failed = run(monkeypatch, sf, async_handle=1, hostname=None)
    assert failed and 'SOLIDFIRE_HOSTNAME' in result['msg']


def test_many_handles_retry_budget_keeps_results_already_purged(monkeypatch, sf):
    from asyncops_simulators.kit import Fault
    done = operation(sf, duration=0, result={'cloneID': 9})
    slow = operation(sf, duration=1000)
    # The first round lists both and purges the finished one; every later list fails.
    sf.simulator.faults.append(Fault('status', endpoint='^ListAsyncResults$', after=1, count=100))
    result, failed = run(monkeypatch, sf, async_handles=[done, slow], retries=1)
    assert failed and 'Gave up after 2 consecutive failed requests' in result['msg']
    assert result['results'][0]['result'] == {'cloneID': 9}
    assert done not in sf.simulator.operations
    assert result['summary']['succeeded'] == 1 and result['summary']['running'] == 1
    assert result['reason'] == 'retries_exhausted' and result['timed_out'] is False


def test_method_mode_without_waiting_keeps_an_instant_result_for_the_next_task(monkeypatch, sf):
    sf.simulator.configure({'operation_duration': 0})
    started, failed = run(monkeypatch, sf, method='CopyVolume', params={'volumeID': 1, 'dstVolumeID': 2}, wait=False)
    assert not failed and started['changed'] and started['status'] == 'succeeded'
    waited, failed = run(monkeypatch, sf, async_handle=started['async_handle'])
    assert not failed and waited['result']['cloneID'] == started['method_result']['cloneID']
    assert started['async_handle'] not in sf.simulator.operations


def test_many_handles_in_check_mode_purge_nothing(monkeypatch, sf):
    handles = [operation(sf, duration=d) for d in (0, 1)]
    result, failed = run(monkeypatch, sf, check_mode=True, async_handles=handles)
    assert not failed and result['summary']['succeeded'] == 2
    assert sorted(sf.simulator.operations) == sorted(handles)
    assert calls(sf, 'GetAsyncResult') == 0


def test_empty_handle_list_is_refused_before_any_request(monkeypatch, sf):
    result, failed = run(monkeypatch, sf, async_handles=[])
    assert failed and result['reason'] == 'invalid_options' and result['timed_out'] is False
    assert result['msg'] == 'async_handles is an empty list: name at least one item, or leave the option out.'
    assert sf.simulator.counters.snapshot()['requests_total'] == 0


@pytest.mark.parametrize('bad', [dict(wait_timeout=0), dict(wait_timeout=-5), dict(request_timeout=0),
                                 dict(method=' ')])
def test_bad_input_is_refused_before_the_method_is_called(monkeypatch, sf, bad):
    options = dict(method='CloneVolume', params={'volumeID': 34, 'name': 'c'})
    options.update(bad)
    result, failed = run(monkeypatch, sf, **options)
    assert failed and result['reason'] == 'invalid_options' and result['changed'] is False
    assert sf.simulator.counters.snapshot()['requests_total'] == 0 and not sf.simulator.operations


def test_check_mode_method_reports_changed_and_calls_nothing_even_with_waiting_options(monkeypatch, sf):
    result, failed = run(monkeypatch, sf, check_mode=True, method='CopyVolume', params={'volumeID': 1},
                         keep_result=False, wait=False)
    assert not failed and result['changed'] is True and result['method'] == 'CopyVolume'
    assert sf.simulator.counters.snapshot()['requests_total'] == 0


def test_check_mode_reads_keep_the_result_whatever_keep_result_says(monkeypatch, sf):
    handle = operation(sf, duration=0)
    for dummy in range(2):
        result, failed = run(monkeypatch, sf, check_mode=True, async_handle=handle, keep_result=False)
        assert not failed and result['status'] == 'succeeded'
    assert sf.simulator.counters.snapshot().get('purged', 0) == 0
    assert handle in sf.simulator.operations


def test_thousands_of_unknown_handles_without_list_async_results_stop_at_the_deadline(monkeypatch, sf):
    """Every request costs time on this clock, as on a slow link: 2,000 handle reads would take 500 s."""
    sf.simulator.configure({'list_async_results': False})
    cost = 0.25

    class RequestCostClock(object):
        def __init__(self):
            self.slept = 0.0

        def now(self):
            return self.slept + cost * sf.simulator.counters.values['requests_total']

        def sleep(self, seconds):
            self.slept += seconds

    clock = RequestCostClock()
    monkeypatch.setattr(wait, 'SystemClock', lambda: clock)
    handles = list(range(900001, 902001))
    result, failed = run(monkeypatch, sf, async_handles=handles, wait_timeout=3, request_timeout=1)
    assert failed and result['reason'] == 'timed_out' and result['timed_out'] is True
    assert clock.now() <= 3 + 1
    read = calls(sf, 'GetAsyncResult')
    assert 0 < read < 20
    assert result['summary'] == dict(total=2000, failed=read, running=2000 - read, succeeded=0, cancelled=0)
    assert result['list_async_results'] is False
    assert len(result['msg']) < 400 and result['msg'].startswith('Timed out after 3 s waiting for 2000 async handles')


def test_a_thousand_failed_handles_keep_msg_one_short_sentence(monkeypatch, sf):
    handles = sf.simulator.create_operation({'durations': [0] * 1200, 'outcome': 'failed'})['ids']
    result, failed = run(monkeypatch, sf, async_handles=handles, keep_result=True)
    assert failed and result['reason'] == 'operation_failed'
    assert len(result['msg']) < 400
    assert result['msg'] == ('1200 of 1200 async handles failed: %s (xBulkVolumeScriptFailure) and 1195 more.'
                             % ' (xBulkVolumeScriptFailure), '.join(str(h) for h in handles[:5]))
    assert result['summary']['failed'] == 1200 and len(result['results']) == 1200
    assert result['results'][-1]['error']['message'] == 'Bulk volume job failed'
    assert calls(sf, 'ListAsyncResults') == 1 and calls(sf, 'GetAsyncResult') == 0


def test_timeout_keeps_results_purged_by_earlier_rounds(monkeypatch, sf):
    done = operation(sf, duration=0, result={'cloneID': 7})
    slow = operation(sf, duration=1000)
    result, failed = run(monkeypatch, sf, async_handles=[done, slow, done], wait_timeout=4)
    assert failed and result['reason'] == 'timed_out'
    assert done not in sf.simulator.operations
    assert [entry.get('result') for entry in result['results']] == [{'cloneID': 7}, None, {'cloneID': 7}]
    assert result['summary'] == dict(total=3, succeeded=2, running=1, failed=0, cancelled=0)
