# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""NetApp's solidfire-sdk-python against the SolidFire simulator: the simulator speaks the real protocol.

The SDK connects the way it does to a cluster (GetAPI on /json-rpc/7.0, then the current
version), parses our answers into its own typed models, and raises its own exceptions on our
error envelopes and our 401.
"""

import pytest

solidfire = pytest.importorskip('solidfire')

from solidfire.common import ApiConnectionError, ApiServerError  # noqa: E402
from solidfire.factory import ElementFactory  # noqa: E402

USER = 'sf-admin'
PASSWORD = 'Sim-SolidFire-pass-42'


@pytest.fixture(scope='module')
def sf_server(start_simulator):
    from asyncops_simulators.solidfire import SolidFireSimulator
    return start_simulator(SolidFireSimulator())


@pytest.fixture
def sf(sf_server):
    sim = sf_server.simulator
    with sim.lock:
        sim.faults = []
    sim.counters.reset()
    sim.reset()
    return sf_server


def connect(sim, target='127.0.0.1', password=PASSWORD, verify_ssl=False):
    return ElementFactory.create(target, USER, password, port=sim.port, verify_ssl=verify_ssl,
                                 print_ascii_art=False, timeout=10)


def finish(sim, handle):
    op = sim.simulator.operations[handle]
    op.started -= op.duration


def test_factory_connects_through_get_api_and_switches_to_the_current_version(sf):
    element = connect(sf)
    assert element.api_version == 12.3
    by_endpoint = sf.simulator.counters.snapshot()['requests_by_endpoint']
    assert by_endpoint == {'GetAPI': 1}


def test_factory_verifies_tls_against_the_simulator_ca(sf, monkeypatch):
    # The SDK refuses verify_ssl with an IP address, and takes its CA from requests' environment.
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', sf.ca_path)
    element = connect(sf, target='localhost', verify_ssl=True)
    assert element.get_api().current_version == 12.3


def test_wrong_password_is_bad_credentials_to_the_sdk(sf):
    with pytest.raises(ApiConnectionError) as caught:
        connect(sf, password='Not-the-password')
    assert 'Bad Credentials' in str(caught.value)


def test_clone_volume_and_get_async_result_with_the_purge_rule(sf):
    element = connect(sf)
    clone = element.clone_volume(volume_id=34, name='db01-clone')
    assert isinstance(clone.async_handle, int) and clone.volume_id > 0
    running = element.get_async_result(clone.async_handle, keep_result=True)
    assert running['status'] == 'running' and running['resultType'] == 'Clone'
    finish(sf, clone.async_handle)
    done = element.get_async_result(clone.async_handle)
    assert done['status'] == 'complete' and done['result']['cloneID'] == clone.clone_id
    with pytest.raises(ApiServerError) as caught:
        element.get_async_result(clone.async_handle)
    assert caught.value.error_name == 'xDBNoSuchPath'
    assert '/asyncresults/%d' % clone.async_handle in caught.value.message


def test_copy_volume_and_bulk_volume_read_parse_into_sdk_models(sf):
    element = connect(sf)
    copy = element.copy_volume(volume_id=1, dst_volume_id=2)
    bulk = element.start_bulk_volume_read(volume_id=3, format='native')
    assert copy.async_handle != bulk.async_handle
    assert bulk.key and bulk.url.startswith('https://')


def test_list_async_results_parses_into_async_handles(sf):
    sf.simulator.create_operation({'duration': 0, 'outcome': 'failed', 'result_type': 'BulkVolume'})
    element = connect(sf)
    element.clone_volume(volume_id=1, name='c')
    listed = element.list_async_results().async_handles
    assert [(h.completed, h.success, h.result_type) for h in listed] == [
        (True, False, 'BulkVolume'), (False, False, 'Clone')]
    assert listed[0].data['error']['name'] == 'xBulkVolumeScriptFailure'


def test_failed_operation_error_reaches_the_sdk(sf):
    handle = sf.simulator.create_operation({'duration': 0, 'outcome': 'failed', 'result_type': 'BulkVolume'})['id']
    done = connect(sf).get_async_result(handle)
    assert done['error']['name'] == 'xBulkVolumeScriptFailure'


def test_list_async_results_switched_off_is_unknown_method_to_the_sdk(sf):
    sf.simulator.configure({'list_async_results': False})
    with pytest.raises(ApiServerError) as caught:
        connect(sf).list_async_results()
    assert caught.value.error_name == 'xUnknownAPIMethod'
