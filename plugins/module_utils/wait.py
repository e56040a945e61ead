# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one wait loop every module of asyncops.jobs uses.

It knows no vendor and no HTTP. A vendor plugs in with a ``check`` callable that returns an
:class:`Observation` (normalized status, vendor word, optional delay hint) or raises
:class:`~.errors.TransientError` / :class:`~.errors.TerminalError`.

Two budgets are kept apart on purpose (the lesson of google-api-core's retry vs polling): the
deadline bounds how long the *operation* may take, ``retries`` bounds how many *requests in a
row* may fail. A failed request is never read as a status, so throttling or a 503 can never end
a wait as success.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import random
import time

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import (
    AsyncOpsError,
    TransientError,
)

RUNNING = 'running'
SUCCEEDED = 'succeeded'
FAILED = 'failed'
CANCELLED = 'cancelled'
TERMINAL_STATUSES = (SUCCEEDED, FAILED, CANCELLED)
STATUSES = (RUNNING,) + TERMINAL_STATUSES

# 2**64 times any sane poll_interval is far past any cap; stop growing there so a 10,000-round
# wait cannot overflow a float.
_MAX_BACKOFF_EXPONENT = 64


class Observation(object):
    """One status reading of one operation, already normalized by the vendor client."""

    __slots__ = ('status', 'vendor_status', 'payload', 'delay_hint', 'progress', 'detail')

    def __init__(self, status, vendor_status=None, payload=None, delay_hint=None, progress=None, detail=None):
        if status not in STATUSES:
            raise ValueError('status must be one of %s, not %r' % (', '.join(STATUSES), status))
        self.status = status
        self.vendor_status = vendor_status
        self.payload = payload
        # Seconds the server asked us to wait before the next check; a floor, never undercut.
        self.delay_hint = delay_hint
        self.progress = progress
        # A short vendor word that says where the operation is (a stage), shown in progress lines.
        self.detail = detail

    @property
    def terminal(self):
        return self.status in TERMINAL_STATUSES

    def __repr__(self):
        return 'Observation(%r, vendor_status=%r, delay_hint=%r)' % (self.status, self.vendor_status, self.delay_hint)


class SystemClock(object):
    """Monotonic time: a wall-clock jump (NTP, DST) must not shorten or stretch a deadline."""

    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        if seconds > 0:
            time.sleep(seconds)


class WaitPolicy(object):
    """How long to wait and how often to ask; built from the ``asyncops.jobs.wait`` options."""

    def __init__(self, timeout=600, poll_interval=2.0, max_poll_interval=30.0, retries=5,
                 request_timeout=30.0, backoff_factor=2.0, jitter=0.25, hint_jitter=0.1, history_limit=50):
        problems = []
        if timeout < 0:
            problems.append('wait_timeout must be 0 or more')
        if poll_interval < 0:
            problems.append('poll_interval must be 0 or more')
        if max_poll_interval < poll_interval:
            problems.append('max_poll_interval must not be smaller than poll_interval')
        if retries < 0:
            problems.append('retries must be 0 or more')
        if request_timeout <= 0:
            problems.append('request_timeout must be more than 0')
        if problems:
            raise ValueError('; '.join(problems) + '.')
        self.timeout = timeout
        self.poll_interval = float(poll_interval)
        self.max_poll_interval = float(max_poll_interval)
        self.retries = retries
        self.request_timeout = float(request_timeout)
        self.backoff_factor = backoff_factor
        self.jitter = jitter
        self.hint_jitter = hint_jitter
        self.history_limit = history_limit

    @classmethod
    def from_params(cls, params):
        return cls(
            timeout=params['wait_timeout'],
            poll_interval=params['poll_interval'],
            max_poll_interval=params['max_poll_interval'],
            retries=params['retries'],
            request_timeout=params.get('request_timeout', 30.0),
        )

    def replace(self, **changes):
        """A copy with some settings changed (e.g. a lower backoff cap while a lock must stay alive)."""
        settings = dict(timeout=self.timeout, poll_interval=self.poll_interval, max_poll_interval=self.max_poll_interval,
                        retries=self.retries, request_timeout=self.request_timeout, backoff_factor=self.backoff_factor,
                        jitter=self.jitter, hint_jitter=self.hint_jitter, history_limit=self.history_limit)
        settings.update(changes)
        return WaitPolicy(**settings)

    def deadline(self, clock=None):
        """The absolute deadline of a wait starting now; pass it to several ``wait_for`` calls that
        together make one task (start then wait, a list of actions) so ``wait_timeout`` bounds them all."""
        return (clock or SystemClock()).now() + self.timeout

    def backoff_delay(self, step, rng):
        """Capped exponential backoff, jittered downwards so the cap is never exceeded.

        Jitter spreads many AWX forks that started together so they do not poll in lockstep.
        """
        base = self.poll_interval * (self.backoff_factor ** min(step, _MAX_BACKOFF_EXPONENT))
        base = min(base, self.max_poll_interval)
        return base * (1.0 - self.jitter * rng())

    def hinted_delay(self, hint, rng):
        """The server's hint plus a little jitter upwards: the hint itself is a hard floor."""
        return hint * (1.0 + self.hint_jitter * rng())


class _History(object):
    """Status changes and transient errors, bounded: the first entry and the most recent ones.

    A wait of 10,000 rounds must not return a 10,000-entry list to the controller.
    """

    def __init__(self, limit):
        self._first = None
        self._recent = collections.deque(maxlen=max(limit - 1, 1))
        self._last_key = None

    def record(self, key, entry):
        if key == self._last_key:
            return
        self._last_key = key
        if self._first is None:
            self._first = entry
        else:
            self._recent.append(entry)

    def as_list(self):
        return ([self._first] if self._first is not None else []) + list(self._recent)


class WaitRecord(object):
    """What the loop did; becomes the ``attempts``, ``elapsed`` and ``history`` result keys."""

    def __init__(self, attempts, elapsed, history):
        self.attempts = attempts
        self.elapsed = elapsed
        self.history = history

    def to_result(self):
        return dict(attempts=self.attempts, elapsed=self.elapsed, history=self.history)


class Round(object):
    """What one round of the loop saw, handed to an observer (live progress) as it happens."""

    __slots__ = ('attempt', 'elapsed', 'observation', 'error', 'final')

    def __init__(self, attempt, elapsed, observation=None, error=None, final=False):
        self.attempt = attempt
        self.elapsed = elapsed
        self.observation = observation
        self.error = error
        # True when the loop returns after this round (terminal status, or a single read).
        self.final = final


class WaitOutcome(object):
    def __init__(self, observation, record):
        self.observation = observation
        self.record = record

    def to_result(self):
        """The result keys every waiting module returns: ``status``, ``vendor_status``, ``progress``,
        ``attempts``, ``elapsed``, ``history``."""
        result = dict(status=self.observation.status, vendor_status=self.observation.vendor_status)
        if self.observation.progress is not None:
            result['progress'] = self.observation.progress
        result.update(self.record.to_result())
        return result


class WaitTimeout(AsyncOpsError):
    """The deadline passed; ``observation`` is the last status seen (None if none was)."""

    def __init__(self, message, observation, record, **fields):
        super(WaitTimeout, self).__init__(message, **fields)
        self.observation = observation
        self.record = record


class TransientBudgetExhausted(AsyncOpsError):
    """More consecutive transient errors than ``retries`` allows."""

    def __init__(self, message, last_error, observation, record, **fields):
        super(TransientBudgetExhausted, self).__init__(message, **fields)
        self.last_error = last_error
        self.observation = observation
        self.record = record


def wait_for(check, policy, clock=None, rng=None, single_read=False, describe='the operation', deadline=None,
             observer=None):
    """Call ``check`` until it reports a terminal status, the deadline passes or requests keep failing.

    ``single_read`` (``wait: false``) returns the first successful observation, terminal or not;
    transient errors are still retried so one blip does not fail the read.
    ``deadline`` (from :meth:`WaitPolicy.deadline`, same clock) ends the wait earlier than
    ``policy.timeout`` would, when this wait is one part of a longer task.
    ``observer`` is called with a :class:`Round` after every check, so a caller can report progress
    while the wait goes on; the loop does not depend on what it does.
    Raises :class:`WaitTimeout`, :class:`TransientBudgetExhausted`, or whatever terminal error
    ``check`` raised, at once.
    """
    clock = clock or SystemClock()
    observe = observer or (lambda event: None)
    rng = rng or random.random
    start = clock.now()
    deadline = start + policy.timeout if deadline is None else min(deadline, start + policy.timeout)
    history = _History(policy.history_limit)
    attempts = 0
    consecutive_errors = 0
    poll_step = 0
    last = None

    def record():
        return WaitRecord(attempts, round(clock.now() - start, 3), history.as_list())

    def timeout(reason=''):
        status = last.status if last is not None else None
        vendor_status = last.vendor_status if last is not None else None
        still = ('; it was still %s' % status) if status else '; no status was read'
        if vendor_status is not None and vendor_status != status:
            still += ' (vendor status %s)' % vendor_status
        return WaitTimeout(
            'Timed out after %s s waiting for %s%s%s.' % (_format_seconds(policy.timeout), describe, still, reason),
            last, record(), status=status, vendor_status=vendor_status)

    while True:
        attempts += 1
        try:
            observation = check()
        except TransientError as err:
            consecutive_errors += 1
            history.record(('error', err.message), dict(
                attempt=attempts, elapsed=round(clock.now() - start, 3), transient_error=err.message))
            observe(Round(attempts, clock.now() - start, error=err))
            if consecutive_errors > policy.retries:
                fields = dict(err.fields)
                fields.update(status=last.status if last else None, vendor_status=last.vendor_status if last else None)
                raise TransientBudgetExhausted(
                    'Gave up after %d consecutive failed requests (retries=%d): %s'
                    % (consecutive_errors, policy.retries, err.message.rstrip('.') + '.'),
                    err, last, record(), **fields)
            delay = policy.backoff_delay(consecutive_errors - 1, rng)
            floor = err.retry_after
        else:
            consecutive_errors = 0
            last = observation
            entry = dict(attempt=attempts, elapsed=round(clock.now() - start, 3),
                         status=observation.status, vendor_status=observation.vendor_status)
            if observation.progress is not None:
                entry['progress'] = observation.progress
            history.record(('status', observation.status, observation.vendor_status), entry)
            final = observation.terminal or single_read
            observe(Round(attempts, clock.now() - start, observation=observation, final=final))
            if final:
                return WaitOutcome(observation, record())
            floor = observation.delay_hint
            if floor is None:
                delay = policy.backoff_delay(poll_step, rng)
                poll_step += 1
            else:
                delay = policy.hinted_delay(floor, rng)

        if floor is not None:
            floor = max(float(floor), 0.0)
            delay = max(delay, floor)
        remaining = deadline - clock.now()
        if remaining <= 0:
            raise timeout()
        if floor is not None and floor > remaining:
            # Checking again before the deadline would break the server's hint, and sleeping
            # past the deadline would break ours: stop now rather than burn the time.
            raise timeout('; the server asked for the next check in %s s, after the deadline' % _format_seconds(floor))
        clock.sleep(min(delay, remaining))


class BatchObservation(object):
    """The latest observation per id, in the order the ids were given."""

    def __init__(self, ids, latest):
        self.ids = list(ids)
        self.latest = latest

    def counts(self):
        counts = dict((status, 0) for status in STATUSES)
        for op_id in self.ids:
            observation = self.latest.get(op_id)
            counts[observation.status if observation is not None else RUNNING] += 1
        return counts

    def pending(self):
        return [op_id for op_id in self.ids if op_id not in self.latest or not self.latest[op_id].terminal]


def _aggregate_status(counts):
    if counts[RUNNING]:
        return RUNNING
    if counts[FAILED]:
        return FAILED
    if counts[CANCELLED]:
        return CANCELLED
    return SUCCEEDED


def wait_for_many(check_batch, ids, policy, clock=None, rng=None, single_read=False, describe=None, deadline=None,
                  observer=None):
    """Settle many operations with one status request per round.

    ``check_batch(pending_ids)`` returns ``{id: Observation}`` for some or all of the pending ids
    (ids it leaves out stay pending). The round's delay floor is the largest hint among them.
    Returns a :class:`WaitOutcome` whose observation payload is a :class:`BatchObservation`; on
    timeout the :class:`WaitTimeout` carries it too, so callers can say which ids were left.
    """
    batch = BatchObservation(ids, {})

    def round_check():
        observations = check_batch(batch.pending())
        batch.latest.update(observations)
        counts = batch.counts()
        hints = [o.delay_hint for o in observations.values() if o.delay_hint is not None and not o.terminal]
        summary = ', '.join('%d %s' % (counts[s], s) for s in STATUSES if counts[s])
        return Observation(_aggregate_status(counts), vendor_status=summary, payload=batch,
                           delay_hint=max(hints) if hints else None)

    try:
        return wait_for(round_check, policy, clock=clock, rng=rng, single_read=single_read,
                        describe=describe or '%d operations' % len(batch.ids), deadline=deadline, observer=observer)
    except WaitTimeout as err:
        if err.observation is None:
            err.observation = Observation(RUNNING, payload=batch)
        raise


def _format_seconds(value):
    return ('%d' % value) if float(value).is_integer() else ('%.1f' % value)
