# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wait loop's properties, each on an injected clock: no test here sleeps."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    FAILED,
    RUNNING,
    SUCCEEDED,
    Observation,
    TransientBudgetExhausted,
    WaitPolicy,
    WaitTimeout,
    wait_for,
    wait_for_many,
)


class FakeClock(object):
    """Time moves only when the loop sleeps or a check says a request took time."""

    def __init__(self):
        self.t = 1000.0
        self.sleeps = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.t += seconds


def scripted(clock, steps, request_time=0.0):
    """A check that returns/raises ``steps`` in order and records when each call started."""
    calls = []
    steps = list(steps)

    def check():
        calls.append(clock.now())
        clock.t += request_time
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, Exception):
            raise step
        return step
    check.calls = calls
    return check


def running(hint=None, vendor='inProgress'):
    return Observation(RUNNING, vendor_status=vendor, delay_hint=hint)


def test_returns_terminal_observation_with_record():
    clock = FakeClock()
    check = scripted(clock, [running(), running(), Observation(SUCCEEDED, 'complete', payload={'x': 1})])
    outcome = wait_for(check, WaitPolicy(timeout=60, poll_interval=1, max_poll_interval=4), clock=clock, rng=lambda: 0.0)
    assert outcome.observation.status == SUCCEEDED
    assert outcome.observation.payload == {'x': 1}
    assert outcome.record.attempts == 3
    assert outcome.record.elapsed == pytest.approx(1 + 2)
    assert [h['vendor_status'] for h in outcome.record.history] == ['inProgress', 'complete']


@pytest.mark.parametrize('seed', range(40))
def test_deadline_never_overrun_by_more_than_one_request(seed):
    rnd = random.Random(seed)
    clock = FakeClock()
    policy = WaitPolicy(timeout=rnd.randint(1, 300), poll_interval=rnd.uniform(0.1, 5),
                        max_poll_interval=rnd.uniform(5, 60), request_timeout=10)
    hints = [None, None, rnd.uniform(0.1, 20)]
    request_time = rnd.uniform(0, policy.request_timeout)

    def check():
        check.starts.append(clock.now())
        clock.t += request_time
        return running(hint=rnd.choice(hints))
    check.starts = []
    start = clock.now()
    with pytest.raises(WaitTimeout) as caught:
        wait_for(check, policy, clock=clock, rng=rnd.random)
    assert clock.now() - start <= policy.timeout + policy.request_timeout
    assert all(s <= start + policy.timeout + 1e-9 for s in check.starts), 'a check started after the deadline'
    assert caught.value.fields['status'] == RUNNING
    assert 'Timed out after %d s' % policy.timeout in caught.value.message


@pytest.mark.parametrize('seed', range(20))
def test_server_hint_is_never_undercut(seed):
    rnd = random.Random(seed)
    clock = FakeClock()
    hints = [rnd.choice([None, rnd.uniform(0.01, 30)]) for dummy in range(200)]
    observations = [running(hint=h) for h in hints] + [Observation(SUCCEEDED)]
    check = scripted(clock, observations)
    wait_for(check, WaitPolicy(timeout=10 ** 6, poll_interval=0.5, max_poll_interval=2), clock=clock, rng=rnd.random)
    gaps = [b - a for a, b in zip(check.calls, check.calls[1:])]
    for hint, gap in zip(hints, gaps):
        if hint is not None:
            assert gap >= hint, 'checked %.3f s after a %.3f s hint' % (gap, hint)


def test_hint_is_followed_closely_not_replaced_by_backoff():
    # KSC: a T-second action with hint h should take about T/h + 1 checks.
    clock = FakeClock()
    finish_at = clock.t + 10.0

    def check():
        if clock.now() >= finish_at:
            return Observation(SUCCEEDED)
        return running(hint=1.0)
    outcome = wait_for(check, WaitPolicy(timeout=60, poll_interval=2, max_poll_interval=30), clock=clock)
    assert 9 <= outcome.record.attempts <= 11
    assert clock.now() - finish_at <= 1.1 + 1e-9


def test_transient_retry_after_is_a_floor():
    clock = FakeClock()
    check = scripted(clock, [TransientError('throttled', retry_after=7.5), Observation(SUCCEEDED)])
    wait_for(check, WaitPolicy(timeout=60, poll_interval=0.1, max_poll_interval=1), clock=clock)
    assert check.calls[1] - check.calls[0] >= 7.5


def test_backoff_is_exponential_capped_and_jittered_within_bounds():
    policy = WaitPolicy(poll_interval=2, max_poll_interval=30, jitter=0.25)
    for step, base in enumerate([2, 4, 8, 16, 30, 30, 30]):
        assert policy.backoff_delay(step, lambda: 0.0) == base
        assert policy.backoff_delay(step, lambda: 1.0) == pytest.approx(base * 0.75)
    rnd = random.Random(1)
    delays = [policy.backoff_delay(10, rnd.random) for dummy in range(1000)]
    assert all(22.5 <= d <= 30 for d in delays)
    assert len(set(round(d, 6) for d in delays)) > 900, 'jitter must actually spread the delays'


