# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exceptions shared by every layer.

This is the bottom layer: the wait loop, the HTTP layer and the vendor clients all raise or
catch these, so none of them has to import another to agree on what "transient" means.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# A msg is one sentence an operator reads at 3 a.m.; past this it is cut (details stay in the keys).
MSG_LIMIT = 600
NAMED_ITEMS = 5


def name_a_few(items, limit=NAMED_ITEMS):
    """``a, b, c and 12 more``: a msg names a few of many ids and counts the rest."""
    items = [str(item) for item in items]
    if len(items) <= limit:
        return ', '.join(items)
    return '%s and %d more' % (', '.join(items[:limit]), len(items) - limit)


def one_sentence(text, limit=MSG_LIMIT):
    text = ' '.join(str(text).split())
    if len(text) <= limit:
        return text
    return text[:limit - 3].rstrip() + '...'


class AsyncOpsError(Exception):
    """An error with a one-sentence message and structured fields for the task result.

    ``fields`` lands in ``fail_json`` as top-level keys (``http_status``, ``error``, ``url``...),
    so playbooks can branch on them without parsing ``msg``.
    """

    def __init__(self, message, **fields):
        super(AsyncOpsError, self).__init__(message)
        self.message = message
        self.fields = dict((k, v) for k, v in fields.items() if v is not None)

    def to_result(self):
        result = dict(self.fields)
        result['msg'] = self.message
        return result


class TransientError(AsyncOpsError):
    """A failure that says nothing about the operation itself; asking again may work.

    ``retry_after`` (seconds) is the server's hint for the earliest next attempt, if it gave one.
    """

    def __init__(self, message, retry_after=None, **fields):
        super(TransientError, self).__init__(message, **fields)
        self.retry_after = retry_after


class TerminalError(AsyncOpsError):
    """A failure that asking again cannot fix: bad credentials, unknown id, bad input."""


class BudgetDeadlineExceeded(AsyncOpsError):
    """The next free request slot of the endpoint comes after the caller's deadline; nothing was reserved.

    Raised by the request budget (``request_budget.py``). Not a :class:`TransientError` on
    purpose: asking again cannot help before the deadline, so the wait loop must end the wait as
    timed out rather than count a retry.
    ``wait`` is how long the caller would have had to wait, ``remaining`` how long it had.
    """

    def __init__(self, message, wait=None, remaining=None, **fields):
        # Not ``wait`` as a result key: that is the name of an option.
        super(BudgetDeadlineExceeded, self).__init__(message, budget_wait=wait, **fields)
        self.wait = wait
        self.remaining = remaining
