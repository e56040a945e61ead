#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: integration_task
short_description: Wait for or cancel Kaspersky Integration Server tasks
version_added: 0.1.0
description:
  - Waits until one or many Kaspersky Integration Server (Kaspersky Security for Virtualization) tasks finish,
    and fails unless they V(Completed); or cancels them, idempotently.
  - Tasks are what the Integration Server creates for tenant creation, activation, deletion and tenant reports.
  - With O(task_ids), every round of the wait reads all the tasks with one list request, however many there are.
  - The Integration Server calls the cancelled state V(Canceled), V(Cancelled) or V(Stopped) depending on the
    documentation page; all three are taken as cancelled.
author:
  - asyncops.jobs maintainers (@asyncops-jobs)
requirements:
  - requests
  - xmltodict
extends_documentation_fragment:
  - asyncops.jobs.integration_server
  - asyncops.jobs.attributes
  - asyncops.jobs.wait
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Task states are read in check mode; cancel requests are not sent, and a task that would be cancelled is
        reported as C(changed).
options:
  task_id:
    description:
      - Identifier of the task.
      - Exactly one of O(task_id) and O(task_ids) is required.
    type: str
  task_ids:
    description:
      - Identifiers of several tasks, watched together with one list request per round.
      - The first round lists every task on the server; later rounds ask only for tasks created no earlier
        than the oldest of these, which keeps the answers small.
      - An identifier that the first list does not contain fails the task at once.
    type: list
    elements: str
  state:
    description:
      - V(completed) waits until the tasks are finished, and fails unless every one V(Completed).
      - V(cancelled) cancels the tasks that are still running and, when O(wait=true), waits through V(Stopping)
        until they are cancelled. A task that is already cancelled is left unchanged. A task that already
        V(Completed) or V(Failed) cannot be cancelled; it is left unchanged with a warning.
      - A child task cannot be cancelled on its own (the server answers HTTP 405); cancel its parent task.
    type: str
    choices: [completed, cancelled]
    default: completed
notes:
  - The server's dates carry no time zone and are returned exactly as the server gives them.
  - The role C(asyncops.jobs.integration_task_cleanup) cancels every task that matches a type, state and age filter.
seealso:
  - module: asyncops.jobs.integration_task_info
"""

EXAMPLES = r"""
- name: Wait until the tenant creation task finishes
  asyncops.jobs.integration_task:
    host: kis.example.com
    username: multitenancy
    password: "{{ kis_password }}"
    ca_path: /etc/pki/kis-ca.pem
    task_id: "{{ create_tenant_task_id }}"
    wait_timeout: 1800
  register: tenant_task

- name: Show the new tenant
  ansible.builtin.debug:
    var: tenant_task.task.result

- name: Tasks of one play, with the connection set once for the whole group
  module_defaults:
    group/asyncops.jobs.integration_server:
      host: kis.example.com
      username: multitenancy
      password: "{{ kis_password }}"
      ca_path: /etc/pki/kis-ca.pem
  block:
    - name: Wait for twenty report tasks, reading them all in one request per round
      asyncops.jobs.integration_task:
        task_ids: "{{ report_task_ids }}"
        poll_interval: 5
      register: reports

    - name: Cancel a tenant deletion and wait until it has stopped
      asyncops.jobs.integration_task:
        task_id: "{{ delete_tenant_task_id }}"
        state: cancelled

- name: Cancel without waiting for the task to leave Stopping
  asyncops.jobs.integration_task:
    task_id: "{{ delete_tenant_task_id }}"
    state: cancelled
    wait: false
"""

RETURN = r"""
task_id:
  description: The task identifier, as given.
  returned: when O(task_id) is set
  type: str
  sample: 7b0e0c54-3f77-4d4e-9c27-2c1c2b9a8a11