def test_huge_round_counts_do_not_overflow_the_backoff():
    policy = WaitPolicy(poll_interval=2, max_poll_interval=30)
    assert policy.backoff_delay(10000, lambda: 0.0) == 30


def test_sleeps_follow_the_backoff_between_checks():
    clock = FakeClock()
    check = scripted(clock, [running()] * 6 + [Observation(SUCCEEDED)])
    wait_for(check, WaitPolicy(timeout=600, poll_interval=1, max_poll_interval=8), clock=clock, rng=lambda: 0.0)
    assert clock.sleeps == [1, 2, 4, 8, 8, 8]


def test_transient_budget_counts_consecutive_errors_and_resets_on_success():
    clock = FakeClock()
    blip = TransientError('HTTP 503')
    steps = [blip, blip, blip, running(), blip, blip, blip, Observation(SUCCEEDED)]
    outcome = wait_for(scripted(clock, steps), WaitPolicy(timeout=600, poll_interval=0.1, retries=3), clock=clock)
    assert outcome.observation.status == SUCCEEDED
    assert outcome.record.attempts == 8


def test_transient_budget_exhausted_fails_and_is_never_success():
    clock = FakeClock()
    check = scripted(clock, [TransientError('HTTP 429 Too Many Requests', http_status=429)])
    with pytest.raises(TransientBudgetExhausted) as caught:
        wait_for(check, WaitPolicy(timeout=600, poll_interval=0.1, retries=2), clock=clock)
    assert len(check.calls) == 3
    assert caught.value.fields['http_status'] == 429
    assert caught.value.message.startswith('Gave up after 3 consecutive failed requests (retries=2)')
    assert caught.value.observation is None


def test_throttling_after_running_keeps_the_last_real_status():
    clock = FakeClock()
    check = scripted(clock, [running(vendor='Processing'), TransientError('Throttling')])
    with pytest.raises(TransientBudgetExhausted) as caught:
        wait_for(check, WaitPolicy(timeout=600, poll_interval=0.1, retries=1), clock=clock)
    assert caught.value.fields['status'] == RUNNING
    assert caught.value.fields['vendor_status'] == 'Processing'


def test_terminal_error_is_raised_at_once():
    clock = FakeClock()
    check = scripted(clock, [TerminalError('unknown handle', code='xDBNoSuchPath')])
    with pytest.raises(TerminalError):
        wait_for(check, WaitPolicy(timeout=600, retries=5), clock=clock)
    assert len(check.calls) == 1
    assert clock.sleeps == []


def test_terminal_error_after_transient_errors_is_raised_at_once():
    clock = FakeClock()
    check = scripted(clock, [TransientError('503'), TerminalError('401 unauthorized')])
    with pytest.raises(TerminalError, match='401'):
        wait_for(check, WaitPolicy(timeout=600, retries=5), clock=clock)
    assert len(check.calls) == 2


def test_failed_operation_is_returned_not_raised():
    clock = FakeClock()
    outcome = wait_for(scripted(clock, [Observation(FAILED, 'fail')]), WaitPolicy(), clock=clock)
    assert outcome.observation.status == FAILED


def test_single_read_returns_running_without_sleeping():
    clock = FakeClock()
    outcome = wait_for(scripted(clock, [running()]), WaitPolicy(), clock=clock, single_read=True)
    assert outcome.observation.status == RUNNING
    assert outcome.record.attempts == 1
    assert clock.sleeps == []


def test_single_read_still_retries_a_transient_error():
    clock = FakeClock()
    outcome = wait_for(scripted(clock, [TransientError('reset'), running()]), WaitPolicy(poll_interval=0.1),
                       clock=clock, single_read=True)
    assert outcome.record.attempts == 2


def test_hint_past_the_deadline_times_out_without_sleeping_past_it():
    clock = FakeClock()
    check = scripted(clock, [running(hint=50)])
    with pytest.raises(WaitTimeout) as caught:
        wait_for(check, WaitPolicy(timeout=20), clock=clock)
    assert len(check.calls) == 1
    assert clock.sleeps == []
    assert 'after the deadline' in caught.value.message


def test_zero_timeout_reads_once():
    clock = FakeClock()
    check = scripted(clock, [running()])
    with pytest.raises(WaitTimeout):
        wait_for(check, WaitPolicy(timeout=0), clock=clock)
    assert len(check.calls) == 1


