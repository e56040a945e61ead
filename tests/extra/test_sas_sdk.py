# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Alibaba's own SDK (alibabacloud_tea_openapi) against our signer and our Security Center simulator.

(a) the same inputs give the same V1 and V3 signatures from both signers;
(b) the official client, pointed at the simulator, gets valid answers, so the simulator's verifier
    and error envelope are what Alibaba's code expects, not only what our client expects.
"""

import hashlib
import json

import pytest
from alibabacloud_tea_openapi import exceptions as sdk_exceptions
from alibabacloud_tea_openapi import utils_models as sdk_models
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils import Utils as SdkUtils
from darabonba.request import DaraRequest
from darabonba.runtime import RuntimeOptions

from ansible_collections.asyncops.jobs.plugins.module_utils import alibaba_signature as ours

TARGET_INFO = json.dumps([{'type': 'uuid', 'name': 'web 01*', 'target': '503201a7-14c6-4280-801b-1169ed42a1b2'},
                          {'type': 'groupId', 'name': u'\u6570\u636e\u5e93~', 'target': '8834224'}])
QUERIES = [
    {},
    {'TaskId': '282832'},
    {'TargetInfo': TARGET_INFO},
    {'RegionId': 'cn-shanghai', 'ImageId': 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', 'Name': 'a b+c/d'},
]


@pytest.mark.parametrize('query', QUERIES)
@pytest.mark.parametrize('token', [None, 'CAIS-sts-token/with+odd=chars'])
@pytest.mark.parametrize('method', ['POST', 'GET'])
def test_v1_signature_matches_the_sdk(query, token, method):
    signed = ours.v1_signed_params(method, 'StartVirusScanTask', '2018-12-03', query, 'LTAI5tKey', 'secret/with+odd=',
                                   security_token=token, nonce='6a5c7f0e-1b2d', timestamp='2024-05-01T10:20:30Z')
    unsigned = dict((k, v) for k, v in signed.items() if k != 'Signature')
    assert signed['Signature'] == SdkUtils.get_rpcsignature(unsigned, method, 'secret/with+odd=')


@pytest.mark.parametrize('query', QUERIES)
@pytest.mark.parametrize('token', [None, 'CAIS-sts-token/with+odd=chars'])
@pytest.mark.parametrize('body', [b'', b'TargetInfo=%5B%5D'])
def test_v3_signature_matches_the_sdk(query, token, body):
    headers = ours.v3_signed_headers('POST', 'tds.cn-shanghai.aliyuncs.com', 'StartVirusScanTask', '2018-12-03',
                                     query, body, 'LTAI5tKey', 'secret/with+odd=', security_token=token,
                                     nonce='d410180a5abf7fe235dd9b74aca91fc0', date='2024-05-01T10:20:30Z')
    request = DaraRequest()
    request.method = 'POST'
    request.pathname = '/'
    request.query = dict(query)
    request.headers = dict((k, v) for k, v in headers.items() if k != 'Authorization')
    expected = SdkUtils.get_authorization(request, 'ACS3-HMAC-SHA256', hashlib.sha256(body).hexdigest(),
                                          'LTAI5tKey', 'secret/with+odd=')
    assert headers['Authorization'] == expected


# --------------------------------------------------------------------------- (b) the SDK against the simulator

@pytest.fixture(scope='module')
def sas(start_simulator):
    from asyncops_simulators.sas import SasSimulator
    return start_simulator(SasSimulator())


def sdk_client(server, algorithm=None, access_key_id=None, access_key_secret=None, security_token=None):
    from asyncops_simulators import sas as simulated
    config = sdk_models.Config(
        access_key_id=access_key_id or simulated.DEFAULT_ACCESS_KEY_ID,
        access_key_secret=access_key_secret or simulated.DEFAULT_ACCESS_KEY_SECRET,
        security_token=security_token,
        endpoint='127.0.0.1:%d' % server.port, protocol='https', ca=server.ca_path,
        # 'v2' makes the SDK sign RPC calls with V1 HMAC-SHA1; unset means ACS3-HMAC-SHA256.
        signature_algorithm=algorithm)
    return OpenApiClient(config)


def call(client, server, action, query):
    # The same Params the generated alibabacloud_sas20181203 client passes for these actions.
    params = sdk_models.Params(action=action, version='2018-12-03', protocol='HTTPS', pathname='/', method='POST',
                               auth_type='AK', style='RPC', req_body_type='formData', body_type='json')
    runtime = RuntimeOptions(ca=server.ca_path, autoretry=False)
    return client.call_api(params, sdk_models.OpenApiRequest(query=query), runtime)['body']


@pytest.mark.parametrize('algorithm, counter', [(None, 'signature_v3'), ('v2', 'signature_v1')])
def test_official_client_starts_and_reads_a_scan(sas, algorithm, counter):
    before = sas.simulator.counters.snapshot().get(counter, 0)
    client = sdk_client(sas, algorithm)
    started = call(client, sas, 'StartVirusScanTask', {'TargetInfo': TARGET_INFO})
    assert isinstance(started['ScanTaskId'], int) and started['RequestId']
    progress = call(client, sas, 'DescribeScanTaskProgress', {'TaskId': str(started['ScanTaskId'])})
    assert progress['ScanTaskProgress'] in ('init', 'Processing')
    assert json.loads(progress['TargetInfo']) == json.loads(TARGET_INFO)
    assert sas.simulator.counters.snapshot()[counter] == before + 2


@pytest.mark.parametrize('algorithm', [None, 'v2'])
def test_official_client_with_sts_token(sas, algorithm):
    from asyncops_simulators import sas as simulated
    client = sdk_client(sas, algorithm, simulated.STS_ACCESS_KEY_ID, simulated.STS_ACCESS_KEY_SECRET,
                        simulated.STS_SECURITY_TOKEN)
    assert call(client, sas, 'StartVirusScanTask', {'TargetInfo': TARGET_INFO})['ScanTaskId']


@pytest.mark.parametrize('algorithm', [None, 'v2'])
def test_official_client_reads_the_simulators_error_envelope(sas, algorithm):
    client = sdk_client(sas, algorithm, access_key_secret='not-the-secret')
    with pytest.raises(sdk_exceptions.ClientException) as caught:
        call(client, sas, 'DescribeScanTaskProgress', {'TaskId': '1'})
    assert caught.value.code == 'SignatureDoesNotMatch'
    assert caught.value.data['Recommend']
