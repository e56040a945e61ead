# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local HTTPS simulators of the vendor APIs that asyncops.jobs talks to.

``kit`` is the framework (TLS, keep-alive HTTP/1.1, control API, faults, counters); each vendor
module subclasses :class:`kit.Simulator`. Start them with the ``asyncops.jobs.simulators`` role
or ``python -m asyncops_simulators serve --vendors ksc,sbc``.
"""

# Vendor name -> "module:Class". Imported lazily so one broken simulator cannot stop the others.
VENDORS = {
    'ksc': 'asyncops_simulators.ksc:KscSimulator',
    'sbc': 'asyncops_simulators.sbc:SbcSimulator',
    'solidfire': 'asyncops_simulators.solidfire:SolidFireSimulator',
    'sas': 'asyncops_simulators.sas:SasSimulator',
    'integration_server': 'asyncops_simulators.integration_server:IntegrationServerSimulator',
    'echo': 'asyncops_simulators.kit:EchoSimulator',
}


def registered():
    """VENDORS plus test doubles registered from outside the package (they do not ship with it):
    ``ASYNCOPS_SIMULATORS_EXTRA="awx=awx_api:AwxSimulator"``, the module found on ``PYTHONPATH``."""
    import os
    vendors = dict(VENDORS)
    for item in filter(None, os.environ.get('ASYNCOPS_SIMULATORS_EXTRA', '').split(',')):
        name, dummy, target = item.partition('=')
        vendors[name.strip()] = target.strip()
    return vendors


def load(vendor):
    import importlib
    vendors = registered()
    try:
        module_name, class_name = vendors[vendor].split(':')
    except KeyError:
        raise ValueError('unknown simulator %r; known: %s' % (vendor, ', '.join(sorted(vendors))))
    return getattr(importlib.import_module(module_name), class_name)
