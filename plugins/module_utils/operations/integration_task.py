# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""integration_task: wait until Integration Server tasks complete, or cancel them idempotently."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import name_a_few
from ansible_collections.asyncops.jobs.plugins.module_utils.integration_server import (
    ALREADY_FINISHED,
    CANCELLED_NOW,
    IntegrationServerClient,
    error_of,
    observe,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.task import OperationSpec
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
)

SPEC = OperationSpec(
    'integration_task', 'integration_server', needs_xml=True,
    options=dict(
        task_id=dict(type='str'),
        task_ids=dict(type='list', elements='str'),
        state=dict(type='str', default='completed', choices=['completed', 'cancelled']),
    ),
    mutually_exclusive=[('task_id', 'task_ids')],
    required_one_of=[('task_id', 'task_ids')],
    non_empty_lists=('task_ids',),
)


def _finished_warning(task):
    return ('Task %s could not be cancelled because it had already finished (%s).'
            % (task['id'], task.get('state')))


def _task_details(task):
    details = {}
    if task.get('result') is not None:
        details['result'] = task['result']
    error = error_of(task)
    if error is not None:
        details['error'] = error
    return details


def _reason(task):
    error = error_of(task)
    if error and error.get('message'):
        return ': %s' % str(error['message']).rstrip('.') + '.'
    return '.'


def _wait_one(task, client, task_id, single_read=None):
    def check():
        observation = client.read(task_id)
        task.remember(task=observation.payload)
        return observation
    return task.wait(check, 'task %s' % task_id, single_read=single_read)


def _one_task(task, client):
    task_id = task.params['task_id']
    task.remember(task_id=task_id)
    if task.params['state'] == 'completed':
        outcome = _wait_one(task, client, task_id)
        current = task.facts['task']
        result = outcome.to_result()
        result.update(_task_details(current))
        if outcome.observation.terminal and outcome.observation.status != SUCCEEDED:
            reason = 'operation_cancelled' if outcome.observation.status == CANCELLED else 'operation_failed'
            task.fail('Task %s ended %s%s' % (task_id, current['state'], _reason(current)), reason=reason, **result)
        return result

    if task.check_mode:
        outcome = _wait_one(task, client, task_id, single_read=True)
        changed = not outcome.observation.terminal and outcome.observation.vendor_status != 'Stopping'
    else:
        answer = client.cancel_task(task_id)
        changed = answer != ALREADY_FINISHED
        task.remember(changed=changed)
        # 202 goes through Stopping; a 409 on a task still Stopping is another run's cancel in flight.
        outcome = _wait_one(task, client, task_id, single_read=True if answer == CANCELLED_NOW else None)
    current = task.facts['task']
    if outcome.observation.status in (SUCCEEDED, FAILED):
        task.warn(_finished_warning(current))
    result = dict(changed=changed, **outcome.to_result())
    result.update(_task_details(current))
    return result


def _many_tasks(task, client):
    task_ids = list(dict.fromkeys(task.params['task_ids']))
    task.remember(task_ids=task_ids)
    changed_ids = []
    cancelling = task.params['state'] == 'cancelled'
    if cancelling:
        if task.check_mode:
            first = client.batch_reader(task_ids)(task_ids)
            changed_ids = [task_id for task_id in task_ids
                           if not first[task_id].terminal and first[task_id].vendor_status != 'Stopping']
        else:
            # Cancel requests are per task (the API has no batch cancel); what was cancelled is
            # remembered as it happens, so a failure half-way (a child task) still says so.
            task.remember(changed_task_ids=changed_ids)
            for task_id in task_ids:
                if client.cancel_task(task_id) != ALREADY_FINISHED:
                    changed_ids.append(task_id)
                    task.remember(changed=True)
        task.remember(changed_task_ids=changed_ids, changed=bool(changed_ids))
    single_read = True if (task.check_mode and cancelling) else None
    outcome = task.wait_many(client.batch_reader(task_ids), task_ids, '%d tasks' % len(task_ids), noun='tasks',
                             single_read=single_read)
    batch = outcome.observation.payload
    tasks = [batch.latest[task_id].payload for task_id in task_ids]
    result = dict(changed=bool(changed_ids), tasks=tasks, summary=batch.counts(), **outcome.to_result())
    unfinished = [t for t in tasks if observe(t).status in (FAILED, CANCELLED)]
    if not cancelling and outcome.observation.terminal and unfinished:
        task.fail('%d of %d tasks did not complete: %s.' % (
            len(unfinished), len(tasks), name_a_few('%s %s' % (t['id'], t['state']) for t in unfinished)),
            **result)
    if cancelling:
        for finished in (t for t in tasks if observe(t).status in (SUCCEEDED, FAILED)):
            task.warn(_finished_warning(finished))
    return result


def run(task):
    client = task.client(IntegrationServerClient)
    if task.params['task_ids'] is not None:
        return _many_tasks(task, client)
    return _one_task(task, client)
