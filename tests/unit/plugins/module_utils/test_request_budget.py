# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared request budget: GCRA schedule on an injected clock, real file locks, real processes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils import request_budget
from ansible_collections.asyncops.jobs.plugins.module_utils.errors import AsyncOpsError, TerminalError, TransientError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import HttpClient
from ansible_collections.asyncops.jobs.plugins.module_utils.request_budget import (
    BudgetDeadlineExceeded,
    RequestBudget,
    endpoint_key,
)

KEY = endpoint_key('https://kis01.example.com:7271/api/2.0/virtualization')


class FakeClock(object):
    """Virtual time; ``sleep`` advances it unless frozen (many waiters sharing one instant)."""

    def __init__(self, now=1000.0, frozen=False):
        self.t = now
        self.frozen = frozen
        self.sleeps = []
        self.lock = threading.Lock()

    def now(self):
        return self.t

    def sleep(self, seconds):
        with self.lock:
            self.sleeps.append(seconds)
            if not self.frozen:
                self.t += seconds


@pytest.fixture
def budget_dir(tmp_path):
    return str(tmp_path / 'budget')


def budget(budget_dir, rate=4.0, key=KEY, clock=None, **kwargs):
    return RequestBudget(rate, key, directory=budget_dir, clock=clock or FakeClock(), **kwargs)


def windows(times, width):
    """The most timestamps in any closed window [t, t + width] (windows start at a timestamp)."""
    times = sorted(times)
    best = 0
    end = 0
    for start, t in enumerate(times):
        while end < len(times) and times[end] <= t + width + 1e-9:
            end += 1
        best = max(best, end - start)
    return best


def test_rate_is_held_over_many_acquisitions(budget_dir):
    clock = FakeClock()
    b = budget(budget_dir, rate=4.0, clock=clock)
    grants = []
    for dummy in range(200):
        b.acquire()
        grants.append(clock.now())
    assert b.burst == 4
    # The burst goes out at once, then one slot every 1/rate.
    assert grants[:4] == [1000.0] * 4
    assert grants[-1] - grants[0] == pytest.approx((200 - 4) * 0.25)
    assert windows(grants, 1.0) <= 4 + 4
    assert windows(grants[4:], 10.0) <= 10 * 4 + 1
    assert b.waits == 196
    assert b.waited_seconds == pytest.approx(196 * 0.25)


def test_idle_time_refills_only_the_burst(budget_dir):
    clock = FakeClock(frozen=True)
    b = budget(budget_dir, rate=2.5, clock=clock)
    assert b.burst == 3
    for dummy in range(10):
        b.acquire()
    clock.t += 3600
    waits = [b.acquire() for dummy in range(5)]
    # An hour of silence is worth one burst, not 9,000 requests.
    assert waits == [0.0, 0.0, 0.0, pytest.approx(0.4), pytest.approx(0.8)]


def test_burst_can_be_set_and_is_validated(budget_dir):
    clock = FakeClock(frozen=True)
    b = budget(budget_dir, rate=10, clock=clock, burst=1)
    assert [b.acquire() for dummy in range(3)] == [0.0, pytest.approx(0.1), pytest.approx(0.2)]
    with pytest.raises(TerminalError):
        budget(budget_dir, burst=0)


@pytest.mark.parametrize('rate', [0, -1, 'fast', None, float('inf'), float('nan')])
def test_rate_must_be_positive(budget_dir, rate):
    with pytest.raises(TerminalError) as caught:
        budget(budget_dir, rate=rate)
    assert caught.value.message == 'max_requests_per_second must be a positive number.'


def test_slots_are_granted_in_arrival_order(budget_dir):
    clock = FakeClock(frozen=True)
    first, second = budget(budget_dir, rate=1, clock=clock), budget(budget_dir, rate=1, clock=clock)
    assert first.burst == 1
    assert first.acquire() == 0.0
    assert first.acquire() == 1.0
    # The second waiter arrived before the first one's third request: it is served before it,
    # however often the first one asks.
    assert second.acquire() == 2.0
    assert [first.acquire() for dummy in range(3)] == [3.0, 4.0, 5.0]
    assert second.acquire() == 6.0


