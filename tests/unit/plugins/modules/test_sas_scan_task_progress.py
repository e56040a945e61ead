# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sas_scan_task_progress main() against the in-process Security Center simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.asyncops.jobs.plugins.module_utils import wait as wait_module
from ansible_collections.asyncops.jobs.plugins.module_utils.request_budget import endpoint_key
from ansible_collections.asyncops.jobs.plugins.modules import sas_scan_task_progress

from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import run_module

TARGETS = [{'type': 'uuid', 'name': 'web-01', 'target': '503201a7-14c6-4280-801b-1169ed42a1b2'}]


@pytest.fixture(scope='module')
def sas_session(start_simulator):
    from asyncops_simulators.sas import SasSimulator
    return start_simulator(SasSimulator())


@pytest.fixture
def sas(sas_session):
    sas_session.reset()
    return sas_session


class SimClock(object):
    """The wait loop's clock: sleeping moves the simulator's scans forward instead of passing real time."""

    def __init__(self, sim):
        self.sim = sim
        self.t = 0.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds
        for operation in self.sim.simulator.operations.values():
            operation.started -= seconds


def use_clock(monkeypatch, sim):
    clock = SimClock(sim)
    monkeypatch.setattr(wait_module, 'SystemClock', lambda: clock)
    return clock


def requests(sim):
    return sim.simulator.counters.snapshot()['requests_by_endpoint']


def args(sim, **extra):
    from asyncops_simulators import sas as simulated
    base = dict(access_key_id=simulated.DEFAULT_ACCESS_KEY_ID, access_key_secret=simulated.DEFAULT_ACCESS_KEY_SECRET,
                endpoint='127.0.0.1:%d' % sim.port, ca_path=sim.ca_path, poll_interval=0.05, max_poll_interval=0.1,
                wait_timeout=10)
    base.update(extra)
    return base


def test_waits_on_a_task_until_success(monkeypatch, sas):
    task_id = sas.simulator.create_operation({'duration': 0.2, 'target_info': TARGETS})['id']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, task_id=task_id))
    assert not failed, result
    assert result['changed'] is False
    assert (result['status'], result['vendor_status']) == ('succeeded', 'Success')
    assert result['task_id'] == task_id
    assert result['target_info'] == TARGETS
    assert result['request_id']
    assert result['attempts'] >= 2
    assert result['history'][-1]['vendor_status'] == 'Success'


def test_start_and_wait_reports_changed(monkeypatch, sas):
    sas.simulator.scan_duration = 0.1
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, target_info=TARGETS, signature_version='v1'))
    assert not failed, result
    assert result['changed'] is True
    assert result['status'] == 'succeeded'
    assert result['target_info'] == TARGETS
    assert result['task_id'] in sas.simulator.operations
    assert sas.simulator.counters.snapshot()['signature_v1'] >= 2


def test_failed_scan_fails_the_task_with_structured_keys(monkeypatch, sas):
    task_id = sas.simulator.create_operation({'duration': 0, 'outcome': 'failed'})['id']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, task_id=task_id))
    assert failed
    assert result['msg'] == 'Virus scan task %d ended Failed.' % task_id
    assert (result['reason'], result['timed_out'], result['ran_on']) == ('operation_failed', False, 'target')
    assert (result['status'], result['vendor_status']) == ('failed', 'Failed')
    assert result['error']['code'] == 'Failed'


def test_check_mode_starts_nothing_but_reads_run(monkeypatch, sas):
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, target_info=TARGETS), check_mode=True)
    assert not failed and result['changed'] is True
    assert sas.simulator.operations == {}
    assert sas.simulator.counters.snapshot()['requests_total'] == 0
    task_id = sas.simulator.create_operation({'duration': 0})['id']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, task_id=task_id), check_mode=True)
    assert not failed and result['vendor_status'] == 'Success' and result['changed'] is False


def test_wait_false_reads_once(monkeypatch, sas):
    task_id = sas.simulator.create_operation({'duration': 60})['id']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, task_id=task_id, wait=False))
    assert not failed
    assert result['status'] == 'running' and result['vendor_status'] == 'init'
    assert result['attempts'] == 1


def test_timeout_keeps_the_last_status(monkeypatch, sas):
    clock = use_clock(monkeypatch, sas)
    task_id = sas.simulator.create_operation({'duration': 60, 'target_info': TARGETS})['id']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, task_id=task_id, wait_timeout=5))
    assert failed
    assert result['msg'].startswith('Timed out after 5 s waiting for virus scan task %d' % task_id)
    assert (result['reason'], result['timed_out']) == ('timed_out', True)
    assert result['status'] == 'running' and result['vendor_status'] == 'init'
    assert result['task_id'] == task_id
    # The last read's echo of the targets survives the timeout.
    assert result['target_info'] == TARGETS and result['request_id']
    assert clock.t <= 5.0 + 1e-6


