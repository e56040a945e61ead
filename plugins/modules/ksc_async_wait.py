#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ksc_async_wait
short_description: Wait on a Kaspersky Security Center async action, or start one and wait
version_added: 0.1.0
description:
  - Waits until a Kaspersky Security Center (KSC) asynchronous action is finalized, by calling
    C(AsyncActionStateChecker.CheckActionState) no earlier than KSC's C(lNextCheckDelay) asks.
  - Either watches an action started elsewhere (O(action_guid), with the O(session_id) of the session that started it),
    or starts one with O(method) and O(params) (for example C(HostGroup.RemoveGroup)) and waits on it.
  - With O(method) and no O(session_id) the module starts a KSC session of its own, runs the method and the
    wait inside it and ends it afterwards. A session token, unlike a connection login, survives a server or
    proxy that closes the keep-alive connection during a long wait.
  - The task fails when the action is finalized unsuccessfully, with the details of C(pStateData) in RV(error).
  - When KSC ends or expires the session the wait uses (every call then gets HTTP 403), the task fails saying so,
    with RV(session_ended); the action can no longer be checked from any other session.
author:
  - asyncops.jobs maintainers (@asyncops-jobs)
requirements:
  - requests
extends_documentation_fragment:
  - asyncops.jobs.ksc
  - asyncops.jobs.attributes
  - asyncops.jobs.wait
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - With O(action_guid) the status is read as usual.
      - With O(method) the method is not called; the module logs in to check the connection and reports C(changed=true).
options:
  action_guid:
    description:
      - Guid of an action started elsewhere.
      - KSC lets only the session (or connection) that started an action check it, so O(session_id) is needed too.
      - A guid is removed after its first finalized check, so a second wait on it fails saying KSC does not know it.
      - Mutually exclusive with O(method).
    type: str
  method:
    description:
      - KSC Open API method that starts an async action, as C(<Class>.<Method>), for example
        C(HostGroup.RemoveGroup), C(HostGroup.MoveHostsFromGroupToGroup), C(VServers.DelVServer) or C(HostMoveRules.ExecuteRulesNow).
      - The module calls it, reads the action guid from its answer and waits.
      - Mutually exclusive with O(action_guid).
    type: str
  params:
    description:
      - Input parameters of O(method), as the KSC Open API names them.
    type: dict
    default: {}
  guid_key:
    description:
      - Out-parameter of O(method) that holds the action guid.
      - By default the first of C(strActionGuid), C(wstrActionGuid), C(strRequestId) and C(PxgRetVal) that is set.
    type: str
notes:
  - O(wait=false) with O(method) needs O(session_id), because the started action can only be checked later from the same session;
    without it the task is refused before anything is sent.
  - A session the module starts itself is ended when the task ends, also when the wait fails or times out; its id never
    appears in the result, in C(msg) or in progress lines.
  - KSC reports no percentage for an action, so progress lines show its state (C(not finalized)) and the time taken.
  - KSC's C(lNextCheckDelay) is a floor for the next check, also after a failed request; C(STDE_UNAVAIL) answers are retried
    after that delay within O(retries).
seealso:
  - module: asyncops.jobs.ksc_session
"""

EXAMPLES = r"""
- name: Remove host group 17 and its content, and wait until KSC has done it
  asyncops.jobs.ksc_async_wait:
    host: ksc.example.com
    username: ansible
    password: "{{ vault_ksc_password }}"
    ca_path: /etc/pki/ksc-ca.pem
    method: HostGroup.RemoveGroup
    params:
      nGroup: 17
      nFlags: 1
    wait_timeout: 900

- name: Move hosts with connection settings from module_defaults
  module_defaults:
    group/asyncops.jobs.ksc:
      host: ksc.example.com
      username: ansible
      password: "{{ vault_ksc_password }}"
      ca_path: /etc/pki/ksc-ca.pem
  block:
    - name: Move every host from group 5 to group 9
      asyncops.jobs.ksc_async_wait:
        method: HostGroup.MoveHostsFromGroupToGroup
        params:
          nSrcGroupId: 5
          nDstGroupId: 9
      register: moved

    - name: Show how long KSC took
      ansible.builtin.debug:
        msg: "Moved in {{ moved.elapsed }} s after {{ moved.attempts }} checks"

