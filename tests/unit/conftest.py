# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: in-process HTTPS simulators from the collection's own simulator kit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIMULATORS = os.path.join(COLLECTION_ROOT, 'roles', 'simulators', 'files')
if SIMULATORS not in sys.path:
    sys.path.insert(0, SIMULATORS)


class RunningSimulator(object):
    def __init__(self, simulator, server, ca_path):
        self.simulator = simulator
        self.server = server
        self.ca_path = ca_path
        self.port = server.port
        self.host = server.host
        self.base_url = server.base_url

    def reset(self):
        self.simulator.faults = []
        self.simulator.retry_not_before = None
        self.simulator.counters.reset()
        self.simulator.reset()


@pytest.fixture(scope='session')
def start_simulator(tmp_path_factory):
    """Start any kit simulator in a background thread: ``start_simulator(SimulatorClass())``."""
    from asyncops_simulators import kit
    started = []

    def start(simulator, host='127.0.0.1'):
        # host='::1' serves on IPv6 loopback (the certificate names ::1 too).
        server, ca_path = kit.start_in_thread(simulator, str(tmp_path_factory.mktemp(simulator.name)), host=host)
        running = RunningSimulator(simulator, server, ca_path)
        started.append(server)
        return running
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope='session')
def echo_session(start_simulator):
    from asyncops_simulators.kit import EchoSimulator
    return start_simulator(EchoSimulator())


@pytest.fixture
def echo(echo_session):
    echo_session.reset()
    return echo_session


@pytest.fixture(autouse=True)
def system_ca_bundle_env(monkeypatch):
    """Hosts and execution environments often export these; ca_path must still win."""
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.setenv(name, os.environ.get('SSL_CERT_FILE', '/etc/ssl/certs/ca-certificates.crt'))
