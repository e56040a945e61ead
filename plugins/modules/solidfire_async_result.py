#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: solidfire_async_result
short_description: Wait for NetApp SolidFire Element asynchronous operations
version_added: 0.1.0
description:
  - Reads or waits for the result of asynchronous Element API methods (CloneVolume, CopyVolume,
    StartBulkVolumeRead, AddDrives, RemoveDrives, ...) by their C(asyncHandle), with C(GetAsyncResult).
  - With O(async_handles), one C(ListAsyncResults) request per round watches any number of handles;
    a handle gets its own C(GetAsyncResult) only once it is complete, and only to purge it
    (O(keep_result=false)) or to read an error the list left out.
    On clusters without C(ListAsyncResults) (before Element 9.6) it falls back to C(GetAsyncResult) per handle.
  - With O(method) and O(params) it calls an asynchronous method, takes the C(asyncHandle) it returns, and waits.
  - The task fails when an operation ended with an error; C(msg) names a few of the handles that failed and counts
    the rest, RV(results) and RV(summary) have every one.
author:
  - asyncops.jobs maintainers (@asyncops-jobs)
requirements:
  - requests
extends_documentation_fragment:
  - asyncops.jobs.solidfire
  - asyncops.jobs.attributes
  - asyncops.jobs.wait
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Status reads run, always with C(keepResult=true) so that check mode purges nothing.
      - With O(method), nothing is called and the task reports C(changed=true).
options:
  async_handle:
    description:
      - The C(asyncHandle) returned by an asynchronous method.
      - Mutually exclusive with O(async_handles) and O(method).
    type: int
  async_handles:
    description:
      - Several C(asyncHandle) values, watched together with one C(ListAsyncResults) request per round.
      - RV(results) has one entry per handle, in the order given.
      - An empty list is refused before any request, since it names nothing to wait on.
      - Mutually exclusive with O(async_handle) and O(method).
    type: list
    elements: int
  method:
    description:
      - An asynchronous Element API method to call, such as C(CloneVolume), C(CopyVolume) or C(StartBulkVolumeRead).
      - Its answer must contain C(asyncHandle); the module then waits on that handle.
      - Mutually exclusive with O(async_handle) and O(async_handles).
    type: str
  params:
    description:
      - Parameters of O(method), as the Element API names them (for example C(volumeID), C(name)).
    type: dict
  keep_result:
    description:
      - Passed to C(GetAsyncResult) as C(keepResult).
      - V(false) (the default, as on the cluster) lets the cluster delete a complete result once it is
        returned, so a later run on the same handle fails with C(xDBNoSuchPath).
      - V(true) keeps the result, so that re-running the task returns the identical result.
      - Reads of a running operation never delete anything.
      - With O(method) and O(wait=false), the one read after the start always keeps the result, so that a later
        task can wait on the returned handle even if the operation finished at once.
    type: bool
    default: false
notes:
  - With O(keep_result=false), the final read is the one that deletes the result on the cluster. If its answer is
    lost on the way (a dropped connection after the cluster answered), the retry finds the handle gone and the task
    fails with C(xDBNoSuchPath); use O(keep_result=true) where a result must survive an unreliable network.
  - Element API methods that return an C(asyncHandle) include CloneVolume, CloneMultipleVolumes, CopyVolume,
    StartBulkVolumeRead, StartBulkVolumeWrite, AddDrives, RemoveDrives, SecureEraseDrives, AddNodes,
    EnableMaintenanceMode, DisableMaintenanceMode, SetClusterStructure and RekeySoftwareEncryptionAtRestMasterKey.
seealso:
  - name: GetAsyncResult in the Element API reference
    description: The method this module polls.
    link: https://docs.netapp.com/us-en/element-software/api/reference_element_api_getasyncresult.html
"""

EXAMPLES = r"""
- name: Clone a volume and wait for the clone
  asyncops.jobs.solidfire_async_result:
    hostname: mvip.example.com
    username: admin
    password: "{{ solidfire_password }}"
    method: CloneVolume
    params:
      volumeID: 34
      name: db01-clone
    wait_timeout: 1800
  register: clone

- name: Wait for a handle returned by an earlier task, keeping the result readable for re-runs
  asyncops.jobs.solidfire_async_result:
    hostname: mvip.example.com
    username: admin
    password: "{{ solidfire_password }}"
    async_handle: "{{ bulk_read.async_handle }}"
    keep_result: true

- name: Watch many handles with one request per round
  module_defaults:
    group/asyncops.jobs.solidfire:
      hostname: mvip.example.com
      username: admin
      password: "{{ solidfire_password }}"
      ca_path: /etc/pki/solidfire-ca.pem
  block:
    - name: Wait for every copy started earlier
      asyncops.jobs.solidfire_async_result:
        async_handles: "{{ copies | map(attribute='async_handle') | list }}"
        poll_interval: 5
        max_poll_interval: 30
        wait_timeout: 3600
      register: all_copies

    - name: Report
      ansible.builtin.debug:
        msg: "{{ all_copies.summary.succeeded }} of {{ all_copies.summary.total }} copies done"

