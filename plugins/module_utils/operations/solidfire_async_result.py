# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""solidfire_async_result: wait on one or many SolidFire async handles, or start an async method and wait."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import name_a_few
from ansible_collections.asyncops.jobs.plugins.module_utils.solidfire import (
    NO_SUCH_PATH,
    AsyncHandleWatcher,
    SolidFireClient,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.task import OperationSpec
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import FAILED, RUNNING, STATUSES

_HANDLE_SOURCES = ['async_handle', 'async_handles', 'method']


def _problems(params):
    if params.get('method') is not None and not params['method'].strip():
        return ['method must name an asynchronous Element API method, not an empty string.']
    return []


SPEC = OperationSpec(
    'solidfire_async_result', 'solidfire',
    options=dict(
        async_handle=dict(type='int'),
        async_handles=dict(type='list', elements='int'),
        method=dict(type='str'),
        params=dict(type='dict'),
        keep_result=dict(type='bool', default=False),
    ),
    mutually_exclusive=[_HANDLE_SOURCES],
    required_one_of=[_HANDLE_SOURCES],
    required_by={'params': 'method'},
    non_empty_lists=('async_handles',),
    check=_problems,
)


def _describe_error(error):
    error = error or {}
    return ('%s: %s' % (error.get('name') or 'error', error.get('message') or 'no message')).rstrip('.')


def _wait_one(task, client, handle, keep_result):
    task.remember(async_handle=handle)
    outcome = task.wait(lambda: client.get_async_result(handle, keep_result=keep_result).observation(),
                        'async handle %s' % handle)
    current = outcome.observation.payload
    result = current.to_result()
    result.update(outcome.to_result())
    if current.status == FAILED:
        task.fail('Async handle %s (%s) failed: %s.'
                  % (handle, current.result_type or 'unknown type', _describe_error(current.error)), **result)
    return result


def _batch_keys(handles, watcher, latest):
    """``results`` (one entry per handle, in the order given) and ``summary``.

    What the watcher settled counts first: its final read may have purged it on the cluster.
    """
    results = []
    for handle in handles:
        current = watcher.settled.get(handle)
        if current is None and handle in latest:
            current = latest[handle].payload
        if current is None:
            # Never read: the deadline passed before its turn in the round, or no round finished.
            results.append(dict(async_handle=handle, status=RUNNING, vendor_status=None))
        else:
            results.append(current.to_result())
    summary = dict((status, 0) for status in STATUSES)
    for entry in results:
        summary[entry['status']] += 1
    summary['total'] = len(results)
    return dict(results=results, summary=summary, list_async_results=watcher.use_list)


def _batch_failure(failed, total):
    """One sentence however many handles failed; the errors themselves are in ``results``."""
    if len(failed) == 1:
        named = '%s (%s)' % (failed[0]['async_handle'], _describe_error(failed[0].get('error')))
    else:
        named = name_a_few('%s (%s)' % (entry['async_handle'], (entry.get('error') or {}).get('name') or 'error')
                           for entry in failed)
    hint = ''
    if any((entry.get('error') or {}).get('name') == NO_SUCH_PATH for entry in failed):
        hint = '; %s means the handle was never issued or its result was already read without keep_result' % NO_SUCH_PATH
    return '%d of %d async handles failed: %s%s.' % (len(failed), total, named, hint)


def _wait_many(task, client, keep_result):
    handles = task.params['async_handles']
    unique = list(dict.fromkeys(handles))
    # The watcher stops per-handle reads at the task's deadline: on a cluster without
    # ListAsyncResults, thousands of handles would otherwise be read one by one past it.
    watcher = AsyncHandleWatcher(client, keep_result=keep_result, deadline=task.deadline, clock=task.clock)
    latest = {}

    def check_batch(pending):
        observations = watcher(pending)
        latest.update(observations)
        return observations

    try:
        outcome = task.wait_many(check_batch, unique, '%d async handles' % len(unique), noun='handles')
    finally:
        # However the wait ends (deadline, retry budget, a terminal answer), results already
        # read, and perhaps purged by that read, stay in the task's result.
        task.remember(**_batch_keys(handles, watcher, latest))
    result = dict(task.facts)
    result.update(outcome.to_result())
    failed = [entry for entry in result['results'] if entry['status'] == FAILED]
    if failed:
        task.fail(_batch_failure(failed, len(result['results'])), **result)
    return result


def run(task):
    params = task.params
    # A complete result read without keepResult is deleted on the cluster: in check mode that
    # would be a change, so reads keep it.
    keep_result = params['keep_result'] or task.check_mode
    if params['method'] and task.check_mode:
        return dict(changed=True, async_handle=None, method=params['method'])
    client = task.client(SolidFireClient)
    if params['method']:
        handle, answer = client.start(params['method'], params['params'] or {})
        task.remember(changed=True, async_handle=handle, method_result=answer)
        # Started without waiting: a later task waits on the handle, so an operation that is
        # already complete at this one read must not be purged under that task's feet.
        return _wait_one(task, client, handle, keep_result or not params['wait'])
    task.remember(changed=False)
    if params['async_handles'] is not None:
        return _wait_many(task, client, keep_result)
    return _wait_one(task, client, params['async_handle'], keep_result)