def test_wrong_secret_fails_in_one_sentence_without_the_secret(monkeypatch, sas):
    wrong = 'wrong-secret-for-this-key-9876'
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, task_id=1, access_key_secret=wrong))
    assert failed
    assert result['error']['code'] == 'SignatureDoesNotMatch'
    assert 'access_key_secret' in result['msg']
    assert wrong not in json.dumps(result)


def test_throttled_start_is_retried_after_the_hint(monkeypatch, sas):
    sas.simulator.scan_duration = 0
    from asyncops_simulators.kit import Fault
    sas.simulator.faults.append(Fault(
        kind='throttle', seconds=0.3, retry_after=0.3, retry_after_format='milliseconds', endpoint='^StartVirusScanTask$'))
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, target_info=TARGETS))
    assert not failed, result
    counters = sas.simulator.counters.snapshot()
    assert counters['requests_by_endpoint']['StartVirusScanTask'] == 2
    assert counters['requests_before_retry_after'] == 0
    assert len(sas.simulator.operations) == 1


def test_missing_credentials_name_the_environment_variables(monkeypatch, sas):
    for name in ('ALICLOUD_SECRET_KEY', 'ALICLOUD_SECRET_ACCESS_KEY', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'):
        monkeypatch.delenv(name, raising=False)
    bad = args(sas, task_id=1)
    del bad['access_key_secret']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, bad)
    assert failed
    assert 'ALICLOUD_SECRET_KEY' in result['msg']


def test_credentials_come_from_the_environment(monkeypatch, sas):
    from asyncops_simulators import sas as simulated
    monkeypatch.setenv('ALIBABA_CLOUD_ACCESS_KEY_ID', simulated.STS_ACCESS_KEY_ID)
    monkeypatch.setenv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', simulated.STS_ACCESS_KEY_SECRET)
    monkeypatch.setenv('ALICLOUD_SECURITY_TOKEN', simulated.STS_SECURITY_TOKEN)
    for name in ('ALICLOUD_ACCESS_KEY', 'ALICLOUD_ACCESS_KEY_ID', 'ALICLOUD_SECRET_KEY', 'ALICLOUD_SECRET_ACCESS_KEY'):
        monkeypatch.delenv(name, raising=False)
    task_id = sas.simulator.create_operation({'duration': 0})['id']
    bare = args(sas, task_id=task_id)
    del bare['access_key_id'], bare['access_key_secret']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, bare)
    assert not failed, result
    assert result['vendor_status'] == 'Success'


def test_empty_target_info_is_refused(monkeypatch, sas):
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, target_info=[]))
    assert failed and result['reason'] == 'invalid_options'
    assert result['msg'] == 'target_info is an empty list: name at least one item, or leave the option out.'
    assert sas.simulator.counters.snapshot()['requests_total'] == 0


@pytest.mark.parametrize('bad, words', [
    (dict(wait_timeout=0), 'wait_timeout must be more than 0'),
    (dict(wait_timeout=-5), 'wait_timeout must be more than 0'),
    (dict(request_timeout=0), 'request_timeout must be more than 0'),
    (dict(task_id=7), 'mutually exclusive'),
    (dict(target_info=[{'type': 'uuid', 'name': 'web-01', 'target': '  '}]),
     'target_info item 1 (uuid) has an empty target'),
    (dict(target_info=[TARGETS[0], {'type': 'groupId', 'name': '', 'target': '8834224'}]),
     'target_info item 2 has an empty name'),
    (dict(target_info=[{'type': 'host', 'target': 'x'}]), 'type'),
    (dict(target_info=[{'name': 'web-01', 'target': 'x'}]), 'type'),
    (dict(target_info=[{'type': 'uuid', 'name': 'web-01'}]), 'target'),
    (dict(target_info='web-01'), 'target_info'),
])
def test_bad_start_options_are_refused_before_any_request(monkeypatch, sas, bad, words):
    options = args(sas, target_info=TARGETS)
    options.update(bad)
    result, failed = run_module(monkeypatch, sas_scan_task_progress, options)
    assert failed and result['reason'] == 'invalid_options', result
    assert words in result['msg']
    assert result.get('changed', False) is False and result['timed_out'] is False
    assert sas.simulator.counters.snapshot()['requests_total'] == 0
    assert sas.simulator.operations == {}


def run_main_for_real(capsys, args):
    """``main()`` through AnsibleModule's own exit path: what a controller would read on stdout."""
    from ansible_collections.asyncops.jobs.tests.unit.plugins.modules.utils import _module_args
    with _module_args(args):
        with pytest.raises(SystemExit):
            sas_scan_task_progress.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('from_environment', [False, True])
