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
