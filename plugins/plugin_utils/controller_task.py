# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller way of running an operation: the Task interface on an action plugin.

Each ``plugins/action/<module>.py`` is ``class ActionModule(OperationAction): OPERATION = ...``.
The action plugin decides where the work runs (README.md, "Where a task runs, and live progress"):

- on the controller, in the worker process, when the task would run on the control node anyway
  (a local connection without ``become`` or ``async``) and the controller's Python has the
  libraries; the arguments are validated as ``AnsibleModule`` would validate them, with the
  environment the module would have had, and live progress goes through Ansible's display;
- as the ordinary module otherwise, or when ``asyncops_jobs_run_on`` / ``ASYNCOPS_JOBS_RUN_ON``
  says ``target``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.asyncops.jobs.plugins.module_utils import http_client
from ansible_collections.asyncops.jobs.plugins.module_utils.task import (
    INVALID_OPTIONS,
    Task,
    perform,
    validation_message,
)

CONTROLLER = 'controller'
TARGET = 'target'
RUN_ON_VARIABLE = 'asyncops_jobs_run_on'
RUN_ON_ENVIRONMENT = 'ASYNCOPS_JOBS_RUN_ON'
RUN_ON_CHOICES = ('auto', CONTROLLER, TARGET)

display = Display()


@contextlib.contextmanager
def environment(overlay):
    """``os.environ`` plus the task's ``environment:`` keyword, for as long as the operation runs.

    A module would have been started with that environment: credential fallbacks and proxy
    variables must see it here too. The worker process runs one task for one host, but the
    environment is put back anyway so nothing leaks into the next plugin it calls.
    """
    saved = dict(os.environ)
    os.environ.update(dict((str(k), str(v)) for k, v in overlay.items()))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class ControllerTask(Task):
    ran_on = CONTROLLER

    def __init__(self, spec, params, check_mode, host):
        super(ControllerTask, self).__init__(spec, params, check_mode=check_mode)
        self.host = host

    def can_show_progress(self):
        return True

    def show_progress(self, line):
        # display() from a forked worker reaches ansible-playbook's output at once, and
        # ansible-runner (AWX) records it as a "verbose" job event.
        display.display(line)


def validate_like_a_module(spec, args, module_name):
    """``(params, no_log_values, error_msg)``: what ``AnsibleModule`` would make of ``args``.

    The same argument spec, the same combination rules, the same environment fallbacks and the
    same message for a bad option, so both ways fail alike.
    """
    validator = ArgumentSpecValidator(spec.argument_spec(), **spec.validator_kwargs())
    validation = validator.validate(dict(args))
    no_log_values = set(validation._no_log_values)  # pylint: disable=protected-access
    no_log_values.update(spec.early_secrets(args))
    error = None
    if validation.error_messages:
        error = validation_message(validation.errors)
        if isinstance(validation.errors[0], UnsupportedError):
            error = 'Unsupported parameters for (%s) module: %s' % (module_name, error)
    return validation.validated_parameters, no_log_values, error


class OperationAction(ActionBase):
    """Runs ``OPERATION`` (an ``operations.<module>`` file) on the controller, or hands over to the module."""

    OPERATION = None
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(OperationAction, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        spec = self.OPERATION.SPEC
        task_environment = {}
        self._compute_environment_string(task_environment)
        where, problem = self._where_to_run(spec, task_vars, task_environment)
        if problem:
            result.update(self._failure(spec, problem))
            return result
        if where == TARGET:
            return self._run_module(spec, result, task_vars)
        with environment(task_environment):
            result.update(self._run_here(spec, task_vars))
        return result

    # --- where -------------------------------------------------------------------------------
    def _where_to_run(self, spec, task_vars, task_environment):
        """``(where, problem)``: ``controller`` or ``target``, or a sentence why the choice cannot be met."""
        asked = task_vars.get(RUN_ON_VARIABLE)
        if asked is not None:
            asked = self._templar.template(asked)
            source = 'the variable %s' % RUN_ON_VARIABLE
        else:
            asked = task_environment.get(RUN_ON_ENVIRONMENT) or os.environ.get(RUN_ON_ENVIRONMENT)
            source = 'the environment variable %s' % RUN_ON_ENVIRONMENT
        asked = str(asked or 'auto').strip().lower()
        if asked not in RUN_ON_CHOICES:
            return None, '%s must be one of %s, not %r.' % (source, ', '.join(RUN_ON_CHOICES), asked)
        if asked == TARGET:
            return TARGET, None
        obstacle = self._controller_obstacle(spec)
        if obstacle is None:
            return CONTROLLER, None
        if asked == CONTROLLER:
            return None, ('%s asks to run %s on the controller, but %s.' % (source, spec.fqcn, obstacle))
        return TARGET, None

    def _controller_obstacle(self, spec):
        """Why this task cannot run in the controller's worker process, or None."""
        if getattr(self._connection, 'transport', None) not in ('local', 'ansible.builtin.local'):
            return 'the task runs through the %s connection, not on the control node' % self._connection.transport
        if self._task.async_val:
            return 'the task uses the async keyword, which only a module on the target can do'
        if self._play_context.become:
            return 'the task uses become, so the module must run as another user'
        if not http_client.HAS_REQUESTS:
            return "the controller's Python cannot import requests"
        if spec.needs_xml and not http_client.HAS_XMLTODICT:
            return "the controller's Python cannot import xmltodict"
        return None

    # --- target ------------------------------------------------------------------------------
    def _run_module(self, spec, result, task_vars):
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_name=spec.fqcn, module_args=self._task.args,
                                                         task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)  # pylint: disable=protected-access
        return result

    # --- controller --------------------------------------------------------------------------
    def _run_here(self, spec, task_vars):
        check_mode = bool(self._play_context.check_mode)
        params, no_log_values, error = validate_like_a_module(spec, self._task.args, self._task.action)
        if error:
            return self._failure(spec, error, no_log_values, params)
        host = task_vars.get('inventory_hostname')
        result, failed = perform(spec, self.OPERATION.run, params, check_mode,
                                 lambda: ControllerTask(spec, params, check_mode, host), CONTROLLER)
        result['invocation'] = dict(module_args=params)
        if failed:
            result['failed'] = True
        return remove_values(result, no_log_values)

    def _failure(self, spec, msg, no_log_values=(), params=None):
        failure = dict(failed=True, changed=False, msg=msg, reason=INVALID_OPTIONS, ran_on=CONTROLLER)
        if spec.wait:
            failure['timed_out'] = False
        if params is not None:
            failure['invocation'] = dict(module_args=params)
        return remove_values(failure, set(no_log_values))
