# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the SDK fidelity tests: in-process simulators, as in tests/unit."""

import pytest


@pytest.fixture(scope='session')
def start_simulator(tmp_path_factory):
    from asyncops_simulators import kit
    started = []

    def start(simulator):
        server, ca_path = kit.start_in_thread(simulator, str(tmp_path_factory.mktemp(simulator.name)))
        started.append(server)
        server.ca_path = ca_path
        return server
    yield start
    for server in started:
        server.shutdown()
        server.server_close()
