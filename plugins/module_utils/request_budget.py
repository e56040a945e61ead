# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One request budget per endpoint, shared by every process of the host that sends the requests.

Many forks of one playbook (or of one AWX job) poll the same appliance at the same time; each
wait loop is polite on its own, together they are not. :class:`RequestBudget` spaces the requests
of *all* of them to at most ``rate`` per second, plus a burst.

The algorithm is GCRA (virtual scheduling): a small state file per endpoint holds ``tat``, the
theoretical arrival time of the next request. Under an exclusive ``fcntl.flock`` a caller reserves
the slot ``max(now, tat - tolerance)`` and pushes ``tat`` on by ``1 / rate``; it then sleeps, with
the lock released, until its slot. Slots are handed out in the order callers took the lock, so a
caller that waits is never overtaken by one that came later, and nobody starves.

- **Burst**: ``burst = max(1, ceil(rate))`` by default, one second's worth of requests, so that a
  first round of a few waiters goes out at once. In any window of ``W`` seconds at most
  ``rate * W + burst`` slots are granted (one second: the limit plus the burst).
- **Deadline**: a caller whose slot would come after its ``deadline`` reserves nothing and gets
  :class:`BudgetDeadlineExceeded`; the wait loop reports it as the task's timeout. A slot that is
  free now is always granted, even past the deadline: the budget only ever delays a request, and
  the deadline itself is the wait loop's to enforce.
- **Clock**: ``time.monotonic()``. On Linux (``CLOCK_MONOTONIC``) and macOS it is one clock for
  every process since boot, and it is the wait loop's deadline clock. The state file records the
  clock reading of its last writer and the boot (Linux ``boot_id``): a reader whose clock is
  behind that reading, or in another boot, is not on the writer's clock (a reboot, a test's
  virtual clock) and resets the state, as it does an empty or corrupt file. A reset costs at
  most one extra burst; a foreign ``tat`` could stall every waiter.
- **Where**: ``tempfile.gettempdir()/asyncops-jobs-budget-<uid>/`` (mode 0700), one file per
  endpoint named by a hash of its key, so no host name or access key id appears in a file name.
  A task that runs on the controller shares the budget with every task of the controller; a task
  that runs on a target shares it with the tasks running on that target.
- **Without fcntl** (a non-POSIX target) or without a usable directory, the budget is shared by
  the threads of this process only; :attr:`RequestBudget.shared` is then False and
  :attr:`RequestBudget.note` says why.

A process killed while it holds the lock does not block the others: the kernel drops a
``flock`` with the last descriptor of the process. A process killed after reserving its slot
only leaves that slot unused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import json
import math
import os
import stat
import tempfile
import threading
import time
from urllib.parse import urlsplit

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - Windows; the budget is per process there
    fcntl = None
    HAS_FCNTL = False

# BudgetDeadlineExceeded lives with the other errors, so that task.py can catch it without
# importing this file on every run of a module; importing it from here still works.
from ansible_collections.asyncops.jobs.plugins.module_utils.errors import BudgetDeadlineExceeded, TerminalError

DIRECTORY_PREFIX = 'asyncops-jobs-budget-'
_DEFAULT_PORTS = {'http': 80, 'https': 443}
_BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id'
_STATE_VERSION = 1

# The fallback state of budgets that cannot share a file: {key: tat}, one lock for all of them.
_LOCAL_STATE = {}
_LOCAL_LOCK = threading.Lock()


def endpoint_key(url, scope=None):
    """The budget key of ``url``: scheme, host and port (default port filled in), plus ``scope``.

    ``scope`` separates budgets the server counts separately on one endpoint (Alibaba counts per
    access key id). The key is only ever hashed into a file name, never written out.
    """
    parts = urlsplit(url)
    scheme = (parts.scheme or 'https').lower()
    host = (parts.hostname or '').lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = _DEFAULT_PORTS.get(scheme, 0)
    if ':' in host:
        host = '[%s]' % host
    key = '%s://%s:%d' % (scheme, host, port)
    if scope:
        key += '#%s' % scope
    return key


def default_burst(rate):
    """One second's worth of requests, at least one."""
    return max(1, int(math.ceil(rate)))


def default_directory():
    return os.path.join(tempfile.gettempdir(), '%s%s' % (DIRECTORY_PREFIX, _uid()))


def _uid():
    getuid = getattr(os, 'getuid', None)
    return getuid() if getuid is not None else 'user'


_BOOT_ID = []


def _read_boot_id():
    """Linux's id of this boot (read once per process), or None."""
    if not _BOOT_ID:
        try:
            with open(_BOOT_ID_PATH) as f:
                _BOOT_ID.append(f.read().strip() or None)
        except (IOError, OSError):
            _BOOT_ID.append(None)
    return _BOOT_ID[0]


class _MonotonicClock(object):
    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        if seconds > 0:
            time.sleep(seconds)


