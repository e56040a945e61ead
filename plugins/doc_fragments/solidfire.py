# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - Management virtual IP (MVIP) or host name of the SolidFire cluster.
      - If not set, the value of the E(SOLIDFIRE_HOSTNAME) environment variable is used.
    type: str
  port:
    description:
      - HTTPS port of the Element API.
      - If not set, the value of the E(SOLIDFIRE_PORT) environment variable is used.
    type: int
    default: 443
  username:
    description:
      - Cluster admin user name.
      - If not set, the value of the E(SOLIDFIRE_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(SOLIDFIRE_PASSWORD) environment variable is used.
    type: str
  api_version:
    description:
      - Element API version in the C(/json-rpc/<version>) path.
      - If not set, the value of the E(SOLIDFIRE_API_VERSION) environment variable is used.
    type: str
    default: '12.3'
  validate_certs:
    description:
      - Verify the TLS certificate of the cluster.
      - Set to V(false) only for a lab system; prefer O(ca_path).
      - If not set, the value of the E(SOLIDFIRE_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the cluster's certificate, used instead of the system trust store.
      - It is passed on every request, so E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) cannot override it.
      - If not set, the value of the E(SOLIDFIRE_CA_PATH) environment variable is used.
    type: path
  request_timeout:
    description:
      - Timeout in seconds of each HTTP request.
    type: float
    default: 30.0
attributes:
  action_group:
    membership:
      - asyncops.jobs.solidfire
      - asyncops.jobs.all
"""
