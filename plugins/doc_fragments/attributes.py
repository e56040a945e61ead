# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What every asyncops.jobs module shares; each module documents its own check_mode details, and
    # each vendor fragment names its action group.
    DOCUMENTATION = r"""
options: {}
attributes:
  action:
    support: none
  async:
    support: full
  bypass_host_loop:
    support: none
  platform:
    platforms: posix
  diff_mode:
    support: none
  action_group:
    support: full
"""
