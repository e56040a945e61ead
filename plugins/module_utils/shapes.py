# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shape checks for what servers answer: one set, used by every vendor client.

A server, or a proxy in front of it, can answer valid JSON or XML of any shape. Every client
reads its answers through an :class:`Answer`, whose accessors either return the documented kind
of value or raise :class:`UnexpectedAnswer` (terminal) with one sentence naming the vendor, the
request and what was unexpected. Where a proxy or a half-written answer could explain the shape
(an HTML page, nothing at all) the error is an :class:`UnexpectedTransientAnswer` instead, so the
wait loop asks again within its retry budget.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError

_MISSING = object()


class UnexpectedAnswer(TerminalError):
    """A readable answer whose shape is not the documented one; ``vendor``, ``request``, ``unexpected``."""


class UnexpectedTransientAnswer(TransientError):
    """An answer of the wrong shape that a proxy or a cut-off answer could explain."""


def kind_of(value):
    """How a message names a value's kind (never the value: it may hold anything, secrets included)."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'an empty string' if not value.strip() else 'a string'
    if isinstance(value, dict):
        return 'an element with attributes or children' if any(str(k).startswith(('@', '#')) for k in value) \
            else 'an object'
    if isinstance(value, list):
        return 'a list'
    return 'a %s' % type(value).__name__


class Answer(object):
    """The accessors for one answer of one request.

    ``vendor`` (``KSC``, ``The SBC at sbc01``...) starts every sentence; ``request`` names what
    was asked (``CheckActionState``, ``GET admin/asyncstatus``). ``transient`` makes every shape
    error transient (an answer that a caller knows may be cut off).
    """

    def __init__(self, vendor, request, transient=False):
        self.vendor = vendor
        self.request = request
        self.transient = transient

    def fail(self, unexpected, transient=None, **fields):
        transient = self.transient if transient is None else transient
        message = '%s answered %s with %s.' % (self.vendor, self.request, unexpected.rstrip('.'))
        error = UnexpectedTransientAnswer if transient else UnexpectedAnswer
        return error(message, vendor=self.vendor, request=self.request, unexpected=unexpected, **fields)

    def _wrong(self, value, what, expected):
        if value is _MISSING:
            return self.fail('no %s' % what)
        return self.fail('%s as %s where %s was expected' % (kind_of(value), what, expected))

    # -- containers -----------------------------------------------------------
    def mapping(self, value, what, required=True):
        """``value`` if it is an object; ``{}`` for a missing/null one unless ``required``."""
        if isinstance(value, dict):
            return value
        if value in (None, _MISSING, '') and not required:
            return {}
        raise self._wrong(value, what, 'an object')

    def items(self, value, what):
        """A list of whatever ``value`` holds: XML gives one element as itself, several as a list."""
        if value is None or value is _MISSING:
            return []
        if isinstance(value, list):
            return value
        return [value]

    def sequence(self, value, what, required=True):
        """``value`` if it is a JSON list; ``[]`` for a missing/null one unless ``required``."""
        if isinstance(value, list):
            return value
        if value in (None, _MISSING) and not required:
            return []
        raise self._wrong(value, what, 'a list')

    # -- scalars -----------------------------------------------------------------
    def text(self, value, what, required=False):
        """A string; numbers become text, an XML element with attributes gives its text.

        None when missing or empty unless ``required``. A list, an object, or an element with
        children is an error: guessing which part is meant would hide a changed wire format.
        """
        if isinstance(value, dict) and set(value) - set(['#text']) and \
                all(str(key).startswith('@') for key in value if key != '#text'):
            value = value.get('#text')
        elif isinstance(value, dict) and set(value) == set(['#text']):
            value = value['#text']
        if isinstance(value, bool):
            raise self._wrong(value, what, 'text')
        if isinstance(value, (int, float)):
            value = '%s' % value
        if value is None or value is _MISSING or (isinstance(value, str) and not value.strip()):
            if required:
                raise self._wrong(_MISSING if value is None else value, what, 'text')
            return None
        if not isinstance(value, str):
            raise self._wrong(value, what, 'text')
        return value.strip()

    def integer(self, value, what, required=False, text_ok=False):
        """An int (never a bool); ``text_ok`` accepts its decimal text (XML has nothing else)."""
        if text_ok and isinstance(value, (str, dict)):
            text = self.text(value, what, required=required)
            if text is None:
                return None
            try:
                return int(text)
            except ValueError:
                raise self.fail('%s as %s where a whole number was expected' % (kind_of(text), what))
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if value is None or value is _MISSING:
            if required:
                raise self._wrong(_MISSING, what, 'a whole number')
            return None
        raise self._wrong(value, what, 'a whole number')

    def number(self, value, what, required=False):
        """A finite int or float (never a bool); infinity and NaN are errors."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
                raise self.fail('a number that is not finite as %s' % what)
            return value
        if value is None or value is _MISSING:
            if required:
                raise self._wrong(_MISSING, what, 'a number')
            return None
        raise self._wrong(value, what, 'a number')

    def boolean(self, value, what, required=False, default=None):
        """A JSON boolean; 0 and 1 too (some servers send flags as numbers), nothing else."""
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if value is None or value is _MISSING:
            if required:
                raise self._wrong(_MISSING, what, 'true or false')
            return default
        raise self._wrong(value, what, 'true or false')

    def hashable(self, value, what):
        """A value usable as a key or looked up in a table: text or a number, never a container."""
        if value is None or isinstance(value, (str, int, float)):
            return value
        raise self._wrong(value, what, 'text or a number')

    def root(self, document, name, response=None):
        """The content of the XML root element ``name``.

        A different root is terminal, except an HTML page (a proxy's error or login page), which
        is transient: the device itself never sends HTML.
        """
        if isinstance(document, dict) and name in document:
            return document[name]
        roots = sorted(document) if isinstance(document, dict) else []
        content_type = (response.headers.get('Content-Type') or '') if response is not None else ''
        html = 'html' in content_type.lower() or [r.lower() for r in roots] == ['html']
        if html:
            return self._raise_html()
        raise self.fail('the root element %s where %s was expected' % (roots[0] if roots else 'nothing', name))

    def _raise_html(self):
        raise self.fail('an HTML page where XML was expected (a proxy or a gateway may have answered)', transient=True)

    def must_not_be_html(self, response):
        """Transient error for an HTML page (a proxy's), whatever status it came with."""
        content_type = (response.headers.get('Content-Type') or '').lower()
        if 'html' in content_type:
            self._raise_html()


def finite_seconds(value):
    """A delay hint as non-negative finite seconds, or None: no hint beats a poisoned one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return max(float(value), 0.0)


def scalar(value):
    """A detail read leniently (error details, descriptions): text, a number or a boolean, else None.

    For the parts of an answer that explain a failure, losing one odd field is better than
    replacing the vendor's own failure report with a shape error.
    """
    if isinstance(value, dict) and '#text' in value:
        value = value['#text']
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if not (math.isnan(value) or math.isinf(value)) else None
    return None
