# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""integration_task_info: read one Integration Server task, or the filtered task list."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError
from ansible_collections.asyncops.jobs.plugins.module_utils.integration_server import (
    TASK_STATES,
    IntegrationServerClient,
    status_of,
    validate_created_from,
    validate_task_type,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.task import OperationSpec


def _filter_problems(params):
    problems = []
    for name, validate in (('created_from', validate_created_from), ('type', validate_task_type)):
        if params.get(name) is not None:
            try:
                validate(params[name])
            except TerminalError as err:
                problems.append(err.message)
    return problems


SPEC = OperationSpec(
    'integration_task_info', 'integration_server', wait=False, needs_xml=True,
    options=dict(
        task_id=dict(type='str'),
        created_from=dict(type='str'),
        state=dict(type='str', choices=list(TASK_STATES)),
        type=dict(type='str'),
    ),
    mutually_exclusive=[('task_id', 'created_from'), ('task_id', 'state'), ('task_id', 'type')],
    check=_filter_problems,
)


def run(task):
    client = task.client(IntegrationServerClient)
    params = task.params
    if params['task_id'] is not None:
        task.remember(task_id=params['task_id'])
        tasks = [client.get_task(params['task_id'])]
    else:
        tasks = client.list_tasks(created_from=params['created_from'], state=params['state'],
                                  task_type=params['type'])
    for item in tasks:
        item['status'] = status_of(item['state'])
    return dict(tasks=tasks)
