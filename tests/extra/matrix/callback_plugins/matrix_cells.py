# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Records every cell of the fault matrix as it runs (tests/extra/test_fault_matrix.py).

A cell is a task named ``cell <id>``. Around it, in the controller's main process (which is idle
while a worker runs the task), this plugin

- runs the cell's ``setup`` steps from the plan (``MATRIX_PLAN``): requests to the simulator's
  control API or its vendor API, each at once or ``after`` seconds (a session ended or a password
  changed while the task waits);
- reads the simulator's counters before and after, so the test sees what the task sent;
- measures the task's duration on the monotonic clock, from the moment it is handed to a worker
  to the moment its result is back;
- clears the simulator's faults and runs the cell's ``teardown`` steps afterwards,

and writes everything to ``MATRIX_RESULTS`` when the playbook ends. Doing the setup here instead
of in ``uri`` tasks keeps each cell one task: the whole matrix stays fast on two cores.
"""

DOCUMENTATION = r"""
name: matrix_cells
type: aggregate
short_description: records the fault matrix's cells (test harness)
description:
  - Runs each cell's setup and teardown against the simulators, and records its result, duration and counters.
"""

import json
import os
import ssl
import threading
import time
import urllib.error
import urllib.request

from ansible.plugins.callback import CallbackBase

PREFIX = 'cell '


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'matrix_cells'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with open(os.environ['MATRIX_PLAN']) as f:
            self.plan = json.load(f)
        self.context = ssl.create_default_context(cafile=self.plan['ca_path'])
        self.records = {}
        self.current = None
        self.timers = []
        self.errors = []

    # --- the simulator ---------------------------------------------------------------------
    def _request(self, step):
        body = step.get('body')
        data = None if body is None else json.dumps(body).encode()
        headers = dict({'Content-Type': 'application/json'}, **step.get('headers', {}))
        request = urllib.request.Request(self.plan['base_url'] + step['path'], data=data, headers=headers,
                                         method=step.get('method', 'GET' if body is None else 'POST'))
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as answer:
                return json.loads(answer.read().decode() or 'null')
        except (OSError, ValueError) as err:
            # A harness step that failed invalidates the cell: the test reports it.
            self.errors.append('%s %s: %s' % (step.get('method', 'POST'), step['path'], err))
            return None

    def _counters(self):
        counters = self._request({'path': '/_sim/counters'}) or {}
        counters.pop('request_times', None)
        return counters

    def _run_steps(self, steps):
        for step in steps:
            if step.get('after'):
                timer = threading.Timer(step['after'], self._request, args=(step,))
                timer.daemon = True
                timer.start()
                self.timers.append(timer)
            else:
                self._request(step)

    # --- the playbook ------------------------------------------------------------------------
    def v2_playbook_on_task_start(self, task, is_conditional):
        name = task.get_name()
        if not name.startswith(PREFIX):
            self.current = None
            return
        cell_id = name[len(PREFIX):]
        cell = self.plan['cells'].get(cell_id, {})
        self.errors = []
        self._run_steps(cell.get('setup', []))
        self.current = {'id': cell_id, 'before': self._counters(), 'started': time.monotonic()}

    def _finish(self, result, outcome):
        if self.current is None:
            return
        record, self.current = self.current, None
        record['duration'] = round(time.monotonic() - record.pop('started'), 3)
        record['outcome'] = outcome
        for timer in self.timers:
            timer.cancel()
        self.timers = []
        record['after'] = self._counters()
        cell = self.plan['cells'].get(record['id'], {})
        self._request({'path': '/_sim/faults', 'method': 'DELETE'})
        self._run_steps([dict(step, after=None) for step in cell.get('teardown', [])])
        record['result'] = json.loads(json.dumps(result._result, default=str))
        record['harness_errors'] = self.errors
        self.records[record['id']] = record

    def v2_runner_on_ok(self, result):
        self._finish(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finish(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._finish(result, 'unreachable')

    def v2_runner_on_skipped(self, result):
        self._finish(result, 'skipped')

    def v2_playbook_on_stats(self, stats):
        issued = self._request({'path': '/_sim/issued'}) if self.plan.get('issued') else None
        with open(os.environ['MATRIX_RESULTS'], 'w') as f:
            json.dump({'cells': self.records, 'issued': (issued or {}).get('issued', [])}, f)
