# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sas_scan_task_progress: start an Alibaba Cloud Security Center virus scan, or wait on one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.sas import TARGET_TYPES, SasClient
from ansible_collections.asyncops.jobs.plugins.module_utils.task import OPERATION_FAILED, OperationSpec
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import SUCCEEDED, Observation


def _target_problems(params):
    """What the argument spec cannot say about ``target_info`` items: a blank target or name."""
    problems = []
    for number, item in enumerate(params.get('target_info') or [], 1):
        # Security Center refuses a blank target only after the request, and a blank name would be
        # sent as such: both are typos the playbook's author wants to hear about before a scan starts.
        if not (item.get('target') or '').strip():
            problems.append('target_info item %d (%s) has an empty target: give the UUID of the server or '
                            'the ID of the server group.' % (number, item.get('type')))
        if item.get('name') is not None and not item['name'].strip():
            problems.append('target_info item %d has an empty name: give a name, or leave name out.' % number)
    return problems


SPEC = OperationSpec(
    'sas_scan_task_progress', 'sas',
    options=dict(
        task_id=dict(type='int'),
        target_info=dict(type='list', elements='dict', options=dict(
            type=dict(type='str', required=True, choices=list(TARGET_TYPES)),
            name=dict(type='str'),
            target=dict(type='str', required=True),
        )),
    ),
    mutually_exclusive=[('task_id', 'target_info')],
    required_one_of=[('task_id', 'target_info')],
    non_empty_lists=('target_info',),
    check=_target_problems,
)


def _start(task, client, targets):
    """``StartVirusScanTask``: only an explicit "not now" (throttling) is asked again, on the task's deadline."""
    def attempt():
        return Observation(SUCCEEDED, payload=client.start_virus_scan(targets))
    # single_read=False even with wait: false: starting is not waiting, a throttled start still has to happen.
    outcome = task.wait(attempt, 'the start of a virus scan', single_read=False)
    task_id, request_id = outcome.observation.payload
    task.remember(task_id=task_id, request_id=request_id, changed=True)
    return task_id


def run(task):
    client = task.client(SasClient)
    targets = task.params['target_info']
    if targets is not None:
        if task.check_mode:
            return dict(changed=True, target_info=targets,
                        msg='Check mode: a virus scan of %d target(s) would have been started.' % len(targets))
        task_id = _start(task, client, targets)
    else:
        task_id = task.params['task_id']
        task.remember(task_id=task_id)

    def check():
        observation = client.scan_progress(task_id)
        # target_info and request_id of the last read belong in the result even when the wait times out.
        task.remember(**observation.payload)
        return observation

    # DescribeScanTaskProgress answers a word (init, Processing...), never a percentage: no progress to pass on.
    outcome = task.wait(check, 'virus scan task %s' % task_id)
    result = outcome.to_result()
    observation = outcome.observation
    if observation.terminal and observation.status != SUCCEEDED:
        task.fail('Virus scan task %s ended %s.' % (task_id, observation.vendor_status), reason=OPERATION_FAILED,
                  error=dict(code=observation.vendor_status,
                             message='DescribeScanTaskProgress reported ScanTaskProgress %s.'
                             % observation.vendor_status),
                  **result)
    return result
