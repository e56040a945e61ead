# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every module does the same way: build its spec, check prerequisites, report.

Modules stay thin: they describe their options, pick a client, call the wait loop and hand
the outcome to :func:`wait_result`. Errors become ``fail_json`` here and nowhere else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.asyncops.jobs.plugins.module_utils.argspec import (
    build_argument_spec,
    missing_connection_options,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.errors import AsyncOpsError
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import (
    HAS_REQUESTS,
    HAS_XMLTODICT,
    REQUESTS_IMPORT_ERROR,
    XMLTODICT_IMPORT_ERROR,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    TransientBudgetExhausted,
    WaitPolicy,
    WaitTimeout,
)


def create_module(vendor, options=None, wait=True, needs_xml=False, **kwargs):
    """An AnsibleModule with the shared connection/wait options, check mode on by default.

    ``needs_xml``: the vendor speaks XML, so xmltodict must be importable too.
    """
    kwargs.setdefault('supports_check_mode', True)
    module = AnsibleModule(argument_spec=build_argument_spec(vendor, options, wait=wait), **kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    if needs_xml and not HAS_XMLTODICT:
        module.fail_json(msg=missing_required_lib('xmltodict'), exception=XMLTODICT_IMPORT_ERROR)
    missing = missing_connection_options(vendor, module.params)
    if missing:
        module.fail_json(msg='Missing required connection options: %s.' % ', '.join(missing), missing=missing)
    return module


def wait_policy(module):
    try:
        return WaitPolicy.from_params(module.params)
    except ValueError as err:
        module.fail_json(msg=str(err))


def observation_result(observation):
    """``status``/``vendor_status``/``progress`` of one observation."""
    result = dict(status=observation.status, vendor_status=observation.vendor_status)
    if observation.progress is not None:
        result['progress'] = observation.progress
    return result


def wait_result(outcome):
    """The shared result keys for a finished wait."""
    result = observation_result(outcome.observation)
    result.update(outcome.record.to_result())
    return result


def run(module, body):
    """Call ``body(module, context)`` and exit; any foreseeable error becomes one ``fail_json``.

    ``body`` returns the result dict; ``failed: True`` plus a ``msg`` in it fails the task while
    keeping every structured key (an operation that ended failed is not an exception).
    ``context`` is a dict ``body`` fills as it learns things (``action_guid``, ``changed``...):
    it is merged into the result of any error, so a timeout still says which operation it was.
    """
    context = {}
    try:
        result = body(module, context)
    except (WaitTimeout, TransientBudgetExhausted) as err:
        failure = dict(context)
        failure.update(err.to_result())
        failure.update(err.record.to_result())
        if err.observation is not None and err.observation.progress is not None:
            failure.setdefault('progress', err.observation.progress)
        module.fail_json(**failure)
    except AsyncOpsError as err:
        failure = dict(context)
        failure.update(err.to_result())
        module.fail_json(**failure)
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)
