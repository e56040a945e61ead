# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until the operation reaches a terminal state.
      - With V(false) the module reads the status once and returns it, terminal or not.
    type: bool
    default: true
  wait_timeout:
    description:
      - Deadline in seconds for the whole task, measured on a monotonic clock; start requests, every wait and
        every action of a list share it.
      - When it passes the task fails with C(msg) saying it timed out, RV(timed_out=true) and RV(reason=timed_out),
        and RV(status) keeps the last status seen.
      - A task never overruns it by more than one O(request_timeout).
      - Must be more than 0 (at most 30 days); to read the status once without waiting, set O(wait=false).
    type: int
    default: 600
  poll_interval:
    description:
      - First delay in seconds between two status checks when the server gives no hint of its own.
      - Each later delay doubles up to O(max_poll_interval), minus up to 25% random jitter so that many
        forks started together do not poll in lockstep.
      - A delay the server asks for (KSC C(lNextCheckDelay), HTTP C(Retry-After), Alibaba C(x-acs-retry-after))
        is a floor that is never undercut.
    type: float
    default: 2.0
  max_poll_interval:
    description:
      - Cap in seconds of the backoff between status checks.
    type: float
    default: 30.0
  retries:
    description:
      - How many failed requests in a row (connection refused or reset, timeouts, HTTP 408, 429 and 5xx,
        vendor throttling codes) are tolerated before the task fails.
      - A failed request is never taken as the operation's own success or failure.
      - The count resets after every successful status read.
    type: int
    default: 5
  progress_interval:
    description:
      - Live progress, when the task runs on the controller (see RV(ran_on)); a module running on a target
        cannot print while it runs.
      - "A line is printed at every change of status, stage or percentage, and at most every this many
        seconds while nothing changes, at the default verbosity, for example:
        asyncops.jobs.integration_task [kis01]: task 7b1f0c2e: Running 40 % (CopyFiles), check 12, 1m05s of 10m,
        about 1m40s left"
      - The estimate of the time left appears only where the vendor reports a percentage; a wait on many operations
        says how many are done. Nothing is printed for a wait that ends at its first read, and no line carries a secret.
      - V(0) turns the lines off.
    type: float
    default: 30.0
  max_requests_per_second:
    description:
      - The most requests per second that all tasks of this host together send to one endpoint (scheme, host and
        port; for Alibaba Cloud the endpoint and the access key id), shared through a small token bucket in the
        host's temporary directory.
      - On the controller (the usual case) every fork and every task of the controller shares it; when the task
        runs on a target, the tasks running on that target share it.
      - A short burst of one second's worth of requests (at least 1) may go out at once, so in any one second at most
        this rate plus that burst are sent.
      - Requests are granted in arrival order; waiting for a slot counts against O(wait_timeout) like any other delay,
        and only ever delays a request, so a server's retry hint stays a floor.
      - Set it when many forks (AWX job templates with a high C(forks)) wait on one appliance or account at once;
        50 forks that each poll every few seconds add up to tens of requests per second.
      - Unset, there is no limit beyond each task's own backoff.
    type: float
"""