- name: Start a session that later tasks share
  asyncops.jobs.ksc_session:
    host: ksc.example.com
    username: ansible
    password: "{{ vault_ksc_password }}"
  register: ksc
  no_log: true

- name: Wait on an action another task started in that session
  asyncops.jobs.ksc_async_wait:
    host: ksc.example.com
    session_id: "{{ ksc.session_id }}"
    action_guid: "{{ started_guid }}"
    poll_interval: 1
    wait_timeout: 300
"""

RETURN = r"""
action_guid:
  description: Guid of the action.
  returned: when known
  type: str
  sample: "{5A2E7CB1-31D2-4B5C-A2D5-6A9B17D8C2E1}"
finalized:
  description: Whether KSC reported the action finalized (C(bFinalized)).
  returned: when a status was read
  type: bool
  sample: true
state_code:
  description: C(lStateCode) of the last check; its meaning depends on the action (C(HostGroup.RemoveGroup) 1 = ok, 0 = failure).
  returned: when a status was read
  type: int
  sample: 1
state_data:
  description: C(pStateData) of the last check, with KSC's typed values unwrapped into plain data.
  returned: when a status was read
  type: dict
  sample: {}
result:
  description: The action's result payload, the same plain C(state_data).
  returned: when a status was read
  type: dict
  sample: {}
status:
  description: Normalized status, C(running), C(succeeded) or C(failed).
  returned: when a status was read
  type: str
  sample: succeeded
vendor_status:
  description: What KSC said, C(not finalized), C(finalized, succeeded) or C(finalized, failed).
  returned: when a status was read
  type: str
  sample: finalized, succeeded
error:
  description:
    - Why the action or the request failed.
    - For a failed action, from C(pStateData) (C(KLBLAG_ERROR_INFO), wrapped or plain, and C(GNRL_EA_DESCRIPTION)).
    - For a refused request, from KSC's C(PxgError), with C(name) for the codes this module knows (for example C(STDE_NOTFOUND)).
  returned: on failure
  type: dict
  contains:
    code:
      description: KSC error code (C(KLBLAG_ERROR_CODE) or the C(PxgError) code).
      type: int
      sample: 1950
    module:
      description: KSC module that raised it (C(KLBLAG_ERROR_MODULE)).
      type: str
      sample: KLSRV
    message:
      description: Error message (C(KLBLAG_ERROR_MSG)).
      type: str
      sample: Cannot delete group
    description:
      description: Description of the failed action (C(GNRL_EA_DESCRIPTION)).
      type: str
      sample: Cannot delete group
    subcode:
      description: Error subcode.
      type: int
      sample: 0
    name:
      description: Symbolic name of a C(PxgError) code.
      type: str
      sample: STDE_NOTFOUND
  sample:
    code: 1950
    module: KLSRV
    message: Cannot delete group
    description: Cannot delete group
attempts:
  description: Number of status checks made, including failed requests.
  returned: when a wait ran
  type: int
  sample: 11
elapsed:
  description: Seconds the wait took.
  returned: when a wait ran
  type: float
  sample: 10.4
method:
  description: The O(method) that was called.
  returned: when O(method) was given
  type: str
  sample: HostGroup.RemoveGroup
session_ended:
  description: True when the task failed because KSC no longer accepted its session (it ended or expired).
  returned: when the session was lost
  type: bool
  sample: true
http_status:
  description: HTTP status of the refused request.
  returned: when a request was refused with an HTTP error
  type: int
  sample: 403
history:
  description: Status changes and transient errors seen during the wait (the first and the most recent ones).
  returned: when a wait ran
  type: list
  elements: dict
  sample: [{attempt: 1, elapsed: 0.0, status: running, vendor_status: not finalized}]
timed_out:
  description: True only when O(wait_timeout) passed before the action was finalized (or before the method was called).
  returned: always
  type: bool
  sample: false
reason:
  description:
    - Why the task failed, V(operation_failed) (the action was finalized unsuccessfully), V(timed_out),
      V(retries_exhausted), V(request_rejected) (an error answer that asking again cannot fix, such as a failed login,
      an unknown or foreign action guid, or a session KSC ended or expired) or V(invalid_options) (nothing was sent).
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
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import ksc_async_wait as operation


def main():
    run_module(operation)


if __name__ == '__main__':
    main()
