# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one argument-spec builder: connection options per vendor + wait options.

The environment variable names here are a public contract: the AWX credential types in
``extensions/`` inject exactly these, and a test fails if the two drift apart.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible.module_utils.basic import AnsibleFallbackNotFound


def non_empty_env_fallback(*names):
    """``env_fallback``, except that an empty variable counts as unset.

    AWX/Controller credential types inject every variable they list, as ``''`` for an input
    left blank; an empty ``KSC_PORT`` must mean "the default port", not "not an integer".
    """
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    raise AnsibleFallbackNotFound


def _env(*names):
    return (non_empty_env_fallback, list(names))


def _tls(prefix):
    return dict(
        validate_certs=dict(type='bool', default=True, fallback=_env(prefix + '_VALIDATE_CERTS')),
        ca_path=dict(type='path', fallback=_env(prefix + '_CA_PATH')),
        request_timeout=dict(type='float', default=30.0),
    )


def _with_tls(prefix, options):
    options.update(_tls(prefix))
    return options


CONNECTION_SPECS = {
    'ksc': _with_tls('KSC', dict(
        host=dict(type='str', fallback=_env('KSC_HOST')),
        port=dict(type='int', default=13299, fallback=_env('KSC_PORT')),
        username=dict(type='str', fallback=_env('KSC_USERNAME')),
        password=dict(type='str', no_log=True, fallback=_env('KSC_PASSWORD')),
        internal_user=dict(type='bool', default=True, fallback=_env('KSC_INTERNAL_USER')),
        domain=dict(type='str', fallback=_env('KSC_DOMAIN')),
        vserver=dict(type='str', fallback=_env('KSC_VSERVER')),
        session_id=dict(type='str', no_log=True, fallback=_env('KSC_SESSION_ID')),
    )),
    'sbc': _with_tls('SBC', dict(
        host=dict(type='str', fallback=_env('SBC_HOST')),
        port=dict(type='int', default=443, fallback=_env('SBC_PORT')),
        username=dict(type='str', fallback=_env('SBC_USERNAME')),
        password=dict(type='str', no_log=True, fallback=_env('SBC_PASSWORD')),
        api_version=dict(type='str', default='v1.2', fallback=_env('SBC_API_VERSION')),
        token_lifetime=dict(type='int', default=600, no_log=False, fallback=_env('SBC_TOKEN_LIFETIME')),
    )),
    'solidfire': _with_tls('SOLIDFIRE', dict(
        hostname=dict(type='str', fallback=_env('SOLIDFIRE_HOSTNAME')),
        port=dict(type='int', default=443, fallback=_env('SOLIDFIRE_PORT')),
        username=dict(type='str', fallback=_env('SOLIDFIRE_USERNAME')),
        password=dict(type='str', no_log=True, fallback=_env('SOLIDFIRE_PASSWORD')),
        api_version=dict(type='str', default='12.3', fallback=_env('SOLIDFIRE_API_VERSION')),
    )),
    'sas': _with_tls('ALICLOUD', dict(
        access_key_id=dict(type='str', no_log=False, fallback=_env(
            'ALICLOUD_ACCESS_KEY', 'ALICLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_ID')),
        access_key_secret=dict(type='str', no_log=True, fallback=_env(
            'ALICLOUD_SECRET_KEY', 'ALICLOUD_SECRET_ACCESS_KEY', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET')),
        security_token=dict(type='str', no_log=True, fallback=_env(
            'ALICLOUD_SECURITY_TOKEN', 'ALIBABA_CLOUD_SECURITY_TOKEN')),
        region=dict(type='str', fallback=_env('ALICLOUD_REGION', 'ALICLOUD_REGION_ID', 'ALIBABA_CLOUD_REGION_ID')),
        endpoint=dict(type='str', fallback=_env('ALICLOUD_SAS_ENDPOINT')),
        signature_version=dict(type='str', default='v3', choices=['v3', 'v1'], fallback=_env('ALICLOUD_SIGNATURE_VERSION')),
    )),
    'integration_server': _with_tls('KIS', dict(
        host=dict(type='str', fallback=_env('KIS_HOST')),
        port=dict(type='int', default=7271, fallback=_env('KIS_PORT')),
        username=dict(type='str', fallback=_env('KIS_USERNAME')),
        password=dict(type='str', no_log=True, fallback=_env('KIS_PASSWORD')),
    )),
}

# Required once every source (task, module_defaults, environment) has been consulted; checked
# by missing_connection_options() so the message can name the environment variable too.
REQUIRED_CONNECTION_OPTIONS = {
    'ksc': ('host',),
    'sbc': ('host', 'username', 'password'),
    'solidfire': ('hostname', 'username', 'password'),
    'sas': ('access_key_id', 'access_key_secret'),
    'integration_server': ('host', 'username', 'password'),
}

WAIT_SPEC = dict(
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=600),
    poll_interval=dict(type='float', default=2.0),
    max_poll_interval=dict(type='float', default=30.0),
    retries=dict(type='int', default=5),
    progress_interval=dict(type='float', default=30.0),
    max_requests_per_second=dict(type='float'),
)


def build_argument_spec(vendor, options=None, wait=True):
    """Connection options of ``vendor`` + (optionally) the wait options + the module's own."""
    spec = copy.deepcopy(CONNECTION_SPECS[vendor])
    if wait:
        spec.update(copy.deepcopy(WAIT_SPEC))
    for name, option in (options or {}).items():
        if name in spec:
            raise ValueError('%s redefines shared option %s' % (vendor, name))
        spec[name] = option
    return spec


def environment_variables(vendor, option):
    """The environment variables an option falls back to, in the order they are consulted."""
    fallback = CONNECTION_SPECS[vendor][option].get('fallback')
    return list(fallback[1]) if fallback else []


def missing_connection_options(vendor, params):
    """Required connection options that no source supplied, as ``option (or ENV_VAR)`` strings."""
    missing = []
    for option in REQUIRED_CONNECTION_OPTIONS[vendor]:
        if params.get(option) in (None, ''):
            names = environment_variables(vendor, option)
            missing.append('%s (or %s)' % (option, ' / '.join(names)) if names else option)
    return missing
