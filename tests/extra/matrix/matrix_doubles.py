# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped KSC and SBC simulators, plus one control action the fault matrix needs.

``GET /_sim/issued`` lists every session id (KSC) or access token (SBC) the server ever handed
out, expired and renewed ones included: the module obtains them itself, so only the server can
tell the test which strings must never appear in the ``-vvv`` output. Registered with the
simulators' CLI through ``ASYNCOPS_SIMULATORS_EXTRA`` under the vendors' own names; nothing
else changes.
"""

from asyncops_simulators import kit
from asyncops_simulators.ksc import KscSimulator
from asyncops_simulators.sbc import SbcSimulator


class _Recording:
    secrets_attribute = None

    def _record(self):
        with self.lock:
            self.__dict__.setdefault('issued', set()).update(getattr(self, self.secrets_attribute))

    def handle(self, request):
        try:
            return super().handle(request)
        finally:
            self._record()

    def control(self, request):
        if request.path.rstrip('/') == kit.CONTROL_PREFIX + 'issued':
            self._record()
            with self.lock:
                return kit.json_response({'issued': sorted(self.__dict__.get('issued', ()))})
        return super().control(request)


class Ksc(_Recording, KscSimulator):
    secrets_attribute = 'sessions'


class Sbc(_Recording, SbcSimulator):
    secrets_attribute = 'tokens'
