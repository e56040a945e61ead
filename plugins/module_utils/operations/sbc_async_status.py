# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sbc_async_status: read or wait on the SBC's asyncstatus, or run configuration actions under the lock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import AsyncOpsError
from ansible_collections.asyncops.jobs.plugins.module_utils.sbc import (
    ACTIONS,
    BACKUP_SOURCES,
    RESTORE_SOURCES,
    SbcClient,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.task import OPERATION_FAILED, TIMED_OUT, OperationSpec
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import SUCCEEDED

REPORT_KEYS = ('operation', 'additional_info', 'messages', 'error')
# The device's tokens live 10 minutes; a day is far beyond any device and catches a typo (an
# extra zero or three) that would otherwise let the token, and the lock with it, expire unrenewed.
MAX_TOKEN_LIFETIME = 24 * 3600
# Backups came with REST API version v1.1 (SBC 8.3).
NO_BACKUP_VERSIONS = ('v1.0',)


def _problems(params):
    """What the argument spec cannot say; all of it found before a token is asked for."""
    actions = params.get('action') or []
    problems = []
    lifetime = params.get('token_lifetime')
    if lifetime is not None and not 0 < lifetime <= MAX_TOKEN_LIFETIME:
        # The client renews its token at 80 % of this: 0 or less would renew before every request,
        # and a huge value never, so the lock would go with the device's own expiry.
        problems.append('token_lifetime must be more than 0 and at most %d seconds, not %s.'
                        % (MAX_TOKEN_LIFETIME, lifetime))
    if len(actions) > 1 and not params.get('wait', True):
        problems.append('wait=false allows only one action, because each action must end before the next starts.')
    if len(actions) > 1 and not params.get('lock', True):
        problems.append('lock=false allows only one action: a list runs as one change under one configuration lock, '
                        'so that no other session changes or activates the configuration between its actions.')
    if 'backup' in actions and not params.get('filename'):
        problems.append('action backup needs filename.')
    if 'backup' in actions and params.get('api_version') in NO_BACKUP_VERSIONS:
        problems.append('action backup needs REST API version v1.1 or later, not api_version %s.'
                        % params['api_version'])
    if 'restore' in actions and not params.get('restore_source'):
        problems.append('action restore needs restore_source.')
    if 'restore' in actions and params.get('restore_source') == 'backupFile' and not params.get('filename'):
        problems.append('action restore with restore_source=backupFile needs filename.')
    return problems


SPEC = OperationSpec(
    'sbc_async_status', 'sbc', needs_xml=True,
    options=dict(
        action=dict(type='list', elements='str', choices=list(ACTIONS)),
        operation=dict(type='str'),
        lock=dict(type='bool', default=True),
        backup_source=dict(type='str', choices=list(BACKUP_SOURCES), default='running'),
        restore_source=dict(type='str', choices=list(RESTORE_SOURCES)),
        filename=dict(type='str'),
    ),
    # With action, each action is the operation expected; naming another one could only disagree.
    mutually_exclusive=[('action', 'operation')],
    non_empty_lists=('action',),
    check=_problems,
)


def _describe(operation):
    return 'SBC %s' % operation if operation else 'the most recent SBC operation'


def _report(outcome):
    result = outcome.to_result()
    report = outcome.observation.payload
    result.update((key, report[key]) for key in REPORT_KEYS if key in report)
    return result


def _failure_message(report):
    error = report.get('error') or {}
    detail = error.get('message')
    return 'The %s operation on the SBC ended %s%s' % (
        report.get('operation'), report.get('vendor_status'), (': %s' % detail.rstrip('.') + '.') if detail else '.')


def _lock_safe_policy(policy, client):
    """The policy with pauses short enough that the token is always renewed before it expires."""
    cap = client.longest_quiet_period()
    if policy.max_poll_interval <= cap:
        return policy
    return policy.replace(poll_interval=min(policy.poll_interval, cap), max_poll_interval=cap)


def read_only(task, client):
    expected = task.params['operation']
    outcome = task.wait(lambda: client.check(expected), _describe(expected))
    result = _report(outcome)
    if outcome.observation.terminal and outcome.observation.status != SUCCEEDED:
        task.fail(_failure_message(result), reason=OPERATION_FAILED, **result)
    return result


def check_mode(task, client, actions):
    # No lock, no action: only a status read, so credentials and reachability are still checked.
    report = client.read_status()
    result = dict(changed=True, actions=[dict(action=action, status=None) for action in actions])
    if report['operation'] is not None:
        result.update((key, report[key]) for key in ('operation', 'status', 'vendor_status', 'additional_info', 'messages'))
    return result


def run_actions(task, client, actions):
    """Lock, run ``actions`` in order, unlock: the lock is released however the list ends."""
    policy = task.policy
    if task.params['lock']:
        client.lock()
        policy = _lock_safe_policy(policy, client)
    try:
        result = _run_in_order(task, client, actions, policy)
    except BaseException:
        # A failed action, the deadline, a refused request, an interrupt: the lock goes in every case,
        # and a failed release must not replace the failure that led here.
        _release(task, client, quiet=True)
        raise
    _release(task, client)
    return result


def _run_in_order(task, client, actions, policy):
    entries = []
    task.remember(actions=entries)
    result = {}
    for index, action in enumerate(actions):
        rest = actions[index + 1:]
        left = task.time_left()
        if left is not None and left <= 0:
            # wait_timeout bounds the whole list: an action started now could only be abandoned.
            done = ', '.join(entry['action'] for entry in entries)
            task.fail('Timed out after %s s before starting the %s operation%s.' % (
                task.params['wait_timeout'], action, '; %s finished' % done if done else ''),
                reason=TIMED_OUT, timed_out=True, actions_not_started=actions[index:], **result)
        task.remember(changed=True)
        try:
            link = client.start(action, backup_source=task.params['backup_source'],
                                restore_source=task.params['restore_source'], filename=task.params['filename'])
            task.remember(operation=action)
            outcome = task.wait(lambda expected=action, link=link: client.check(expected, link), _describe(action),
                                policy=policy)
        except AsyncOpsError as err:
            # A refused start, the deadline, a status that could not be read: the rest never starts.
            if rest:
                err.fields['actions_not_started'] = rest
            raise
        report = _report(outcome)
        entry = dict(action=action, attempts=report['attempts'], elapsed=report['elapsed'])
        entry.update((key, report[key]) for key in ('status', 'vendor_status') + REPORT_KEYS if key in report)
        entries.append(entry)
        result = report
        if outcome.observation.terminal and outcome.observation.status != SUCCEEDED:
            failure = dict(report)
            if rest:
                failure['actions_not_started'] = rest
            task.fail(_failure_message(report), reason=OPERATION_FAILED, **failure)
    return result


def _release(task, client, quiet=False):
    """Release the lock; with ``quiet``, a failed release is reported but does not raise."""
    try:
        client.unlock()
    except AsyncOpsError as err:
        task.remember(lock_release_error=err.message)
        if not quiet:
            raise


def run(task):
    client = task.client(SbcClient)
    actions = task.params['action']
    if not actions:
        return read_only(task, client)
    if task.check_mode:
        return check_mode(task, client, actions)
    return run_actions(task, client, actions)
