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
      - Deadline in seconds for the whole wait, measured on a monotonic clock.
      - When it passes the task fails with C(msg) saying it timed out, and RV(status) keeps the last status seen.
      - A wait never overruns it by more than one request timeout.
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
"""
