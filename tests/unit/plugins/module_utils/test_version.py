# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.asyncops.jobs.plugins.module_utils.version import COLLECTION_VERSION


def test_user_agent_version_matches_galaxy_yml():
    root = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
    with open(os.path.join(root, 'galaxy.yml')) as f:
        version = re.search(r'^version:\s*(\S+)', f.read(), re.M).group(1)
    assert COLLECTION_VERSION == version