def test_concurrent_waiters_each_get_their_own_slot(budget_dir):
    clock = FakeClock(frozen=True)
    barrier = threading.Barrier(12)
    waits = []

    def waiter():
        b = budget(budget_dir, rate=4, clock=clock)
        barrier.wait()
        waits.append(b.acquire())

    threads = [threading.Thread(target=waiter) for dummy in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # Twelve separate descriptors on one file: the lock lets exactly one reserve at a time, so no
    # slot is handed out twice and none is skipped.
    assert sorted(waits) == [pytest.approx(x) for x in [0.0] * 4 + [0.25 * k for k in range(1, 9)]]


def test_a_slot_after_the_deadline_is_refused_and_not_reserved(budget_dir):
    clock = FakeClock(frozen=True)
    b = budget(budget_dir, rate=1, clock=clock)
    b.acquire()
    with pytest.raises(BudgetDeadlineExceeded) as caught:
        b.acquire(deadline=clock.now() + 0.5)
    err = caught.value
    assert isinstance(err, AsyncOpsError) and not isinstance(err, TransientError)
    assert err.wait == 1.0 and err.remaining == 0.5
    assert err.message == ('The request budget of 1 requests per second gives the next request a slot in 1.0 s, '
                           'after the deadline (0.5 s left).')
    assert err.fields == dict(budget_wait=1.0, max_requests_per_second=1.0)
    assert b.waits == 0 and clock.sleeps == []
    # Nothing was reserved: the next caller gets the slot the refused one would have had.
    other = budget(budget_dir, rate=1, clock=clock)
    assert other.acquire(deadline=clock.now() + 1.0) == 1.0


def test_a_free_slot_is_granted_even_past_the_deadline(budget_dir):
    # The budget only ever delays; ending the wait at its deadline is the wait loop's job.
    clock = FakeClock(frozen=True)
    assert budget(budget_dir, clock=clock).acquire(deadline=clock.now() - 5) == 0.0


def test_waits_are_counted_and_announced(budget_dir):
    clock = FakeClock()
    announced = []
    b = budget(budget_dir, rate=2, burst=1, clock=clock, on_wait=announced.append)
    for dummy in range(4):
        b.acquire()
    assert announced == [0.5, 0.5, 0.5]
    assert clock.sleeps == [0.5, 0.5, 0.5]
    assert (b.waits, b.waited_seconds) == (3, 1.5)
    assert b.to_result() == dict(max_requests_per_second=2.0, burst=1, waits=3, waited=1.5, shared=True)


def test_two_endpoints_are_independent(budget_dir):
    clock = FakeClock(frozen=True)
    one = budget(budget_dir, rate=1, clock=clock, key=endpoint_key('https://10.0.0.1:443'))
    two = budget(budget_dir, rate=1, clock=clock, key=endpoint_key('https://10.0.0.1:8443'))
    assert [one.acquire() for dummy in range(3)] == [0.0, 1.0, 2.0]
    assert two.acquire() == 0.0
    assert one.path != two.path


def test_scope_separates_keys_and_no_name_or_scope_lands_in_a_file_name(budget_dir):
    url = 'https://tds.aliyuncs.com'
    first, second = endpoint_key(url, scope='LTAI5tFirstAccessKey'), endpoint_key(url, scope='LTAI5tOtherAccessKey')
    assert first != second != endpoint_key(url)
    clock = FakeClock(frozen=True)
    a = budget(budget_dir, rate=1, clock=clock, key=first)
    b = budget(budget_dir, rate=1, clock=clock, key=second)
    assert (a.acquire(), a.acquire(), b.acquire()) == (0.0, 1.0, 0.0)
    names = ' '.join(os.listdir(budget_dir))
    assert 'LTAI5t' not in names and 'aliyuncs' not in names
    for name in os.listdir(budget_dir):
        with open(os.path.join(budget_dir, name)) as f:
            assert 'LTAI5t' not in f.read()


@pytest.mark.parametrize('url, key', [
    ('https://KIS01.Example.com/api/x', 'https://kis01.example.com:443'),
    ('https://kis01.example.com:443/other', 'https://kis01.example.com:443'),
    ('http://kis01.example.com', 'http://kis01.example.com:80'),
    ('https://[FE80::1]:7271/api', 'https://[fe80::1]:7271'),
])
def test_endpoint_key_is_scheme_host_and_port(url, key):
    assert endpoint_key(url) == key


def test_the_directory_is_private(tmp_path):
    directory = str(tmp_path / 'open')
    os.mkdir(directory)
    os.chmod(directory, 0o777)
    b = budget(directory)
    assert b.shared
    b.acquire()
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(b.path).st_mode) == 0o600


