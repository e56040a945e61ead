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
      - Host name or address of the Kaspersky Security Center Administration Server.
      - Required, from the task, a module_defaults group or the environment.
      - If not set, the value of the E(KSC_HOST) environment variable is used.
    type: str
  port:
    description:
      - TCP port of the KSC Open API.
      - If not set, the value of the E(KSC_PORT) environment variable is used.
    type: int
    default: 13299
  username:
    description:
      - KSC user name.
      - Required unless O(session_id) is given.
      - If not set, the value of the E(KSC_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(KSC_PASSWORD) environment variable is used.
    type: str
  internal_user:
    description:
      - V(true) for a KSC internal user, V(false) for a domain (Windows) account.
      - If not set, the value of the E(KSC_INTERNAL_USER) environment variable is used.
    type: bool
    default: true
  domain:
    description:
      - Domain of a domain account (with O(internal_user=false)).
      - If not set, the value of the E(KSC_DOMAIN) environment variable is used.
    type: str
  vserver:
    description:
      - Name of the KSC virtual server to work in; empty or unset for the main server.
      - If not set, the value of the E(KSC_VSERVER) environment variable is used.
    type: str
  session_id:
    description:
      - A session token from M(asyncops.jobs.ksc_session), sent as C(X-KSC-Session) instead of credentials.
      - An action started in a session can only be checked from the same session.
      - If not set, the value of the E(KSC_SESSION_ID) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of the Administration Server.
      - Set to V(false) only for a lab system; prefer O(ca_path).
      - If not set, the value of the E(KSC_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the Administration Server's certificate, used instead of the system trust store.
      - It is passed on every request, so E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) cannot override it.
      - If not set, the value of the E(KSC_CA_PATH) environment variable is used.
    type: path
  request_timeout:
    description:
      - Timeout in seconds of each HTTP request.
    type: float
    default: 30.0
attributes:
  action_group:
    membership:
      - asyncops.jobs.ksc
      - asyncops.jobs.all
"""
