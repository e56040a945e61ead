#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: integration_task_info
short_description: Read Kaspersky Integration Server tasks
version_added: 0.1.0
description:
  - Reads one Kaspersky Integration Server (Kaspersky Security for Virtualization) task by its identifier,
    or the list of tasks filtered by creation time, state and type.
  - Filters are checked before any request is sent, so a mistyped date or state fails with a clear message.
author:
  - asyncops.jobs maintainers (@asyncops-jobs)
requirements:
  - requests
  - xmltodict
extends_documentation_fragment:
  - asyncops.jobs.integration_server
  - asyncops.jobs.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - The module changes nothing.
options:
  task_id:
    description:
      - Identifier of one task to read. A task that does not exist fails the module, naming the identifier.
      - Mutually exclusive with the list filters.
    type: str
  created_from:
    description:
      - Only tasks created at or after this time, as C(YYYY-MM-DDThh:mm:ss) in the server's own clock
        (the server's dates carry no time zone).
    type: str
  state:
    description:
      - Only tasks in this state, spelled as the server spells it.
    type: str
    choices: [Created, Queued, Starting, Running, Stopping, Completed, Failed, Canceled, Cancelled, Stopped]
  type:
    description:
      - Only tasks of this type, for example V(CreateTenant), V(ChangeTenantActivation), V(DeleteTenant) or
        V(CreateTenantReport).
    type: str
notes:
  - The server's dates are returned exactly as it gives them, without a time zone.
seealso:
  - module: asyncops.jobs.integration_task
"""

EXAMPLES = r"""
- name: Read one task
  asyncops.jobs.integration_task_info:
    host: kis.example.com
    username: multitenancy
    password: "{{ kis_password }}"
    ca_path: /etc/pki/kis-ca.pem
    task_id: "{{ create_tenant_task_id }}"
  register: one

- name: Running tenant deletions created since this morning, connection from the group defaults
  module_defaults:
    group/asyncops.jobs.integration_server:
      host: kis.example.com
      username: multitenancy
      password: "{{ kis_password }}"
  asyncops.jobs.integration_task_info:
    created_from: "2024-05-01T06:00:00"
    state: Running
    type: DeleteTenant
  register: deletions

- name: Their identifiers
  ansible.builtin.debug:
    msg: "{{ deletions.tasks | map(attribute='id') | list }}"
"""

RETURN = r"""
tasks:
  description:
    - The tasks found, oldest first as the server lists them; one entry when O(task_id) is set.
    - Each has the keys of the RV(asyncops.jobs.integration_task#module:task) result of M(asyncops.jobs.integration_task).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Task identifier.
      type: str
    type:
      description: Task type.
      type: str
    state:
      description: The server's state word.
      type: str
    status:
      description: The state normalized to C(running), C(succeeded), C(failed) or C(cancelled).
      type: str
    stage:
      description: The stage the task is in.
      type: str
    progress:
      description: Percent done, when the server reports it.
      type: int
    created:
      description: Creation time, C(YYYY-MM-DDThh:mm:ss) without a time zone.
      type: str
    state_changed:
      description: Time of the last state change.
      type: str
    changed:
      description: Time of the last change.
      type: str
    result:
      description: The result of a completed task.
      type: raw
    error:
      description: The error of a failed or cancelled task.
      type: raw
  sample:
    - id: 7b0e0c54-3f77-4d4e-9c27-2c1c2b9a8a11
      type: DeleteTenant
      state: Running
      status: running
      stage: RemovingArtifacts
      progress: 40
      created: "2024-05-01T08:30:00"
      state_changed: "2024-05-01T08:30:01"
      changed: "2024-05-01T08:30:41"
      result: null
      error: null
ran_on:
  description: V(controller) when the task ran in the controller's worker process, V(target) when it ran as a module.
  returned: always
  type: str
  sample: controller
reason:
  description:
    - Why the task failed, V(retries_exhausted) (the server could not be reached or answered with a transient error),
      V(request_rejected) (an answer that asking again cannot fix, such as an unknown task or wrong credentials) or
      V(invalid_options) (nothing was sent).
  returned: on failure
  type: str
  sample: request_rejected
"""

from ansible_collections.asyncops.jobs.plugins.module_utils.module import run_module
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import integration_task_info as operation


def main():
    run_module(operation)


if __name__ == '__main__':
    main()
