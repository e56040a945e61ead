# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SBC: requests of an action list and token renewals under the lock, on a virtual clock.

Runs the module's own operation (``operations/sbc_async_status.py`` through ``perform()``, as
both ways of running the module do: options checked, then lock, start, wait, unlock) against the
in-process SBC simulator over HTTPS, with the wait loop, the client's token timing and the
simulator all on one virtual clock, so a 25-minute activate under 10-minute tokens takes a
second. Figures come from the simulator's counters. Seeded jitter makes runs repeatable.

    tests/benchmarks/run.sh sbc_token_renewal

Baselines, measured in the same run:
- requests: the same [save, activate] polled every ``poll_interval`` without backoff;
- renewals: the fewest a run can make, ceil(duration / lifetime) - 1; and a client told a
  lifetime far beyond the device's (no early renewal), which loses the lock (HTTP 401).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
import random
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'roles', 'simulators', 'files'))

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402

from ansible_collections.asyncops.jobs.plugins.module_utils import sbc as sbc_client  # noqa: E402
from ansible_collections.asyncops.jobs.plugins.module_utils import wait as wait_loop  # noqa: E402
from ansible_collections.asyncops.jobs.plugins.module_utils.operations import sbc_async_status  # noqa: E402
from ansible_collections.asyncops.jobs.plugins.module_utils.task import Task, perform  # noqa: E402

from asyncops_simulators import kit  # noqa: E402
from asyncops_simulators.sbc import SbcSimulator  # noqa: E402


class VirtualClock(object):
    def __init__(self):
        self.current = 0.0

    def now(self):
        return self.current

    def sleep(self, seconds):
        self.current += max(seconds, 0)


def run(server, ca_path, simulator, actions, durations, device_lifetime=600, token_lifetime=600,
        poll_interval=2.0, max_poll_interval=30.0):
    simulator.reset()
    simulator.counters.reset()
    clock = VirtualClock()
    simulator.clock = clock.now
    wait_loop.SystemClock = lambda: clock
    sbc_client.SystemClock = lambda: clock
    random.seed(1)
    simulator.configure({'token_lifetime': device_lifetime, 'durations': durations})
    spec = sbc_async_status.SPEC
    args = dict(host='127.0.0.1', port=server.port, username='admin', password='sbc-Secret-0',
                token_lifetime=token_lifetime, ca_path=ca_path, wait_timeout=7200, poll_interval=poll_interval,
                max_poll_interval=max_poll_interval, action=actions)
    # The module's own argument spec fills in every default, as AnsibleModule would.
    validation = ArgumentSpecValidator(spec.argument_spec(), **spec.validator_kwargs()).validate(args)
    if validation.error_messages:
        raise SystemExit(validation.errors.msg)
    params = validation.validated_parameters
    result, failed = perform(spec, sbc_async_status.run, params, False, lambda: Task(spec, params), 'benchmark')
    outcome = result['msg'] if failed else result['status']
    counters = simulator.counters.snapshot()
    return dict(outcome=outcome, requests=counters['requests_total'], renewals=counters.get('token_renewals', 0),
                r401=counters.get('responses_401', 0), r423=counters.get('responses_423', 0),
                virtual_seconds=round(clock.now(), 1))


def main():
    simulator = SbcSimulator()
    server, ca_path = kit.start_in_thread(simulator, tempfile.mkdtemp(prefix='sbc-bench-'))
    try:
        print('## Requests of [save, activate] (save 5 s, activate 60 s)')
        module = run(server, ca_path, simulator, ['save', 'activate'], {'save': 5, 'activate': 60})
        fixed = run(server, ca_path, simulator, ['save', 'activate'], {'save': 5, 'activate': 60}, max_poll_interval=2.0)
        print('module defaults (poll 2 s, backoff to 30 s): %(requests)d requests, %(outcome)s, %(virtual_seconds)s s' % module)
        print('baseline, fixed 2 s polling:                 %(requests)d requests, %(outcome)s, %(virtual_seconds)s s' % fixed)
        print('requests module / baseline: %.2f' % (module['requests'] / fixed['requests']))
        print('')
        print('## Token renewals under the lock')
        print('| activate | token | renewals | fewest possible | 401 | 423 | requests | outcome |')
        print('|---|---|---|---|---|---|---|---|')
        for duration, lifetime, told, poll, cap in ((10, 4, 4, 0.2, 0.5), (1500, 600, 600, 2.0, 30.0),
                                                    (1500, 600, 3600, 2.0, 30.0)):
            figures = run(server, ca_path, simulator, ['activate'], {'activate': duration}, device_lifetime=lifetime,
                          token_lifetime=told, poll_interval=poll, max_poll_interval=cap)
            label = '%d s (told %d s)' % (lifetime, told) if told != lifetime else '%d s' % lifetime
            print('| %d s | %s | %d | %d | %d | %d | %d | %s |' % (
                duration, label, figures['renewals'], max(math.ceil(duration / lifetime) - 1, 0), figures['r401'],
                figures['r423'], figures['requests'], figures['outcome']))
    finally:
        server.shutdown()
        server.server_close()


if __name__ == '__main__':
    main()
