#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ksc_session
short_description: Start or end a Kaspersky Security Center Open API session
version_added: 0.1.0
description:
  - O(state=present) starts a Kaspersky Security Center (KSC) session with C(Session.StartSession) and returns its
    RV(session_id), which later tasks pass as O(session_id) instead of credentials.
  - Actions started in a session can only be checked from that session, so a session is how an action started by
    one task is waited on by another (M(asyncops.jobs.ksc_async_wait) with O(asyncops.jobs.ksc_async_wait#module:action_guid)).
  - O(state=present) with O(session_id) checks that session with C(Session.Ping) and keeps it if it is alive; if it
    has ended, a new one is started, which needs O(username) and O(password).
  - O(state=absent) ends the session O(session_id) with C(Session.EndSession); a session that is already gone (ended,
    expired, or unknown to this KSC) is not a change and not a failure.
author:
  - asyncops.jobs maintainers (@asyncops-jobs)
requirements:
  - requests
extends_documentation_fragment:
  - asyncops.jobs.ksc
  - asyncops.jobs.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - No session is started or ended; an existing O(session_id) is still checked with C(Session.Ping).
      - O(state=absent) reports C(changed=true) only when that session is alive.
options:
  state:
    description:
      - V(present) starts a session (or keeps the alive one given in O(session_id)), V(absent) ends O(session_id).
    type: str
    choices: [present, absent]
    default: present
notes:
  - RV(session_id) is a credential. Register the result with C(no_log=true) on this task, and set C(no_log=true) on
    later tasks that print it; modules of this collection never print the session id they are given.
  - End the session with O(state=absent) in an C(always) section; KSC's own session lifetime is not documented.
seealso:
  - module: asyncops.jobs.ksc_async_wait
"""

EXAMPLES = r"""
- name: Share one KSC session between tasks, and always end it
  module_defaults:
    group/asyncops.jobs.ksc:
      host: ksc.example.com
      ca_path: /etc/pki/ksc-ca.pem
  block:
    - name: Start a KSC session
      asyncops.jobs.ksc_session:
        username: ansible
        password: "{{ vault_ksc_password }}"
      register: ksc
      no_log: true

    - name: Wait on an action started in that session
      asyncops.jobs.ksc_async_wait:
        session_id: "{{ ksc.session_id }}"
        action_guid: "{{ started_guid }}"
  always:
    - name: End the KSC session
      asyncops.jobs.ksc_session:
        state: absent
        session_id: "{{ ksc.session_id }}"
      when: ksc.session_id is defined
"""

RETURN = r"""
session_id:
  description:
    - The session token, to pass as O(session_id) to later tasks.
    - Treat it like a password; see the notes.
  returned: when a new session was started (not in check mode, and not when the given O(session_id) was still alive)
  type: str
  sample: nsSim3f1c0d9e4b2a4f6c8e7d5b3a1f0e9c8d
alive:
  description:
    - Whether the session given in O(session_id) was alive before the task.
    - With O(state=absent), false when it was already gone (then C(changed) is false).
  returned: when O(session_id) was given
  type: bool
  sample: true
reason:
  description:
    - Why the task failed, V(request_rejected) (an error answer that asking again cannot fix, such as a failed login),
      V(retries_exhausted) (the request failed in transit) or V(invalid_options) (the options cannot work; nothing was
      sent, or only a C(Session.Ping) that found the given session gone and no credentials to start a new one).
  returned: on failure
  type: str
  sample: invalid_options
ran_on:
  description: V(controller) when the task ran in the controller's worker process, V(target) when it ran as a module.
  returned: always
  type: str
  sample: controller
"""

from ansible_collections.asyncops.jobs.plugins.module_utils.module import run_module
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import ksc_session as operation


def main():
    run_module(operation)


if __name__ == '__main__':
    main()