def test_a_wrongly_typed_option_prints_no_secret(monkeypatch, capsys, sas, from_environment):
    # ansible-core fails target_info's type before it has collected the no_log values; its
    # invocation would then carry the secret and the token in clear.
    secret, token = 'typo-Secret-ab12cd34ef', 'CAIS-typo-token-56gh78'
    options = args(sas, target_info='web-01', access_key_secret=secret, security_token=token)
    if from_environment:
        del options['access_key_secret'], options['security_token']
        monkeypatch.setenv('ALICLOUD_SECRET_KEY', secret)
        monkeypatch.setenv('ALICLOUD_SECURITY_TOKEN', token)
    result = run_main_for_real(capsys, options)
    # ansible-core up to 2.20 prints the invocation here (where the secret leaked); 2.21 leaves it
    # out of this failure. Either way nothing printed may carry the secret.
    printed = json.dumps(result)
    assert secret not in printed and token not in printed
    assert result['failed'] and result['reason'] == 'invalid_options'
    assert 'target_info' in result['msg']
    assert sas.simulator.counters.snapshot()['requests_total'] == 0


def test_a_throttled_start_shares_the_deadline(monkeypatch, sas):
    clock = use_clock(monkeypatch, sas)
    sas.simulator.scan_duration = 600
    from asyncops_simulators.kit import Fault
    sas.simulator.faults.append(Fault(kind='status', status=503, count=2, retry_after=2, endpoint='^StartVirusScanTask$'))
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, target_info=TARGETS, wait_timeout=5,
                                                                          poll_interval=0.5, max_poll_interval=1))
    assert failed and result['reason'] == 'timed_out', result
    # The start took two hinted retries (4 s of the 5): the scan's own wait had only what was left.
    assert result['msg'].startswith('Timed out after 5 s waiting for virus scan task %s' % result['task_id'])
    assert result['changed'] is True and result['task_id'] in sas.simulator.operations
    assert requests(sas)['StartVirusScanTask'] == 3
    assert result['elapsed'] < 1.5
    assert clock.t <= 5.0 + 1e-6


def test_a_start_throttled_past_the_deadline_starts_nothing(monkeypatch, sas):
    clock = use_clock(monkeypatch, sas)
    from asyncops_simulators.kit import Fault
    sas.simulator.faults.append(Fault(kind='throttle', seconds=600, retry_after=2, retry_after_format='milliseconds',
                                      endpoint='^StartVirusScanTask$'))
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, target_info=TARGETS, wait_timeout=5,
                                                                          retries=20))
    assert failed and (result['reason'], result['timed_out']) == ('timed_out', True), result
    assert result['msg'].startswith('Timed out after 5 s waiting for the start of a virus scan')
    assert result['changed'] is False and 'task_id' not in result
    assert sas.simulator.operations == {}
    assert 'DescribeScanTaskProgress' not in requests(sas)
    assert clock.t <= 5.0 + 1e-6


def test_the_request_budget_is_kept_per_access_key(monkeypatch, sas):
    from asyncops_simulators import sas as simulated
    keys = []
    from ansible_collections.asyncops.jobs.plugins.module_utils import request_budget  # Task.client() imports it when asked
    real_budget = request_budget.RequestBudget

    def spy(rate, key, **kwargs):
        keys.append(key)
        return real_budget(rate, key, **kwargs)
    monkeypatch.setattr(request_budget, 'RequestBudget', spy)
    task_id = sas.simulator.create_operation({'duration': 0})['id']
    for key_id, secret, token in ((simulated.DEFAULT_ACCESS_KEY_ID, simulated.DEFAULT_ACCESS_KEY_SECRET, None),
                                  (simulated.STS_ACCESS_KEY_ID, simulated.STS_ACCESS_KEY_SECRET,
                                   simulated.STS_SECURITY_TOKEN)):
        result, failed = run_module(monkeypatch, sas_scan_task_progress, args(
            sas, task_id=task_id, access_key_id=key_id, access_key_secret=secret, security_token=token,
            max_requests_per_second=1000))
        assert not failed, result
        assert result['request_budget']['max_requests_per_second'] == 1000
    url = 'https://127.0.0.1:%d' % sas.port
    assert keys == [endpoint_key(url, scope=simulated.DEFAULT_ACCESS_KEY_ID),
                    endpoint_key(url, scope=simulated.STS_ACCESS_KEY_ID)]


@pytest.mark.parametrize('signature_version', ['v3', 'v1'])
def test_a_long_target_list_travels_in_the_body(monkeypatch, sas, signature_version):
    # 1000 servers are about 100 KB of TargetInfo: more than any gateway takes in a URL.
    sas.simulator.scan_duration = 0
    targets = [{'type': 'uuid', 'name': 'web-%04d' % i, 'target': '503201a7-14c6-4280-801b-1169ed42%04d' % i}
               for i in range(1000)]
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, target_info=targets,
                                                                          signature_version=signature_version))
    assert not failed, result
    assert result['changed'] is True and result['status'] == 'succeeded'
    assert sas.simulator.operations[result['task_id']].extra['target_info'] == targets
    assert result['target_info'] == targets
