#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sas_scan_task_progress
short_description: Start an Alibaba Cloud Security Center virus scan, or wait for one to finish
version_added: 0.1.0
description:
  - Waits on a virus scan task of Alibaba Cloud Security Center (SAS, API version 2018-12-03) by
    reading C(DescribeScanTaskProgress) until it reports C(Success) or C(Failed).
  - With O(target_info) it first starts the scan with C(StartVirusScanTask), then waits on it.
  - Requests are signed with C(ACS3-HMAC-SHA256) (V3) by default, or C(HMAC-SHA1) (V1) with O(signature_version=v1),
    using a fresh nonce and a UTC timestamp each time.
  - Throttling (C(Throttling), C(Throttling.User), C(Throttling.Api)) is retried within O(retries), never
    earlier than the C(x-acs-retry-after) or C(Retry-After) the service asked for.
  - Without O(region) and O(endpoint), the mainland endpoint C(tds.cn-shanghai.aliyuncs.com) is used.
  - Every option is checked before the first request, so a mistake never leaves a scan started behind a failed task.
  - O(wait_timeout) bounds the whole task, so the time a throttled C(StartVirusScanTask) waits counts against it.
  - With O(max_requests_per_second), the shared request budget is kept per endpoint and AccessKey, because
    Alibaba Cloud throttles each account on its own.
author:
  - asyncops.jobs maintainers (@asyncops-jobs)
requirements:
  - requests
extends_documentation_fragment:
  - asyncops.jobs.sas
  - asyncops.jobs.attributes
  - asyncops.jobs.wait
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - Status reads run; starting a scan is skipped and reported as changed.
options:
  task_id:
    description:
      - ID of a virus scan task started elsewhere (the C(ScanTaskId) of C(StartVirusScanTask)).
      - Exactly one of O(task_id) and O(target_info) is required.
    type: int
  target_info:
    description:
      - Start a virus scan of these servers or server groups, then wait on it.
      - The module reports RV(ignore:changed=true) whenever it starts a scan; a re-run starts another scan.
      - An empty list is refused, as is an item with an empty O(target_info[].target) or O(target_info[].name).
      - A long list (more than 2 KB of JSON) is sent in the body of the request rather than in its URL.
    type: list
    elements: dict
    suboptions:
      type:
        description:
          - V(uuid) for one server, V(groupId) for a server group.
        type: str
        required: true
        choices: [uuid, groupId]
      name:
        description:
          - Name of the server or server group.
        type: str
      target:
        description:
          - UUID of the server, or ID of the server group.
        type: str
        required: true
notes:
  - The task fails when the scan ends C(Failed), when O(wait_timeout) passes, and on errors that asking
    again cannot fix (wrong secret, unknown AccessKey, clock skew, bad input).
  - Security Center reports no percentage, so no RV(ignore:progress) is returned, and the live progress
    lines on the controller name the stage (C(init), C(Processing)) without an estimate of the time left.
seealso:
  - name: DescribeScanTaskProgress
    description: Alibaba Cloud API reference of the status read.
    link: https://www.alibabacloud.com/help/en/security-center/developer-reference/api-sas-2018-12-03-describescantaskprogress
"""

EXAMPLES = r"""
- name: Wait for a virus scan started elsewhere
  asyncops.jobs.sas_scan_task_progress:
    task_id: 282832
    region: cn-hangzhou
    access_key_id: "{{ alicloud_access_key }}"
    access_key_secret: "{{ alicloud_secret_key }}"
    wait_timeout: 1800
  register: scan

- name: Start a scan of two servers and wait, credentials from the group defaults
  module_defaults:
    group/asyncops.jobs.sas:
      region: ap-southeast-1
      access_key_id: "{{ alicloud_access_key }}"
      access_key_secret: "{{ alicloud_secret_key }}"
  asyncops.jobs.sas_scan_task_progress:
    target_info:
      - type: uuid
        name: web-01
        target: 503201a7-14c6-4280-801b-1169ed42a1b2
      - type: groupId
        name: databases
        target: "8834224"
    poll_interval: 10
    max_poll_interval: 60

- name: Read the progress once, with the older V1 signature and STS credentials from the environment
  asyncops.jobs.sas_scan_task_progress:
    task_id: "{{ scan.task_id }}"
    signature_version: v1
    wait: false
  register: progress
"""

RETURN = r"""
changed:
  description: True when the module started a scan (or would have, in check mode).
  returned: always
  type: bool
task_id:
  description: ID of the virus scan task (the C(ScanTaskId) of C(StartVirusScanTask)).
  returned: when a task was given or started
  type: int
  sample: 282832
status:
  description: Normalized status, one of V(running), V(succeeded), V(failed).
  returned: when the progress was read
  type: str
  sample: succeeded
vendor_status:
  description: C(ScanTaskProgress) as Security Center reported it, V(init), V(Processing), V(Success) or V(Failed).
  returned: when the progress was read
  type: str
  sample: Success
target_info:
  description:
    - The servers or groups the task scans, parsed from the JSON string Security Center returns.
    - In check mode with O(target_info), the targets that would have been scanned.
  returned: when the progress was read, or in check mode with O(target_info)
  type: list
  elements: dict
  sample: [{"type": "uuid", "name": "host001", "target": "503201a7-14c6-4280-801b-1169ed42****"}]
request_id:
  description: C(RequestId) of the last answer, for Alibaba Cloud support.
  returned: when the progress was read, and with errors from the service
  type: str
  sample: EA15BA8A-D631-4375-8D40-CB7C769B0279
error:
  description:
    - Why the scan or the request failed.
    - For a scan that ended C(Failed), C(code) is V(Failed).
    - For an error answer of the service, its C(code), C(message), C(request_id), C(recommend) and C(host_id).
  returned: on failure
  type: dict
  sample: {"code": "SignatureDoesNotMatch", "message": "Specified signature is not matched with our calculation.",
           "request_id": "EA15BA8A-D631-4375-8D40-CB7C769B0279", "recommend": "https://api.aliyun.com/troubleshoot"}
http_status:
  description: HTTP status of an error answer.
  returned: with errors from the service
  type: int
  sample: 400
attempts:
  description: Status reads made, failed ones included.
  returned: when the progress was read
  type: int
  sample: 4
elapsed:
  description: Seconds the wait took.
  returned: when the progress was read
  type: float
  sample: 12.5
history:
  description: Status changes and transient errors seen during the wait (the first one and the most recent ones).
  returned: when the progress was read
  type: list
  elements: dict
  sample: [{"attempt": 1, "elapsed": 0.0, "status": "running", "vendor_status": "init"}]
timed_out:
  description: True only when O(wait_timeout) passed before the scan (or its start) finished.
  returned: always
  type: bool
  sample: false
reason:
  description:
    - Why the task failed, V(operation_failed) (the scan ended C(Failed)), V(timed_out), V(retries_exhausted),
      V(request_rejected) (an error answer that asking again cannot fix) or V(invalid_options) (nothing was sent).
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
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import sas_scan_task_progress as operation


def main():
    run_module(operation)


if __name__ == '__main__':
    main()
