# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The target way of running an operation: the Task interface on ``AnsibleModule``.

A module file is its documentation and ``main()``: ``run_module(operations.<module>)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import (
    HAS_REQUESTS,
    HAS_XMLTODICT,
    REQUESTS_IMPORT_ERROR,
    XMLTODICT_IMPORT_ERROR,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.task import (
    INVALID_OPTIONS,
    Task,
    perform,
    validation_message,
)

TARGET = 'target'


class _OperationModule(AnsibleModule):
    """``AnsibleModule`` that keeps secrets out of the failures its own validation raises.

    ansible-core fails a wrongly typed option before it has collected the ``no_log`` values, and
    its ``invocation`` (shown at ``-vvv``) then carries passwords in clear; every failure that
    ansible-core raises on its own is bad input, so it also gets ``reason: invalid_options``.
    """

    def __init__(self, spec, **kwargs):
        self._spec = spec
        super(_OperationModule, self).__init__(argument_spec=spec.argument_spec(), supports_check_mode=True,
                                               **kwargs)

    def _keep_secrets_out(self):
        # self.params holds the raw options until validation has replaced them.
        if hasattr(self, 'no_log_values'):
            self.no_log_values.update(self._spec.early_secrets(getattr(self, 'params', None) or {}))

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        self._keep_secrets_out()
        validation = getattr(self, 'validation_result', None)
        if validation is not None and validation.error_messages and msg == validation.errors.msg:
            msg = validation_message(validation.errors)
        kwargs.setdefault('reason', INVALID_OPTIONS)
        kwargs.setdefault('ran_on', TARGET)
        if self._spec.wait:
            kwargs.setdefault('timed_out', False)
        super(_OperationModule, self).fail_json(msg=msg, **kwargs)

    def exit_json(self, **kwargs):
        self._keep_secrets_out()
        super(_OperationModule, self).exit_json(**kwargs)


class ModuleTask(Task):
    ran_on = TARGET

    def __init__(self, module, spec):
        super(ModuleTask, self).__init__(spec, module.params, check_mode=module.check_mode)
        self.module = module


def run_module(operation):
    """``main()`` of every module: ``operation`` is its ``operations.<module>`` (``SPEC`` and ``run``)."""
    spec = operation.SPEC
    module = _OperationModule(spec, **spec.validator_kwargs())
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    if spec.needs_xml and not HAS_XMLTODICT:
        module.fail_json(msg=missing_required_lib('xmltodict'), exception=XMLTODICT_IMPORT_ERROR)
    result, failed = perform(spec, operation.run, module.params, module.check_mode,
                             lambda: ModuleTask(module, spec), TARGET)
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


# --- legacy helpers, removed once every module runs through run_module() -------------------------
from ansible.module_utils.basic import AnsibleModule as _LegacyModule  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.asyncops.jobs.plugins.module_utils.argspec import (  # noqa: E402  pylint: disable=wrong-import-position
    build_argument_spec,
    missing_connection_options,
)
from ansible_collections.asyncops.jobs.plugins.module_utils.errors import AsyncOpsError  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (  # noqa: E402  pylint: disable=wrong-import-position
    TransientBudgetExhausted,
    WaitPolicy,
    WaitTimeout,
)


def create_module(vendor, options=None, wait=True, needs_xml=False, **kwargs):
    """An AnsibleModule with the shared connection/wait options, check mode on by default.

    ``needs_xml``: the vendor speaks XML, so xmltodict must be importable too.
    """
    kwargs.setdefault('supports_check_mode', True)
    module = _LegacyModule(argument_spec=build_argument_spec(vendor, options, wait=wait), **kwargs)
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