- name: Read the status once without waiting
  asyncops.jobs.solidfire_async_result:
    async_handle: 389
    keep_result: true
    wait: false
  register: snapshot
"""

RETURN = r"""
async_handle:
  description: The handle waited on (with O(method), the one the method returned).
  returned: with O(async_handle) or O(method); with O(method) in check mode it is null
  type: int
  sample: 389
status:
  description:
    - Normalized status, C(running), C(succeeded) or C(failed).
    - With O(async_handles), the overall status (C(running) while any is running, then C(failed) if any failed).
  returned: except with O(method) in check mode
  type: str
  sample: succeeded
vendor_status:
  description:
    - The cluster's own word, C(running) or C(complete).
    - With O(async_handles), a summary such as C(3 running, 197 succeeded).
  returned: except with O(method) in check mode
  type: str
  sample: complete
result:
  description: The operation's result, when it completed successfully.
  returned: when the operation succeeded
  type: dict
  sample: {"cloneID": 25, "message": "Clone complete.", "volumeID": 47}
error:
  description: The operation's error, when it failed, or the method error that stopped the module.
  returned: on failure
  type: dict
  sample: {"name": "xBulkVolumeScriptFailure", "message": "Bulk volume job failed", "bvID": 1, "volumeID": 34}
result_type:
  description: The kind of operation, such as C(Clone), C(BulkVolume), C(DriveAdd) or C(DriveRemoval).
  returned: with O(async_handle) or O(method), once read
  type: str
  sample: Clone
details:
  description: What the cluster reports about a running operation.
  returned: while the operation is running
  type: dict
  sample: {"percentComplete": 40}
progress:
  description: Percent complete, where the cluster reports it in RV(details).
  returned: when known
  type: int
  sample: 40
create_time:
  description: When the operation started (ISO 8601, UTC).
  returned: with O(async_handle) or O(method), once read
  type: str
  sample: "2016-01-01T22:29:18Z"
last_update_time:
  description: When the operation's status last changed (ISO 8601, UTC).
  returned: with O(async_handle) or O(method), once read
  type: str
  sample: "2016-01-01T22:45:51Z"
method_result:
  description: The whole answer of O(method) (for CloneVolume, C(cloneID), C(volumeID), C(asyncHandle)...).
  returned: with O(method), outside check mode
  type: dict
  sample: {"asyncHandle": 389, "cloneID": 25, "volumeID": 47}
results:
  description:
    - One entry per handle of O(async_handles), in the order given, with the keys RV(async_handle),
      RV(status), RV(vendor_status), RV(result) or RV(error), RV(result_type), RV(details), RV(progress),
      RV(create_time) and RV(last_update_time) of that handle.
    - A handle the cluster does not hold has status C(failed) and an C(xDBNoSuchPath) error.
  returned: with O(async_handles), also when the task failed or timed out
  type: list
  elements: dict
  sample: [{"async_handle": 47, "status": "succeeded", "vendor_status": "complete", "result_type": "Clone",
            "result": {"cloneID": 26, "volumeID": 48}}]
summary:
  description: How many handles are in each status, and C(total).
  returned: with O(async_handles), also when the task failed or timed out
  type: dict
  sample: {"total": 200, "running": 0, "succeeded": 198, "failed": 2, "cancelled": 0}
list_async_results:
  description: Whether C(ListAsyncResults) was used; V(false) when the cluster lacks it and each handle was read on its own.
  returned: with O(async_handles)
  type: bool
  sample: true
attempts:
  description: Status rounds made by the wait loop.
  returned: when a status was read
  type: int
  sample: 4
elapsed:
  description: Seconds the wait took.
  returned: when a status was read
  type: float
  sample: 6.2
history:
  description: Status changes and transient errors seen during the wait (first entry and the most recent ones).
  returned: when a status was read
  type: list
  elements: dict
  sample: [{"attempt": 1, "elapsed": 0.0, "status": "running", "vendor_status": "running"}]
method:
  description: The method that check mode did not call.
  returned: with O(method) in check mode
  type: str
  sample: CloneVolume
timed_out:
  description: True only when O(wait_timeout) passed before the handles (or the started method) finished.
  returned: always
  type: bool
  sample: false
reason:
  description:
    - Why the task failed, V(operation_failed) (an operation ended with an error), V(timed_out), V(retries_exhausted),
      V(request_rejected) (an error answer that asking again cannot fix, such as a purged or unknown handle, a method
      error or wrong credentials) or V(invalid_options) (nothing was sent).
    - With O(async_handles), RV(results) and RV(summary) still say what every handle did.
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
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import solidfire_async_result as operation


def main():
    run_module(operation)


if __name__ == '__main__':
    main()