class RequestBudget(object):
    """At most ``rate`` requests per second (plus ``burst``) to one endpoint key, for every process of this host.

    ``key`` comes from :func:`endpoint_key`. ``clock`` has ``now()`` (monotonic seconds, the clock
    of ``deadline``) and ``sleep(seconds)``; tests inject one. ``directory`` is where the state
    files live (default :func:`default_directory`). ``on_wait(seconds)`` is called before each
    wait for a slot, so progress reporting can say so while it happens.

    ``waits`` and ``waited_seconds`` count the waits of this object (one task), for progress lines
    and ``history``.
    """

    def __init__(self, rate, key, burst=None, directory=None, clock=None, on_wait=None):
        try:
            rate = float(rate)
        except (TypeError, ValueError):
            rate = float('nan')
        if math.isnan(rate) or math.isinf(rate) or rate <= 0:
            raise TerminalError('max_requests_per_second must be a positive number.')
        self.rate = rate
        self.interval = 1.0 / rate
        self.burst = default_burst(rate) if burst is None else int(burst)
        if self.burst < 1:
            raise TerminalError('The request budget burst must be 1 or more.')
        self.key = key
        self.clock = clock or _MonotonicClock()
        self.on_wait = on_wait
        self.waits = 0
        self.waited_seconds = 0.0
        self.note = None
        self.path = None
        if not HAS_FCNTL:
            self.note = 'fcntl is not available on this host, so the request budget is shared by this process only.'
        else:
            directory = directory or default_directory()
            problem = _prepare_directory(directory)
            if problem:
                self.note = '%s, so the request budget is shared by this process only.' % problem
            else:
                digest = hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]
                self.path = os.path.join(directory, '%s.json' % digest)

    @property
    def shared(self):
        """True when every process of this host shares the budget (a state file under a lock)."""
        return self.path is not None

    def acquire(self, deadline=None):
        """Wait for this caller's request slot; returns the seconds waited (0.0 when a token was free).

        Raises :class:`BudgetDeadlineExceeded`, reserving nothing, when the slot would come after
        ``deadline`` (absolute, on the budget's clock).
        """
        wait = self._reserve(deadline)
        if wait > 0:
            self.waits += 1
            self.waited_seconds += wait
            if self.on_wait is not None:
                self.on_wait(wait)
            self.clock.sleep(wait)
        return wait

    def to_result(self):
        """What this budget did, for a task's result or history."""
        return dict(max_requests_per_second=self.rate, burst=self.burst, waits=self.waits,
                    waited=round(self.waited_seconds, 3), shared=self.shared)

    # -- the schedule --------------------------------------------------------
    def _schedule(self, tat, now, deadline):
        """(wait, new tat) for a caller arriving at ``now``; raises instead of reserving past the deadline."""
        tat = max(tat, now) if tat is not None else now
        slot = max(now, tat - (self.burst - 1) * self.interval)
        wait = slot - now
        if wait > 0 and deadline is not None and slot > deadline:
            remaining = max(deadline - now, 0.0)
            raise BudgetDeadlineExceeded(
                'The request budget of %s requests per second gives the next request a slot in %.1f s, '
                'after the deadline (%.1f s left).' % (_format_rate(self.rate), wait, remaining),
                wait=round(wait, 3), remaining=round(remaining, 3), max_requests_per_second=self.rate)
        return wait, tat + self.interval

    def _reserve(self, deadline):
        if self.path is None:
            return self._reserve_locally(deadline)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), 0o600)
        except OSError as err:
            self.note = 'The request budget file could not be opened (%s), so it is shared by this process only.' % (
                os.strerror(err.errno) if err.errno else err)
            self.path = None
            return self._reserve_locally(deadline)
        try:
            # Blocking: the lock is held only to read and write a few bytes, and the kernel
            # releases it if its holder dies.
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self.clock.now()
            boot_id = _read_boot_id()
            tat = self._read_tat(fd, now, boot_id)
            wait, new_tat = self._schedule(tat, now, deadline)
            state = dict(v=_STATE_VERSION, tat=new_tat, now=now, boot_id=boot_id)
            data = json.dumps(state, sort_keys=True).encode('ascii')
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, data)
            return wait
        finally:
            # Closing the descriptor releases the lock.
            os.close(fd)

    def _reserve_locally(self, deadline):
        with _LOCAL_LOCK:
            wait, new_tat = self._schedule(_LOCAL_STATE.get(self.key), self.clock.now(), deadline)
            _LOCAL_STATE[self.key] = new_tat
            return wait

    @staticmethod
    def _read_tat(fd, now, boot_id):
        """The stored ``tat``, or None for a new, empty, corrupt or foreign state (reset, never fatal)."""
        chunks = []
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            chunks.append(chunk)
            if sum(len(c) for c in chunks) > 65536:
                return None
        try:
            state = json.loads(b''.join(chunks).decode('ascii'))
            tat = float(state['tat'])
            written = float(state['now'])
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            return None
        if not (math.isfinite(tat) and math.isfinite(written)):
            return None
        # Under the lock every reader of one clock sees a reading at least the last writer's.
        if now < written or state.get('boot_id') != boot_id:
            return None
        return tat


def _prepare_directory(directory):
    """Create ``directory`` (0700) or check it is ours; returns a problem sentence or None."""
    try:
        os.mkdir(directory, 0o700)
    except OSError as err:
        if err.errno != errno.EEXIST:
            return 'The request budget directory %s could not be created (%s)' % (directory, os.strerror(err.errno))
    try:
        info = os.lstat(directory)
    except OSError as err:
        return 'The request budget directory %s could not be read (%s)' % (directory, os.strerror(err.errno))
    # Another user's directory (or a symlink planted in a shared /tmp) must not steer our files.
    if not stat.S_ISDIR(info.st_mode):
        return 'The request budget path %s is not a directory' % directory
    getuid = getattr(os, 'getuid', None)
    if getuid is not None and info.st_uid != getuid():
        return 'The request budget directory %s belongs to another user' % directory
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            os.chmod(directory, 0o700)
        except OSError as err:
            return 'The request budget directory %s could not be made private (%s)' % (directory, os.strerror(err.errno))
    return None


def _format_rate(rate):
    return ('%d' % rate) if float(rate).is_integer() else ('%g' % rate)
