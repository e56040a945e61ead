# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs sas_scan_task_progress on the controller (with live progress) or as the module on the target."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.operations import sas_scan_task_progress
from ansible_collections.asyncops.jobs.plugins.plugin_utils.controller_task import OperationAction


class ActionModule(OperationAction):
    OPERATION = sas_scan_task_progress
