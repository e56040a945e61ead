# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Alibaba's published known-answer vectors for both signature versions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.asyncops.jobs.plugins.module_utils import alibaba_signature as sig

V1_VECTOR_PARAMS = dict(
    Action='DescribeRegions', Format='XML', Version='2014-05-26', AccessKeyId='testid',
    SignatureMethod='HMAC-SHA1', SignatureVersion='1.0',
    SignatureNonce='3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf', Timestamp='2016-02-23T12:46:24Z',
)


def test_v1_known_answer():
    assert sig.v1_signature('GET', V1_VECTOR_PARAMS, 'testsecret') == 'OLeaidS1JvxuMvnyHOwuJ+uX5qY='


def test_v1_signed_params_reproduce_the_known_answer():
    signed = sig.v1_signed_params('GET', 'DescribeRegions', '2014-05-26', {}, 'testid', 'testsecret',
                                  nonce=V1_VECTOR_PARAMS['SignatureNonce'], timestamp='2016-02-23T12:46:24Z',
                                  response_format='XML')
    assert signed['Signature'] == 'OLeaidS1JvxuMvnyHOwuJ+uX5qY='
    assert 'SecurityToken' not in signed


def test_v1_security_token_is_signed():
    plain = sig.v1_signed_params('POST', 'A', '1', {}, 'id', 'secret', nonce='n', timestamp='t')
    with_token = sig.v1_signed_params('POST', 'A', '1', {}, 'id', 'secret', security_token='tok', nonce='n', timestamp='t')
    assert with_token['SecurityToken'] == 'tok'
    assert with_token['Signature'] != plain['Signature']


def test_v3_known_answer():
    headers = {
        'host': 'ecs.cn-shanghai.aliyuncs.com',
        'x-acs-action': 'RunInstances',
        'x-acs-version': '2014-05-26',
        'x-acs-date': '2023-10-26T09:01:01Z',
        'x-acs-signature-nonce': 'd410180a5abf7fe235dd9b74aca91fc0',
        'x-acs-content-sha256': sig.EMPTY_PAYLOAD_SHA256,
    }
    query = {'ImageId': 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', 'RegionId': 'cn-shanghai'}
    signed_names, signature = sig.v3_signature('POST', '/', query, headers, sig.EMPTY_PAYLOAD_SHA256, 'YourAccessKeySecret')
    assert signature == 'e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804'
    assert signed_names == 'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version'


def test_v3_signed_headers_reproduce_the_known_answer():
    headers = sig.v3_signed_headers(
        'POST', 'ecs.cn-shanghai.aliyuncs.com', 'RunInstances', '2014-05-26',
        {'ImageId': 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', 'RegionId': 'cn-shanghai'}, b'',
        'YourAccessKeyId', 'YourAccessKeySecret', nonce='d410180a5abf7fe235dd9b74aca91fc0', date='2023-10-26T09:01:01Z')
    assert headers['Authorization'] == (
        'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,'
        'SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,'
        'Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804')
    assert 'YourAccessKeySecret' not in repr(headers)


def test_v3_security_token_header_is_signed():
    headers = sig.v3_signed_headers('POST', 'h', 'A', '1', {}, b'{}', 'id', 'secret', security_token='tok',
                                    nonce='n', date='2024-01-01T00:00:00Z')
    assert headers['x-acs-security-token'] == 'tok'
    assert 'x-acs-security-token' in headers['Authorization'].split('SignedHeaders=')[1].split(',')[0].split(';')
    assert headers['x-acs-content-sha256'] == hashlib.sha256(b'{}').hexdigest()


def test_percent_encoding_is_rfc3986():
    assert sig.percent_encode('a b*~-_.') == 'a%20b%2A~-_.'
    assert sig.percent_encode(u'\u4e2d') == '%E4%B8%AD'
    assert sig.percent_encode('[{"a":1}]') == '%5B%7B%22a%22%3A1%7D%5D'
    assert sig.canonical_query({'b': 'x y', 'a': None, 'A': '1'}) == 'A=1&a=&b=x%20y'


def test_timestamp_is_utc_and_nonces_are_fresh():
    assert sig.utc_timestamp(0) == '1970-01-01T00:00:00Z'
    assert sig.new_nonce() != sig.new_nonce()
