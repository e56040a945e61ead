#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sbc_async_status
short_description: Run and wait for configuration actions on an Oracle Communications SBC
version_added: 0.1.0
description:
  - Reads or waits on the asynchronous operation status of an Oracle Communications Session Border Controller
    (C(GET /rest/{version}/admin/asyncstatus)).
  - With O(action), saves, verifies, activates, backs up or restores the configuration (one action or a list run in
    order) under the configuration lock, following each action's status link and waiting until it ends; the first
    action that fails stops the list.
  - The SBC reports only the B(most recent) asynchronous operation on the whole system, whoever started it (another
    REST client, the CLI). When the report names another operation than the one expected, the task fails and says both.
  - Access tokens live 10 minutes on the device and the configuration lock belongs to the token. The module renews its
    token by early re-authentication when 80% of O(token_lifetime) has passed, which keeps the lock; while it holds the
    lock it never pauses longer than 10% of O(token_lifetime) between two requests, so a renewal is never missed.
author:
  - asyncops.jobs maintainers (@asyncops-jobs)
requirements:
  - requests
  - xmltodict
extends_documentation_fragment:
  - asyncops.jobs.sbc
  - asyncops.jobs.attributes
  - asyncops.jobs.wait
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - The status is read in check mode; the lock is not taken, no action is started, and the task reports C(changed)
        when O(action) is set.
options:
  action:
    description:
      - Configuration action(s) to start, in order. Each one is started with the method the API requires (PUT for
        V(save), V(verify) and V(restore); POST for V(activate) and V(backup)) and waited on before the next one.
      - The first action that fails or times out stops the list; the remaining ones are not started.
      - O(wait_timeout) bounds the whole list, not each action, so that it can be kept below a job template's timeout;
        no action is started once it has passed.
      - An empty list is refused.
      - Every option is checked before anything is sent to the SBC; bad input never takes the lock.
      - Without O(action), the module only reads (or, with O(wait=true), waits on) the reported operation.
      - With O(wait=false), only one action may be given; it is started, its status read once, and the lock released.
    type: list
    elements: str
    choices: [save, verify, activate, backup, restore]
  operation:
    description:
      - Without O(action), the operation expected to be reported, such as V(activate).
      - If the SBC reports another operation, the task fails and the message names both.
      - Mutually exclusive with O(action); with O(action), each action is the operation expected.
    type: str
  lock:
    description:
      - Take the configuration lock before the first action and release it after the last, also when an action fails or
        the wait times out.
      - The lock belongs to the access token, and every task gets a token of its own, so a lock taken by an earlier
        task cannot be reused. Set to V(false) only for actions your SBC accepts without the lock; it answers HTTP 423
        to a configuration action that needs the lock from a token that does not hold it.
      - V(false) allows only one action, because a list runs as one change, so that no other session can change or activate
        the configuration between its actions.
    type: bool
    default: true
  backup_source:
    description:
      - Which configuration V(backup) saves. Backups need REST API version V(v1.1) or later.
    type: str
    choices: [running, saved, editing]
    default: running
  restore_source:
    description:
      - Where V(restore) takes the configuration from. Required when O(action) contains V(restore).
    type: str
    choices: [running, saved, backupFile]
  filename:
    description:
      - Backup file name. Required for V(backup), and for V(restore) with O(restore_source=backupFile).
    type: str
notes:
  - The field that carries the current token in an early re-authentication is not documented by Oracle; the module
    sends it as C(accessToken) in a form-encoded body.
  - O(token_lifetime) must be more than 0 and at most 86400 (a day); the device's tokens live 600 seconds.
  - The SBC reports no percentage or stage, so no RV(ignore:progress) is returned, and the live progress lines on the
    controller say C(SBC activate) (or C(the most recent SBC operation)), the status word, and the operation the SBC
    reports in parentheses.
  - The in-progress status word is not documented either; any word other than C(success) or C(fail) (and their
    variants C(succeeded), C(failed), C(failure)) counts as still running and is returned in RV(vendor_status).
seealso:
  - name: Oracle SBC REST API, asyncstatus
    description: The status resource this module reads.
    link: https://docs.oracle.com/en/industries/communications/session-border-controller/
