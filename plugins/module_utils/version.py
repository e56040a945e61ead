# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Kept equal to galaxy.yml's version by tests/unit/plugins/module_utils/test_version.py.
COLLECTION_VERSION = '0.1.0'
COLLECTION_NAME = 'asyncops.jobs'