task:
  description: The task as the server last reported it.
  returned: when O(task_id) is set and the task was read
  type: dict
  contains:
    id:
      description: Task identifier.
      type: str
    type:
      description: Task type, such as V(CreateTenant), V(ChangeTenantActivation), V(DeleteTenant), V(CreateTenantReport).
      type: str
    state:
      description: The server's state word.
      type: str
      sample: Completed
    stage:
      description: The stage the task is in.
      type: str
    progress:
      description: Percent done, when the server reports it.
      type: int
    created:
      description: Creation time, C(YYYY-MM-DDThh:mm:ss) without a time zone, as the server gives it.
      type: str
    state_changed:
      description: Time of the last state change, as the server gives it.
      type: str
    changed:
      description: Time of the last change of any kind, as the server gives it.
      type: str
    result:
      description: The task's result (for example the new tenant), parsed from XML into a dict, or text.
      type: raw
    error:
      description: The server's error, when the task failed or was cancelled.
      type: raw
  sample:
    id: 7b0e0c54-3f77-4d4e-9c27-2c1c2b9a8a11
    type: CreateTenant
    state: Completed
    stage: Finished
    progress: 100
    created: "2024-05-01T08:30:00"
    state_changed: "2024-05-01T08:31:12"
    changed: "2024-05-01T08:31:12"
    result: {tenantId: "12", name: acme}
    error: null
task_ids:
  description: The task identifiers, as given.
  returned: when O(task_ids) is set
  type: list
  elements: str
tasks:
  description: Every task of O(task_ids) as last read, in the order given; the keys are those of RV(task).
  returned: when O(task_ids) is set
  type: list
  elements: dict
changed_task_ids:
  description: The tasks of O(task_ids) that this run cancelled (or, in check mode, would cancel).
  returned: when O(task_ids) is set and O(state=cancelled)
  type: list
  elements: str
summary:
  description: How many tasks of O(task_ids) are in each normalized status.
  returned: when O(task_ids) is set
  type: dict
  sample: {running: 0, succeeded: 19, failed: 1, cancelled: 0}
status:
  description: Normalized status; for O(task_ids), C(running) while any runs, else C(failed), C(cancelled) or C(succeeded).
  returned: when a task was read
  type: str
  sample: succeeded
vendor_status:
  description: The server's state word; for O(task_ids), the counts per status.
  returned: when a task was read
  type: str
  sample: Completed
progress:
  description: Percent done, when the server reports it.
  returned: when the server reports it
  type: int
result:
  description: The task's result payload.
  returned: when O(task_id) is set and the task completed
  type: raw
error:
  description: The task's error as C(name) (the state word, or the server's code) and C(message).
  returned: when a task failed or was cancelled, or the server answered with an error
  type: dict
  sample: {name: Failed, message: The virtualization host did not answer.}
attempts:
  description: Status requests the wait made.
  returned: when a task was read
  type: int
elapsed:
  description: Seconds the wait took.
  returned: when a task was read
  type: float
history:
  description: Status changes seen during the wait (the first and the most recent ones).
  returned: when a task was read
  type: list
  elements: dict
ran_on:
  description: V(controller) when the task ran in the controller's worker process, V(target) when it ran as a module.
  returned: always
  type: str
  sample: controller
timed_out:
  description: True only when O(wait_timeout) passed before the tasks reached a terminal state.
  returned: always
  type: bool
  sample: false
reason:
  description:
    - Why the task failed, V(operation_failed) (a task ended V(Failed)), V(operation_cancelled) (a task was cancelled
      while O(state=completed) was asked for), V(timed_out), V(retries_exhausted), V(request_rejected) (an answer that
      asking again cannot fix, such as an unknown task, a child task to cancel or wrong credentials) or
      V(invalid_options) (nothing was sent).
  returned: on failure
  type: str
  sample: operation_failed
request_budget:
  description: What the shared request budget did, when O(max_requests_per_second) is set.
  returned: when O(max_requests_per_second) is set
  type: dict
  sample: {"max_requests_per_second": 5.0, "burst": 5, "waits": 2, "waited": 0.4, "shared": true}
"""

from ansible_collections.asyncops.jobs.plugins.module_utils.module import run_module
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import integration_task as operation


def main():
    run_module(operation)


if __name__ == '__main__':
    main()
