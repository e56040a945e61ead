# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Task interface: what an operation may ask of the task that runs it, wherever it runs.

Every module's start/wait/cancel logic lives in ``operations/<module>.py`` as ``run(task)`` and
an :class:`OperationSpec`. Two sides run it:

- ``module.py``: :class:`~.module.ModuleTask`, on ``AnsibleModule`` (the target way);
- ``plugins/plugin_utils/controller_task.py``: the action plugin, in the controller's worker
  process (the controller way, which can print live progress).

Both go through :func:`perform`, so options are checked the same way, before any request, and
every failure becomes the same result with the same ``reason``. An operation never sees
``AnsibleModule`` or ``ActionBase``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os

from ansible.module_utils.errors import NoLogError

from ansible_collections.asyncops.jobs.plugins.module_utils import wait as wait_loop
from ansible_collections.asyncops.jobs.plugins.module_utils.argspec import (
    build_argument_spec,
    missing_connection_options,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.errors import (
    AsyncOpsError,
    BudgetDeadlineExceeded,
    TerminalError,
    TransientError,
    one_sentence,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.version import COLLECTION_NAME

# Waits for a request budget that a result's history names (the first and the most recent).
BUDGET_HISTORY = 10

# result key ``reason``: why a task failed (README.md, "What every result says")
OPERATION_FAILED = 'operation_failed'
OPERATION_CANCELLED = 'operation_cancelled'
TIMED_OUT = 'timed_out'
RETRIES_EXHAUSTED = 'retries_exhausted'
REQUEST_REJECTED = 'request_rejected'
INVALID_OPTIONS = 'invalid_options'

# Upper bounds that catch typos (an extra zero or three), not real needs.
_LIMITS = dict(
    wait_timeout=30 * 24 * 3600,
    poll_interval=24 * 3600,
    max_poll_interval=24 * 3600,
    request_timeout=3600,
    progress_interval=24 * 3600,
    retries=1000,
    max_requests_per_second=10000,
)


class InvalidOptions(TerminalError):
    """Options that cannot work together; raised before any request is sent."""


class OperationFailed(AsyncOpsError):
    """The operation itself ended badly (or cannot be done): the task fails with ``reason``."""

    def __init__(self, message, reason=OPERATION_FAILED, **fields):
        super(OperationFailed, self).__init__(message, **fields)
        self.reason = reason


class OperationSpec(object):
    """What a module accepts: its own options on top of the vendor's, and how they combine.

    ``non_empty_lists``: list options that, when given, must name at least one item.
    ``check``: ``check(params)`` returns a list of one-sentence problems the argument spec cannot
    express (``wait: false`` with a method KSC could never check again...).
    """

    def __init__(self, name, vendor, options=None, wait=True, needs_xml=False, mutually_exclusive=None,
                 required_one_of=None, required_together=None, required_by=None, required_if=None,
                 non_empty_lists=(), check=None):
        self.name = name
        self.vendor = vendor
        self.options = options or {}
        self.wait = wait
        self.needs_xml = needs_xml
        self.mutually_exclusive = mutually_exclusive or []
        self.required_one_of = required_one_of or []
        self.required_together = required_together or []
        self.required_by = required_by or {}
        self.required_if = required_if or []
        self.non_empty_lists = tuple(non_empty_lists)
        self.extra_check = check

    @property
    def fqcn(self):
        return '%s.%s' % (COLLECTION_NAME, self.name)

    def argument_spec(self):
        return build_argument_spec(self.vendor, self.options, wait=self.wait)

    def validator_kwargs(self):
        """The combination rules, in the keyword form both AnsibleModule and ArgumentSpecValidator take."""
        return dict(mutually_exclusive=self.mutually_exclusive, required_one_of=self.required_one_of,
                    required_together=self.required_together, required_by=self.required_by,
                    required_if=self.required_if)

    def problems(self, params):
        """Everything wrong with already type-checked ``params``, as one-sentence strings."""
        problems = []
        missing = missing_connection_options(self.vendor, params)
        if missing:
            problems.append('Missing required connection options: %s.' % ', '.join(missing))
        problems.extend(_number_problems(params))
        for name in self.non_empty_lists:
            if params.get(name) is not None and len(params[name]) == 0:
                problems.append('%s is an empty list: name at least one item, or leave the option out.' % name)
        if self.extra_check is not None:
            problems.extend(self.extra_check(params))
        return problems

    def check(self, params):
        problems = self.problems(params)
        if problems:
            raise InvalidOptions(problems[0] if len(problems) == 1 else ' '.join(problems), problems=problems)

    def early_secrets(self, raw_params, environ=None):
        """Values of ``no_log`` options as given or found in the environment, before any validation.

        ansible-core's validation can fail (an option of the wrong type) before it has collected
        the ``no_log`` values, and would then print them in ``invocation`` at ``-vvv``.
        """
        environ = os.environ if environ is None else environ
        secrets = set()
        for name, option in self.argument_spec().items():
            if not option.get('no_log'):
                continue
            value = (raw_params or {}).get(name)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
                secrets.add(str(value))
            for variable in (option.get('fallback') or (None, ()))[1]:
                if environ.get(variable):
                    secrets.add(environ[variable])
        return secrets


def validation_message(errors):
    """The message of ansible-core's argument validation ``errors``, naming the option where it can.

    A list of dicts given a string (``target_info: web-01``) first fails ansible-core's search for
    ``no_log`` values with a message that names no option; the element error after it names it.
    """
    named = [error for error in errors.errors if not isinstance(error, NoLogError)]
    return (named or errors.errors)[0].msg


def _number_problems(params):
    problems = []

    def number(name):
        value = params.get(name)
        if value is None:
            return None
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            problems.append('%s must be a finite number, not %s.' % (name, value))
            return None
        if value > _LIMITS[name]:
            problems.append('%s must be at most %s, not %s.' % (name, _LIMITS[name], value))
            return None
        return value

    for name, minimum, strict in (('wait_timeout', 0, True), ('poll_interval', 0, True),
                                  ('max_poll_interval', 0, True), ('request_timeout', 0, True),
                                  ('progress_interval', 0, False), ('retries', 0, False),
                                  ('max_requests_per_second', 0, True)):
        value = number(name)
        if value is None:
            continue
        if strict and value <= minimum:
            hint = ' (wait: false reads the status once without waiting)' if name == 'wait_timeout' else ''
            problems.append('%s must be more than 0, not %s%s.' % (name, value, hint))
        elif not strict and value < minimum:
            problems.append('%s must be 0 or more, not %s.' % (name, value))
    poll, cap = params.get('poll_interval'), params.get('max_poll_interval')
    if poll is not None and cap is not None and 0 < cap < poll:
        problems.append('max_poll_interval (%s) must not be smaller than poll_interval (%s).' % (cap, poll))
    return problems


class Task(object):
    """The side-neutral half of a running task; the two sides subclass it.

    Operations use: ``params``, ``check_mode``, ``policy``, ``deadline``, :meth:`client`,
    :meth:`wait`, :meth:`wait_many`, :meth:`remember`, :meth:`warn`, :meth:`keep_secret`,
    :meth:`time_left`, :meth:`fail`.
    """

    ran_on = None
    host = None

    def __init__(self, spec, params, check_mode=False, clock=None):
        self.spec = spec
        self.params = params
        self.check_mode = check_mode
        # Looked up at run time, so tests that replace wait.SystemClock move the whole task.
        self.clock = clock or wait_loop.SystemClock()
        self.started = self.clock.now()
        if spec.wait:
            self.policy = wait_loop.WaitPolicy.from_params(params)
            # One deadline for the whole task: start requests, several waits and a list of actions share it.
            self.deadline = self.started + self.policy.timeout
        else:
            self.policy = None
            self.deadline = None
        self.facts = {}
        self.warnings = []
        self._secrets = set()
        self._clients = []
        self.budgets = []
        # (seconds into the task, seconds waited) of each wait for a request budget, for history.
        self.budget_waits = []
        self.progress_lines = 0

    # --- what operations call ------------------------------------------------------------------
    def remember(self, **facts):
        """Keys that belong in the result however the task ends (ids learned, ``changed``...)."""
        self.facts.update(facts)

    def warn(self, message):
        self.warnings.append(message)

    def keep_secret(self, value):
        if value:
            self._secrets.add(str(value))

    def client(self, factory, **kwargs):
        """``factory.from_params(params)``, closed when the task ends, its secrets kept out of output."""
        client = factory.from_params(self.params, **kwargs)
        self._clients.append(client)
        rate = self.params.get('max_requests_per_second')
        if rate:
            # Imported only when asked for, like progress below: a module imports (and compiles, from
            # its zip) every file on each run, and neither is needed by most tasks on the target.
            from ansible_collections.asyncops.jobs.plugins.module_utils.request_budget import RequestBudget, endpoint_key
            # Shared by every task of this host that talks to the same endpoint (the same account,
            # for clients that name a scope): waiting for it counts against this task's deadline.
            budget = RequestBudget(rate, endpoint_key(client.http.base_url, scope=getattr(client, 'budget_scope', None)),
                                   clock=self.clock, on_wait=self._budget_wait)
            client.http.use_request_budget(budget, deadline=self.deadline)
            self.budgets.append(budget)
        return client

    def _budget_wait(self, seconds):
        self.budget_waits.append((round(self.clock.now() - self.started, 3), round(seconds, 3)))

    def budget_waited(self):
        """``(waits, seconds)`` this task spent waiting for request budgets so far."""
        return sum(b.waits for b in self.budgets), sum(b.waited_seconds for b in self.budgets)

    def time_left(self):
        return None if self.deadline is None else self.deadline - self.clock.now()

    def wait(self, check, describe, single_read=None, policy=None):
        """The shared wait loop on this task's deadline, with live progress where the side can show it."""
        if single_read is None:
            single_read = not self.params.get('wait', True)
        return wait_loop.wait_for(check, policy or self.policy, clock=self.clock, single_read=single_read,
                                  describe=describe, deadline=self.deadline, observer=self._reporter(describe))

    def wait_many(self, check_batch, ids, describe, noun='operations', single_read=None, policy=None):
        if single_read is None:
            single_read = not self.params.get('wait', True)
        return wait_loop.wait_for_many(check_batch, ids, policy or self.policy, clock=self.clock,
                                       single_read=single_read, describe=describe, deadline=self.deadline,
                                       observer=self._reporter(describe, noun))

    def fail(self, message, reason=OPERATION_FAILED, **fields):
        raise OperationFailed(message, reason=reason, **fields)

    # --- what the sides provide ----------------------------------------------------------------
    def show_progress(self, line):
        """Print one progress line now; a module cannot, so the default drops it."""

    def can_show_progress(self):
        return False

    # --- shared machinery ----------------------------------------------------------------------
    def _reporter(self, describe, noun='operations'):
        interval = self.params.get('progress_interval') or 0
        if not self.can_show_progress() or interval <= 0:
            return None
        from ansible_collections.asyncops.jobs.plugins.module_utils.progress import ProgressReporter
        label = '%s [%s]' % (self.spec.fqcn, self.host) if self.host else self.spec.fqcn
        reporter = ProgressReporter(self._emit, label, describe, interval, self.policy.timeout, noun=noun,
                                    elapsed_offset=self.clock.now() - self.started, redact=self.redact,
                                    extra=self._budget_words)
        return reporter

    def _budget_words(self):
        waits, seconds = self.budget_waited()
        if not waits:
            return None
        from ansible_collections.asyncops.jobs.plugins.module_utils.progress import format_duration
        return 'waited %s for the request budget (%d times)' % (format_duration(seconds), waits)

    def _emit(self, line):
        self.progress_lines += 1
        self.show_progress(line)

    def redact(self, text):
        """``text`` without any secret this task knows: options, tokens and sessions its clients obtained."""
        text = str(text)
        for client in self._clients:
            redactor = getattr(getattr(client, 'http', None), 'redact', None)
            if redactor is not None:
                text = redactor(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, '********')
        return text

    def close(self):
        for client in reversed(self._clients):
            try:
                client.close()
            except Exception:  # pylint: disable=broad-except
                # Closing is best effort: the task's own outcome must not be replaced by a socket error.
                pass


def perform(spec, operation, params, check_mode, make_task, ran_on):
    """Check every option, then run ``operation(task)``: the one sequence both sides share.

    Returns ``(result, failed)``; ``result`` always has ``changed``, ``ran_on`` and, on failure,
    ``msg`` and ``reason``; waiting modules always have ``timed_out``.
    """
    try:
        spec.check(params)
    except InvalidOptions as err:
        result = dict(err.fields, changed=False, msg=one_sentence(err.message), reason=INVALID_OPTIONS, ran_on=ran_on)
        if spec.wait:
            result['timed_out'] = False
        return result, True
    task = make_task()
    failed = True
    try:
        result = operation(task) or {}
        failed = False
    except OperationFailed as err:
        result = err.to_result()
        result['reason'] = err.reason
    except wait_loop.WaitTimeout as err:
        result = _wait_failure(err)
        result.update(reason=TIMED_OUT, timed_out=True)
    except BudgetDeadlineExceeded as err:
        # The budget had no slot before the deadline: for the user that is the wait timing out.
        result = err.to_result()
        result.update(reason=TIMED_OUT, timed_out=True)
    except wait_loop.TransientBudgetExhausted as err:
        result = _wait_failure(err)
        result['reason'] = RETRIES_EXHAUSTED
    except TransientError as err:
        # Outside a wait: a request that is never repeated (a start could run twice) failed in transit.
        result = err.to_result()
        result['reason'] = RETRIES_EXHAUSTED
    except AsyncOpsError as err:
        result = err.to_result()
        result['reason'] = REQUEST_REJECTED
    finally:
        task.close()
    final = dict(task.facts)
    final.update(result)
    final.setdefault('changed', False)
    if spec.wait:
        final.setdefault('timed_out', False)
    final['ran_on'] = ran_on
    if task.budgets:
        waits, seconds = task.budget_waited()
        final['request_budget'] = dict(task.budgets[0].to_result(), waits=waits, waited=round(seconds, 3))
        if task.budget_waits and isinstance(final.get('history'), list):
            # Bounded like the loop's own history: the first waits and the most recent ones.
            kept = task.budget_waits if len(task.budget_waits) <= BUDGET_HISTORY else (
                task.budget_waits[:1] + task.budget_waits[1 - BUDGET_HISTORY:])
            final['history'] = final['history'] + [dict(elapsed=at, request_budget_wait=seconds_waited)
                                                   for at, seconds_waited in kept]
    if failed:
        final['msg'] = one_sentence(task.redact(final.get('msg') or 'The task failed.'))
    else:
        final.pop('reason', None)
    if task.warnings:
        final['warnings'] = [one_sentence(task.redact(w)) for w in task.warnings]
    return final, failed


def _wait_failure(err):
    result = err.to_result()
    result.update(err.record.to_result())
    if err.observation is not None and err.observation.progress is not None:
        result.setdefault('progress', err.observation.progress)
    return result
