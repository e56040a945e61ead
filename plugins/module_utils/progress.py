# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live progress lines of a wait: when to print one, and what it says.

It observes the wait loop (``wait_for(..., observer=...)``) and hands finished lines to an
``emit`` callable; where they go (Ansible's display on the controller, nowhere on a target, a
list in tests) is the caller's business. It knows no vendor: what it prints comes from the
:class:`~.wait.Observation` the vendor client made.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.asyncops.jobs.plugins.module_utils.wait import BatchObservation


def format_duration(seconds):
    """``45s``, ``1m05s``, ``10m``, ``2h03m``: short enough for a line an operator scans."""
    seconds = int(round(max(seconds, 0)))
    if seconds < 60:
        return '%ds' % seconds
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return '%dm%02ds' % (minutes, seconds) if seconds else '%dm' % minutes
    hours, minutes = divmod(minutes, 60)
    return '%dh%02dm' % (hours, minutes) if minutes else '%dh' % hours


class ProgressReporter(object):
    """Decides which rounds of one wait deserve a line, and writes it.

    A line at every change of status, stage or percentage (and at every failed request), and while
    nothing changes at most one every ``interval`` seconds; none at all when ``interval`` is 0, and
    none for a wait that ends at its first read (it was never a wait worth watching).
    ``elapsed_offset`` is how much of the task's ``timeout`` had gone before this wait began
    (a start request, an earlier action of a list), so ``1m05s of 10m`` is the task's own clock.
    """

    def __init__(self, emit, label, describe, interval, timeout, noun='operations', elapsed_offset=0.0,
                 redact=None, extra=None):
        self.emit = emit
        self.label = label
        self.describe = describe
        self.interval = float(interval or 0)
        self.timeout = timeout
        self.noun = noun
        self.elapsed_offset = elapsed_offset
        self.redact = redact or (lambda text: text)
        # A callable returning more words for the line (e.g. time spent waiting for a request budget).
        self.extra = extra
        self.lines = 0
        self._last_key = None
        self._last_line_at = None
        self._first_progress = None

    def __call__(self, event):
        if self.interval <= 0:
            return
        if event.final and event.attempt == 1:
            return
        elapsed = self.elapsed_offset + event.elapsed
        self._track_progress(event, elapsed)
        key = self._key(event)
        if key == self._last_key and elapsed - self._last_line_at < self.interval:
            return
        self._last_key = key
        self._last_line_at = elapsed
        self.lines += 1
        self.emit(self.redact(self.line(event, elapsed)))

    def _key(self, event):
        if event.error is not None:
            return ('error', event.error.message)
        observation = event.observation
        if isinstance(observation.payload, BatchObservation):
            counts = observation.payload.counts()
            return ('batch',) + tuple(sorted(counts.items()))
        return ('status', observation.status, observation.vendor_status, observation.detail, observation.progress)

    def line(self, event, elapsed):
        parts = [self._state(event, elapsed), 'check %d' % event.attempt,
                 '%s of %s' % (format_duration(elapsed), format_duration(self.timeout))]
        left = self._time_left(event, elapsed)
        if left is not None and left >= 1:
            parts.append('about %s left' % format_duration(left))
        if self.extra is not None:
            more = self.extra()
            if more:
                parts.append(more)
        return '%s: %s: %s' % (self.label, self.describe, ', '.join(parts))

    def _state(self, event, elapsed):
        if event.error is not None:
            return 'request failed (%s), asking again' % event.error.message.rstrip('.')
        observation = event.observation
        if isinstance(observation.payload, BatchObservation):
            batch = observation.payload
            counts = batch.counts()
            done = len(batch.ids) - counts['running']
            text = '%d of %d %s done' % (done, len(batch.ids), self.noun)
            unsuccessful = ['%d %s' % (counts[s], s) for s in ('failed', 'cancelled') if counts[s]]
            return text + (' (%s)' % ', '.join(unsuccessful) if unsuccessful else '')
        text = str(observation.vendor_status if observation.vendor_status not in (None, '') else observation.status)
        if observation.progress is not None:
            text += ' %s %%' % observation.progress
        if observation.detail:
            text += ' (%s)' % observation.detail
        return text

    @staticmethod
    def _percent(event):
        observation = event.observation
        if observation is None or observation.terminal or observation.progress is None:
            return None
        try:
            return float(observation.progress)
        except (TypeError, ValueError):
            return None

    def _track_progress(self, event, elapsed):
        percent = self._percent(event)
        if percent is not None and self._first_progress is None:
            self._first_progress = (elapsed, percent)

    def _time_left(self, event, elapsed):
        """Linear estimate from the percentages seen so far; only where the vendor reports one."""
        percent = self._percent(event)
        if percent is None or self._first_progress is None:
            return None
        first_at, first_percent = self._first_progress
        if percent <= first_percent or elapsed <= first_at or percent >= 100:
            return None
        rate = (percent - first_percent) / (elapsed - first_at)
        return (100.0 - percent) / rate
