# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.asyncops.jobs.plugins.module_utils.argspec import (
    CONNECTION_SPECS,
    WAIT_SPEC,
    build_argument_spec,
    environment_variables,
    missing_connection_options,
)


def validate(spec, params):
    result = ArgumentSpecValidator(spec).validate(params)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


@pytest.mark.parametrize('vendor', sorted(CONNECTION_SPECS))
def test_every_connection_option_has_an_environment_fallback(vendor):
    for name, option in CONNECTION_SPECS[vendor].items():
        if name == 'request_timeout':
            continue
        assert environment_variables(vendor, name), '%s.%s has no environment fallback' % (vendor, name)


@pytest.mark.parametrize('vendor', sorted(CONNECTION_SPECS))
def test_secrets_are_no_log(vendor):
    for name, option in CONNECTION_SPECS[vendor].items():
        if any(word in name for word in ('password', 'secret', 'token', 'session')) and name != 'token_lifetime':
            assert option.get('no_log') is True, '%s.%s must be no_log' % (vendor, name)


def test_environment_fills_what_the_task_left_out(monkeypatch):
    monkeypatch.setenv('KSC_HOST', 'ksc.example.com')
    monkeypatch.setenv('KSC_PORT', '14000')
    params = validate(build_argument_spec('ksc'), {})
    assert params['host'] == 'ksc.example.com'
    assert params['port'] == 14000
    assert params['wait_timeout'] == WAIT_SPEC['wait_timeout']['default']


def test_task_value_wins_over_environment(monkeypatch):
    monkeypatch.setenv('SBC_HOST', 'from-env')
    assert validate(build_argument_spec('sbc'), {'host': 'from-task'})['host'] == 'from-task'


def test_alibaba_reads_both_families_of_variable_names(monkeypatch):
    monkeypatch.setenv('ALIBABA_CLOUD_ACCESS_KEY_ID', 'new-style-id')
    monkeypatch.setenv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'new-style-secret')
    params = validate(build_argument_spec('sas'), {})
    assert params['access_key_id'] == 'new-style-id'
    monkeypatch.setenv('ALICLOUD_ACCESS_KEY', 'old-style-id')
    assert validate(build_argument_spec('sas'), {})['access_key_id'] == 'old-style-id'


def test_missing_connection_options_name_the_environment_variables():
    missing = missing_connection_options('solidfire', {'hostname': 'sf', 'username': None, 'password': ''})
    assert missing == ['username (or SOLIDFIRE_USERNAME)', 'password (or SOLIDFIRE_PASSWORD)']


def test_module_options_cannot_shadow_shared_ones():
    with pytest.raises(ValueError):
        build_argument_spec('ksc', {'wait': dict(type='bool')})


def test_info_modules_get_no_wait_options():
    spec = build_argument_spec('integration_server', wait=False)
    assert 'wait_timeout' not in spec
    assert 'request_timeout' in spec
