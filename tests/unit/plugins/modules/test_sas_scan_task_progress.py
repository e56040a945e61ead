# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sas_scan_task_progress main() against the in-process Security Center simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

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
    task_id = sas.simulator.create_operation({'duration': 60})['id']
    result, failed = run_module(monkeypatch, sas_scan_task_progress, args(sas, task_id=task_id, wait_timeout=0))
    assert failed
    assert result['msg'].startswith('Timed out after 0 s waiting for virus scan task %d' % task_id)
    assert result['status'] == 'running' and result['vendor_status'] == 'init'
    assert result['task_id'] == task_id


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
    assert failed and 'target_info' in result['msg']
    assert sas.simulator.counters.snapshot()['requests_total'] == 0
