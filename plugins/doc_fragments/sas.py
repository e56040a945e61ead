# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  access_key_id:
    description:
      - Alibaba Cloud AccessKey ID.
      - If not set, the first environment variable that is set among
        E(ALICLOUD_ACCESS_KEY), E(ALICLOUD_ACCESS_KEY_ID), E(ALIBABA_CLOUD_ACCESS_KEY_ID) is used.
    type: str
  access_key_secret:
    description:
      - Alibaba Cloud AccessKey secret. It signs requests and is never sent or printed.
      - If not set, the first environment variable that is set among
        E(ALICLOUD_SECRET_KEY), E(ALICLOUD_SECRET_ACCESS_KEY), E(ALIBABA_CLOUD_ACCESS_KEY_SECRET) is used.
    type: str
  security_token:
    description:
      - STS security token, for temporary credentials.
      - If not set, the first environment variable that is set among
        E(ALICLOUD_SECURITY_TOKEN), E(ALIBABA_CLOUD_SECURITY_TOKEN) is used.
    type: str
  region:
    description:
      - Region of the servers, for example V(cn-hangzhou) or V(ap-southeast-1).
      - Mainland China regions use C(tds.cn-shanghai.aliyuncs.com), all others C(tds.ap-southeast-1.aliyuncs.com).
      - If not set, the first environment variable that is set among
        E(ALICLOUD_REGION), E(ALICLOUD_REGION_ID), E(ALIBABA_CLOUD_REGION_ID) is used.
    type: str
  endpoint:
    description:
      - Security Center endpoint host (or C(host:port)), overriding the one chosen from O(region).
      - If not set, the value of the E(ALICLOUD_SAS_ENDPOINT) environment variable is used.
    type: str
  signature_version:
    description:
      - Request signature. V(v3) is C(ACS3-HMAC-SHA256), V(v1) is the older RPC C(HMAC-SHA1).
      - If not set, the value of the E(ALICLOUD_SIGNATURE_VERSION) environment variable is used.
    type: str
    default: v3
    choices: [v3, v1]
  validate_certs:
    description:
      - Verify the TLS certificate of the endpoint.
      - Set to V(false) only for a lab system; prefer O(ca_path).
      - If not set, the value of the E(ALICLOUD_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the endpoint's certificate, used instead of the system trust store.
      - It is passed on every request, so E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) cannot override it.
      - If not set, the value of the E(ALICLOUD_CA_PATH) environment variable is used.
    type: path
  request_timeout:
    description:
      - Timeout in seconds of each HTTP request.
    type: float
    default: 30.0
attributes:
  action_group:
    membership:
      - asyncops.jobs.sas
      - asyncops.jobs.all
"""