def test_the_default_directory_is_per_user_in_the_temporary_directory():
    path = request_budget.default_directory()
    assert os.path.dirname(path) == tempfile.gettempdir()
    assert os.path.basename(path) == 'asyncops-jobs-budget-%d' % os.getuid()


def test_a_planted_symlink_is_not_followed(tmp_path):
    target = tmp_path / 'elsewhere'
    target.mkdir()
    link = tmp_path / 'budget'
    link.symlink_to(target)
    clock = FakeClock(frozen=True)
    b = budget(str(link), rate=1, clock=clock)
    assert not b.shared
    assert b.note.endswith('is not a directory, so the request budget is shared by this process only.')
    assert os.listdir(str(target)) == []


def test_without_fcntl_the_budget_is_per_process(budget_dir, monkeypatch):
    monkeypatch.setattr(request_budget, 'HAS_FCNTL', False)
    monkeypatch.setattr(request_budget, '_LOCAL_STATE', {})
    clock = FakeClock(frozen=True)
    a, b = budget(budget_dir, rate=1, clock=clock), budget(budget_dir, rate=1, clock=clock)
    assert not a.shared
    assert a.note == 'fcntl is not available on this host, so the request budget is shared by this process only.'
    # Still one schedule for the whole process.
    assert (a.acquire(), b.acquire(), a.acquire()) == (0.0, 1.0, 2.0)
    assert not os.path.exists(budget_dir)


@pytest.mark.parametrize('content', [
    b'', b'{', b'\x00\xff garbage', b'[]', b'{"tat": "soon"}', b'{"tat": NaN}', b'{"tat": 1e999}',
])
def test_an_empty_or_corrupt_state_file_is_reset(budget_dir, content):
    clock = FakeClock(frozen=True)
    b = budget(budget_dir, rate=1, clock=clock)
    with open(b.path, 'wb') as f:
        f.write(content)
    assert b.acquire() == 0.0
    assert b.acquire() == 1.0
    with open(b.path) as f:
        assert json.load(f)['tat'] == clock.now() + 2.0


def test_a_state_file_from_an_earlier_boot_is_reset(budget_dir, monkeypatch):
    monkeypatch.setattr(request_budget, '_BOOT_ID', ['this-boot'])
    clock = FakeClock(frozen=True)
    b = budget(budget_dir, rate=1, clock=clock)
    with open(b.path, 'w') as f:
        # A backlog of a day, written in another boot at a reading this clock has not reached yet.
        json.dump(dict(v=1, tat=clock.now() + 86400, now=clock.now() - 5, boot_id='earlier-boot'), f)
    assert b.acquire() == 0.0
    with open(b.path) as f:
        assert json.load(f)['boot_id'] == 'this-boot'
    assert b.acquire() == 1.0


def test_a_state_file_written_on_another_clock_is_reset(budget_dir):
    # A test's virtual clock and the real one share the default directory: a tat from a clock
    # that is ahead must not stall real waiters (nor a real tat a virtual clock).
    ahead = FakeClock(now=1000000.0, frozen=True)
    writer = budget(budget_dir, rate=0.01, clock=ahead)
    for dummy in range(3):
        writer.acquire()
    behind = FakeClock(now=500.0, frozen=True)
    reader = budget(budget_dir, rate=1, clock=behind)
    assert (reader.acquire(), reader.acquire()) == (0.0, 1.0)
    # Readings at or after the last writer's are the same clock: the schedule holds.
    behind.t = 500.5
    assert reader.acquire() == 1.5


