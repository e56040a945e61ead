# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What every asyncops.jobs module shares; each module documents its own check_mode details, and
    # each vendor fragment names its action group.
    DOCUMENTATION = r"""
options: {}
notes:
  - >-
    Where the work runs: a task that would run on the control node anyway (a local connection, C(delegate_to: localhost),
    the implicit localhost) runs in the controller's own worker process, without packing or starting a module, and
    prints live progress lines (C(progress_interval)); every other task (another host, C(delegate_to) a jump host,
    C(become), the C(async) keyword, or a controller whose Python lacks the libraries) runs as an ordinary module on
    the target. The variable C(asyncops_jobs_run_on) or the environment variable C(ASYNCOPS_JOBS_RUN_ON)
    (the variable wins) set to V(target) always runs the module on the target; V(controller) insists on the
    controller and fails with a clear message where that cannot be done; V(auto) is the default.
  - Both ways take the same options, apply the same C(module_defaults) groups, environment fallbacks (including the
    task's and play's C(environment) keyword) and checks, and return the same result; C(ran_on) says which way ran.
  - >-
    Every result has C(ran_on); waiting modules also C(timed_out). A failure has C(msg) (one sentence) and
    C(reason): V(operation_failed), V(operation_cancelled), V(timed_out), V(retries_exhausted),
    V(request_rejected) (a terminal answer: credentials, unknown id, refused input) or V(invalid_options)
    (nothing was sent). Every option and combination is checked before the first request.
attributes:
  action:
    support: full
  async:
    support: full
  bypass_host_loop:
    support: none
  platform:
    platforms: posix
  diff_mode:
    support: none
  action_group:
    support: full
"""