def test_history_is_bounded_for_a_10000_round_wait():
    clock = FakeClock()
    rounds = [running(vendor='step-%d' % (i % 2)) for i in range(10000)] + [Observation(SUCCEEDED, 'complete')]
    policy = WaitPolicy(timeout=10 ** 9, poll_interval=0.01, max_poll_interval=0.01, history_limit=50)
    outcome = wait_for(scripted(clock, rounds), policy, clock=clock)
    history = outcome.record.history
    assert outcome.record.attempts == 10001
    assert len(history) == 50
    assert history[0]['attempt'] == 1
    assert history[-1]['vendor_status'] == 'complete'
    assert history[-1]['attempt'] == 10001


def test_history_records_changes_only():
    clock = FakeClock()
    rounds = [running()] * 100 + [Observation(SUCCEEDED, 'complete')]
    outcome = wait_for(scripted(clock, rounds), WaitPolicy(timeout=10 ** 6, poll_interval=0.01), clock=clock)
    assert len(outcome.record.history) == 2


@pytest.mark.parametrize('kwargs, message', [
    (dict(timeout=-1), 'wait_timeout'),
    (dict(poll_interval=10, max_poll_interval=5), 'max_poll_interval'),
    (dict(retries=-1), 'retries'),
    (dict(request_timeout=0), 'request_timeout'),
])
def test_policy_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WaitPolicy(**kwargs)


class FakeCluster(object):
    """Operations finishing at given rounds; counts batch requests."""

    def __init__(self, finish_round):
        self.finish_round = finish_round
        self.round = 0
        self.requests = []

    def check_batch(self, pending):
        self.round += 1
        self.requests.append(list(pending))
        return dict((op_id, Observation(SUCCEEDED if self.round >= self.finish_round[op_id] else RUNNING,
                                        payload={'id': op_id}))
                    for op_id in pending)


def test_batch_makes_one_request_per_round_and_settles_all():
    clock = FakeClock()
    cluster = FakeCluster(dict((i, 1 + i % 7) for i in range(200)))
    outcome = wait_for_many(cluster.check_batch, list(range(200)), WaitPolicy(timeout=600, poll_interval=1,
                                                                              max_poll_interval=1), clock=clock)
    assert len(cluster.requests) == 7
    assert len(cluster.requests[-1]) == len([i for i in range(200) if 1 + i % 7 == 7])
    batch = outcome.observation.payload
    assert outcome.observation.status == SUCCEEDED
    assert batch.counts()[SUCCEEDED] == 200
    assert [batch.latest[i].payload['id'] for i in batch.ids] == list(range(200))


def test_batch_reports_failure_if_any_failed():
    clock = FakeClock()

    def check_batch(pending):
        return dict((i, Observation(FAILED if i == 2 else SUCCEEDED)) for i in pending)
    outcome = wait_for_many(check_batch, [1, 2, 3], WaitPolicy(), clock=clock)
    assert outcome.observation.status == FAILED
    assert outcome.observation.payload.counts()[FAILED] == 1


def test_batch_timeout_says_which_are_left():
    clock = FakeClock()
    cluster = FakeCluster({'a': 1, 'b': 10 ** 6})
    with pytest.raises(WaitTimeout) as caught:
        wait_for_many(cluster.check_batch, ['a', 'b'], WaitPolicy(timeout=10, poll_interval=1), clock=clock)
    assert caught.value.observation.payload.pending() == ['b']


def test_batch_uses_largest_hint_as_floor():
    clock = FakeClock()
    calls = []

    def check_batch(pending):
        calls.append(clock.now())
        if len(calls) > 1:
            return dict((i, Observation(SUCCEEDED)) for i in pending)
        return {'a': running(hint=3), 'b': running(hint=9)}
    wait_for_many(check_batch, ['a', 'b'], WaitPolicy(poll_interval=0.1), clock=clock)
    assert calls[1] - calls[0] >= 9


def test_a_shared_deadline_bounds_several_waits_together():
    clock = FakeClock()
    policy = WaitPolicy(timeout=30, poll_interval=1, max_poll_interval=1)
    deadline = policy.deadline(clock)
    start = clock.now()
    wait_for(scripted(clock, [running()] * 20 + [Observation(SUCCEEDED)]), policy, clock=clock, rng=lambda: 0.0,
             deadline=deadline)
    with pytest.raises(WaitTimeout):
        wait_for(scripted(clock, [running()]), policy, clock=clock, rng=lambda: 0.0, deadline=deadline)
    assert clock.now() - start <= policy.timeout


def test_replace_keeps_every_other_setting():
    policy = WaitPolicy(timeout=77, poll_interval=3, max_poll_interval=40, retries=9, request_timeout=12)
    capped = policy.replace(max_poll_interval=5)
    assert (capped.timeout, capped.poll_interval, capped.max_poll_interval, capped.retries, capped.request_timeout) == \
        (77, 3, 5, 9, 12)
