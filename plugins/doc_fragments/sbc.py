# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Host name or address of the Oracle Communications Session Border Controller.
      - If not set, the value of the E(SBC_HOST) environment variable is used.
    type: str
  port:
    description:
      - HTTPS port of the SBC REST API.
      - If not set, the value of the E(SBC_PORT) environment variable is used.
    type: int
    default: 443
  username:
    description:
      - SBC administrator user name.
      - If not set, the value of the E(SBC_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(SBC_PASSWORD) environment variable is used.
    type: str
  api_version:
    description:
      - REST API version in the URL path.
      - If the device does not offer it, the error lists the versions it does offer.
      - If not set, the value of the E(SBC_API_VERSION) environment variable is used.
    type: str
    default: v1.2
  token_lifetime:
    description:
      - How long in seconds an access token lives on the device.
      - The API never says, so the module renews its token ahead of this (keeping the configuration lock).
      - If not set, the value of the E(SBC_TOKEN_LIFETIME) environment variable is used.
    type: int
    default: 600
  validate_certs:
    description:
      - Verify the TLS certificate of the SBC.
      - Set to V(false) only for a lab system; prefer O(ca_path).
      - If not set, the value of the E(SBC_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the SBC's certificate, used instead of the system trust store.
      - It is passed on every request, so E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) cannot override it.
      - If not set, the value of the E(SBC_CA_PATH) environment variable is used.
    type: path
  request_timeout:
    description:
      - Timeout in seconds of each HTTP request.
    type: float
    default: 30.0
attributes:
  action_group:
    membership:
      - asyncops.jobs.sbc
      - asyncops.jobs.all
"""
