# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ksc_session: start a KSC Open API session (``present``), or end one (``absent``), idempotently.

A session that is already gone (ended, expired, or never known to this KSC) is the unchanged
case of ``absent``, not a failure: that is what running the same play twice must give.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.ksc import KscClient
from ansible_collections.asyncops.jobs.plugins.module_utils.task import INVALID_OPTIONS, OperationSpec

_CREDENTIALS = 'username and password (or KSC_USERNAME / KSC_PASSWORD)'


def _problems(params):
    if params.get('state') == 'absent' and not params.get('session_id'):
        return ['state=absent needs the session_id of the session to end (or KSC_SESSION_ID).']
    if params.get('state') == 'present' and not params.get('session_id') and not (
            params.get('username') and params.get('password')):
        return ['Starting a KSC session needs %s.' % _CREDENTIALS]
    return []


SPEC = OperationSpec(
    'ksc_session', 'ksc', wait=False,
    options=dict(state=dict(type='str', choices=['present', 'absent'], default='present')),
    check=_problems,
)


def run(task):
    client = task.client(KscClient)
    if task.params['state'] == 'absent':
        return _end(task, client)
    return _start(task, client)


def _start(task, client):
    params = task.params
    alive = None
    if params['session_id']:
        alive = client.ping()
        task.remember(alive=alive)
        if alive:
            return dict(changed=False)
        if not (params['username'] and params['password']):
            # Only now is it known that a new session is needed; nothing that changes anything was sent.
            task.fail('The KSC session given in session_id has ended or expired, and starting a new one needs %s.'
                      % _CREDENTIALS, reason=INVALID_OPTIONS)
    if task.check_mode:
        return dict(changed=True)
    # Returned on purpose (the module's contract: the caller registers it with no_log), so it is not
    # kept secret from the result; the client still keeps it out of every message.
    return dict(changed=True, session_id=client.start_session())


def _end(task, client):
    if task.check_mode:
        alive = client.ping()
        return dict(changed=alive, alive=alive)
    ended = client.end_session()
    return dict(changed=ended, alive=ended)