_CHILD_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def test_a_lock_held_by_a_killed_process_does_not_block_others(budget_dir):
    clock = FakeClock(frozen=True)
    b = budget(budget_dir, rate=1, clock=clock)
    b.acquire()
    holder = subprocess.Popen([sys.executable, '-c', textwrap.dedent('''
        import fcntl, os, sys, time
        fd = os.open(sys.argv[1], os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print('locked', flush=True)
        time.sleep(120)
        '''), b.path], stdout=subprocess.PIPE, universal_newlines=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        done = []
        waiter = threading.Thread(target=lambda: done.append(b.acquire()))
        waiter.start()
        waiter.join(0.3)
        assert done == [], 'the child holds the lock, so the waiter must still be blocked'
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        waiter.join(10)
        assert done == [1.0]
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()


def test_the_monotonic_clock_is_one_clock_for_every_process():
    before = time.monotonic()
    child = subprocess.run([sys.executable, '-c', 'import time; print(repr(time.monotonic()))'],
                           stdout=subprocess.PIPE, universal_newlines=True, check=True)
    after = time.monotonic()
    assert before <= float(child.stdout) <= after


_HAMMER = textwrap.dedent('''
    import json, sys, time
    from ansible_collections.asyncops.jobs.plugins.module_utils.request_budget import (
        BudgetDeadlineExceeded, RequestBudget)
    directory, key, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    budget = RequestBudget(20, key, directory=directory)
    time.sleep(max(0.0, start - time.monotonic()))
    grants = []
    while True:
        try:
            budget.acquire(deadline=end)
        except BudgetDeadlineExceeded:
            break
        if time.monotonic() > end:
            break
        grants.append(time.monotonic())
    print(json.dumps(grants))
''')


def test_several_processes_hammering_one_key_stay_within_rate_plus_burst(budget_dir):
    processes = 4
    start = time.monotonic() + 1.0  # after every interpreter has started
    end = start + 1.5
    children = [subprocess.Popen([sys.executable, '-c', _HAMMER, budget_dir, KEY, repr(start), repr(end)],
                                 stdout=subprocess.PIPE, universal_newlines=True, env=_CHILD_ENV)
                for dummy in range(processes)]
    per_process = [json.loads(child.communicate(timeout=30)[0]) for child in children]
    assert all(child.returncode == 0 for child in children)
    grants = sorted(t for times in per_process for t in times)
    assert all(times for times in per_process), 'every process got slots'
    assert start - 0.01 <= grants[0] and grants[-1] <= end + 0.05
    # Burst 20 at the start, then 20 per second: about 20 + 1.5 * 20 = 50 in all.
    assert 40 <= len(grants) <= 51
    assert windows(grants, 1.0) <= 20 + 20
    assert windows(grants, 0.5) <= 20 + 10 + 1


def test_http_client_takes_a_token_before_every_request(echo, budget_dir):
    clock = FakeClock(frozen=True)
    b = budget(budget_dir, rate=2, burst=1, clock=clock, key=endpoint_key(echo.base_url))
    http = HttpClient(echo.base_url, ca_path=echo.ca_path, timeout=5)
    http.use_request_budget(b, deadline=clock.now() + 1.0)
    assert http.send('GET', '/echo').status_code == 200
    assert http.send('GET', '/echo').status_code == 200
    assert clock.sleeps == [0.5]
    # The third slot (in 1.0 s) is at the deadline; the fourth (1.5 s) is past it and never sent.
    http.send('GET', '/echo')
    with pytest.raises(BudgetDeadlineExceeded):
        http.send('GET', '/echo')
    assert echo.simulator.counters.snapshot()['requests_total'] == 3
    http.use_request_budget(None)
    http.send('GET', '/echo')
    assert echo.simulator.counters.snapshot()['requests_total'] == 4


def test_the_simulator_sees_the_requests_spaced_by_the_budget(echo, budget_dir):
    # End to end on the real clock: the server's own arrival times, not the client's view.
    b = RequestBudget(10, endpoint_key(echo.base_url), burst=1, directory=budget_dir)
    http = HttpClient(echo.base_url, ca_path=echo.ca_path, timeout=5)
    http.use_request_budget(b, deadline=time.monotonic() + 10)
    before = time.monotonic()
    for dummy in range(4):
        http.send('GET', '/echo')
    arrivals = echo.simulator.counters.snapshot()['request_times']
    assert len(arrivals) == 4
    # Request i cannot reach the server before its slot, i / rate after the first; delays in
    # transit may only push arrivals later, so this holds under any load.
    assert all(at >= before + i * 0.1 - 1e-4 for i, at in enumerate(arrivals))
    assert b.waits == 3
