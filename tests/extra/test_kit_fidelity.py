# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kit itself seen by a plain HTTP client: the CA verifies and keep-alive holds."""

import requests


def test_echo_simulator_over_verified_tls(start_simulator):
    from asyncops_simulators.kit import EchoSimulator
    server = start_simulator(EchoSimulator())
    with requests.Session() as session:
        first = session.get(server.base_url + '/echo', verify=server.ca_path).json()
        second = session.get(server.base_url + '/echo', verify=server.ca_path).json()
    assert second['connection_requests'] == first['connection_requests'] + 1
