# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: task_durations
type: aggregate
short_description: Record each task's duration as one JSON line (benchmarks only)
description:
  - For the benchmarks of tests/benchmarks, appends one JSON object per task result to the file named by
    the environment variable E(ASYNCOPS_BENCH_TIMINGS), with the task's name, status, C(ran_on) and the
    seconds from the task's start to its result, as the controller's main process saw them.
  - Timed where a user waits, from the strategy starting the task to the result arriving, so the worker's
    fork, the action plugin, and for a module its packing, copying and start all count.
requirements:
  - enabled with C(ANSIBLE_CALLBACKS_ENABLED=task_durations)
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'task_durations'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get('ASYNCOPS_BENCH_TIMINGS')
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        # The main process's monotonic clock, both ends: no clock is compared across processes.
        self._started[task._uuid] = time.monotonic()  # pylint: disable=protected-access

    def _record(self, result, status):
        ended = time.monotonic()
        task = result._task  # pylint: disable=protected-access
        started = self._started.get(task._uuid)  # pylint: disable=protected-access
        if not self._path or started is None:
            return
        answer = result._result  # pylint: disable=protected-access
        line = dict(name=task.get_name(), status=status, seconds=ended - started, ran_on=answer.get('ran_on'),
                    msg=answer.get('msg') if status == 'failed' else None)
        with open(self._path, 'a') as out:
            out.write(json.dumps(line) + '\n')

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')