"""

EXAMPLES = r"""
- name: Save, verify and activate the configuration under one lock
  asyncops.jobs.sbc_async_status:
    host: sbc1.example.com
    username: admin
    password: "{{ sbc_password }}"
    ca_path: /etc/pki/sbc-ca.pem
    action: [save, verify, activate]
    wait_timeout: 900
  register: sbc_apply

- name: Show the verify summary
  ansible.builtin.debug:
    var: sbc_apply.actions[1].additional_info

- name: SBC tasks with the connection set once for the whole group
  module_defaults:
    group/asyncops.jobs.sbc:
      host: sbc1.example.com
      username: admin
      password: "{{ sbc_password }}"
      ca_path: /etc/pki/sbc-ca.pem
  block:
    - name: Back up the running configuration
      asyncops.jobs.sbc_async_status:
        action: backup
        backup_source: running
        filename: before-change.gz

    - name: Wait for an activate started from the CLI
      asyncops.jobs.sbc_async_status:
        operation: activate
        poll_interval: 5

- name: Read the most recent operation once
  asyncops.jobs.sbc_async_status:
    host: sbc1.example.com
    username: admin
    password: "{{ sbc_password }}"
    wait: false
  register: sbc_last
"""

RETURN = r"""
operation:
  description: The operation the SBC reported last (with O(action), the last action run).
  returned: when a status was read
  type: str
  sample: activate
status:
  description: Normalized status of that operation.
  returned: when a status was read
  type: str
  sample: succeeded
vendor_status:
  description: The SBC's own status word, such as C(success), C(fail) or the in-progress word.
  returned: when a status was read
  type: str
  sample: success
additional_info:
  description: The operation's C(additionalInfo), as plain data (for example a verify summary).
  returned: when a status was read
  type: raw
  sample: {verifySummary: {verify: {type: warning, message: No NTP server is configured., field: server, object: ntp-sync}}}
messages:
  description: Error texts the SBC sent with the status (C(errorMessage) elements).
  returned: when a status was read
  type: list
  elements: str
error:
  description: On failure, the status word as C(name), the C(operation) and the SBC's C(message).
  returned: when the operation failed
  type: dict
  sample: {name: fail, operation: verify, message: "realm-id of sip-interface is not valid."}
actions:
  description: One entry per action started, in order, with the keys above plus C(action), C(attempts) and C(elapsed).
  returned: when O(action) is set
  type: list
  elements: dict
actions_not_started:
  description: Actions of O(action) that were not started because an earlier one failed or the deadline passed.
  returned: when the list stopped before its end
  type: list
  elements: str
lock_release_error:
  description: Why the configuration lock could not be released; the lock then ends with the token's lifetime.
  returned: when releasing the lock failed
  type: str
attempts:
  description: Status requests the (last) wait made.
  returned: when a status was read
  type: int
elapsed:
  description: Seconds the (last) wait took.
  returned: when a status was read
  type: float
history:
  description: Status changes seen during the (last) wait.
  returned: when a status was read
  type: list
  elements: dict
timed_out:
  description: True only when O(wait_timeout) passed before the operation (or the list of actions) finished.
  returned: always
  type: bool
  sample: false
reason:
  description:
    - Why the task failed, V(operation_failed) (an operation ended C(fail)), V(timed_out), V(retries_exhausted),
      V(request_rejected) (an error answer that asking again cannot fix, such as a lock held by another user, or
      another operation reported than the one expected) or V(invalid_options) (nothing was sent).
  returned: on failure
  type: str
  sample: operation_failed
ran_on:
  description: V(controller) when the task ran in the controller's worker process, V(target) when it ran as a module.
  returned: always
  type: str
  sample: controller
request_budget:
  description: What the shared request budget did, when O(max_requests_per_second) is set.
  returned: when O(max_requests_per_second) is set
  type: dict
  sample: {"max_requests_per_second": 2.0, "burst": 2, "waits": 1, "waited": 0.4, "shared": true}
"""

from ansible_collections.asyncops.jobs.plugins.module_utils.module import run_module
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import sbc_async_status as operation


def main():
    run_module(operation)


if __name__ == '__main__':
    main()
