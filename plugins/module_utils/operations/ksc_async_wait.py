# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ksc_async_wait: wait on a KSC async action, or start one (``method`` + ``params``) and wait.

KSC lets only the session (or connection) that started an action check it. Without
``session_id`` the task starts a session of its own, runs the method and the wait in it and
ends it whatever happens; with ``session_id`` the session is the caller's and stays open.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import AsyncOpsError
from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient, KscSessionEnded
from ansible_collections.asyncops.jobs.plugins.module_utils.task import REQUEST_REJECTED, TIMED_OUT, OperationSpec
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import SUCCEEDED


def _problems(params):
    problems = []
    if not params.get('session_id') and not (params.get('username') and params.get('password')):
        problems.append('KSC needs username and password (or KSC_USERNAME / KSC_PASSWORD) unless session_id is given.')
    if params.get('method') and not params.get('wait', True) and not params.get('session_id'):
        problems.append('wait=false with method needs session_id (from asyncops.jobs.ksc_session): '
                        'KSC lets only the session that started an action check it later.')
    return problems


SPEC = OperationSpec(
    'ksc_async_wait', 'ksc',
    options=dict(
        action_guid=dict(type='str'),
        method=dict(type='str'),
        params=dict(type='dict', default={}),
        guid_key=dict(type='str', no_log=False),
    ),
    mutually_exclusive=[('action_guid', 'method')],
    required_one_of=[('action_guid', 'method')],
    check=_problems,
)


def run(task):
    params = task.params
    client = task.client(KscClient)
    own_session = not params['session_id']
    if own_session:
        # A session id is a credential: it must not reach a progress line, a warning or msg.
        task.keep_secret(client.start_session())
    try:
        return _start_and_wait(task, client)
    except KscSessionEnded as err:
        task.fail(_session_ended_message(own_session, bool(params['method']), task.facts.get('action_guid'),
                                         err.fields.get('http_status')), reason=REQUEST_REJECTED, **err.fields)
    finally:
        if own_session:
            _end_own_session(task, client)


def _start_and_wait(task, client):
    params = task.params
    if params['method']:
        task.remember(method=params['method'])
        left = task.time_left()
        if left is not None and left <= 0:
            # wait_timeout bounds the whole task: an action started now could only be abandoned.
            task.fail('Timed out after %s s before calling %s: logging in to KSC took the whole wait.'
                      % (params['wait_timeout'], params['method']), reason=TIMED_OUT, timed_out=True)
        task.remember(changed=True)
        if task.check_mode:
            task.remember(action_guid=None)
            return {}
        guid = client.start_action(params['method'], params['params'], params['guid_key'])
    else:
        task.remember(changed=False)
        guid = params['action_guid']
    task.remember(action_guid=guid)

    def check():
        observation = client.check_action(guid)
        # The last status seen stays in the result if a later check fails (a timeout, a lost session).
        task.remember(status=observation.status, vendor_status=observation.vendor_status,
                      finalized=observation.payload['finalized'])
        return observation

    outcome = task.wait(check, 'KSC action %s' % guid)
    observation = outcome.observation
    payload = observation.payload
    result = dict(finalized=payload['finalized'], state_code=payload['state_code'],
                  state_data=payload['state_data'], result=payload['state_data'], **outcome.to_result())
    if observation.terminal and observation.status != SUCCEEDED:
        error = payload['error']
        result['error'] = error
        task.fail('KSC action %s failed: %s%s.' % (
            guid, (error.get('description') or 'no description').rstrip('.'),
            (' (error %s %s)' % (error.get('module', ''), error['code'])) if 'code' in error else ''), **result)
    return result


def _session_ended_message(own_session, started_here, guid, http_status):
    """What an ended or expired session means for this task, in the terms of how it was run."""
    action = ('action %s can no longer be checked and whether it finished is unknown' % guid) if guid else (
        'no action was started')
    if own_session:
        return ('The KSC session this task had started ended or expired (KSC refused it with HTTP %s), so %s: '
                'run the task again%s.' % (http_status or 403, action, ' to start the action again' if started_here else ''))
    return ('KSC no longer accepts the session given in session_id (it ended or expired: HTTP %s), so %s: start '
            'a new session with asyncops.jobs.ksc_session and start the action again in it.' % (http_status or 403, action))


def _end_own_session(task, client):
    try:
        client.end_session()
    except AsyncOpsError as err:
        # The wait's own outcome matters more than a failed logout; KSC expires the session itself.
        task.warn('Could not end the KSC session this task started: %s' % err.message)
