# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Client of the Kaspersky Integration Server REST API (tasks), for the asyncops.jobs modules.

HTTP Basic on every request, XML bodies parsed with ``xmltodict`` into plain dicts. Dates carry
no time zone on the wire and are kept exactly as given: converting them would need a zone the
server never states.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime
from urllib.parse import quote

from ansible_collections.asyncops.jobs.plugins.module_utils.errors import TerminalError, TransientError, name_a_few
from ansible_collections.asyncops.jobs.plugins.module_utils.http_client import HttpClient, base_url, plain
from ansible_collections.asyncops.jobs.plugins.module_utils.shapes import Answer, scalar
from ansible_collections.asyncops.jobs.plugins.module_utils.wait import (
    CANCELLED,
    FAILED,
    RUNNING,
    SUCCEEDED,
    Observation,
)

API_PATH = '/api/2.0/virtualization/'
DATE_FORMAT = '%Y-%m-%dT%H:%M:%S'
DATE_PATTERN = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$')
# Task types are CamelCase identifiers (CreateTenant, DeleteTenant...); the documentation lists
# them "for example", so any identifier is accepted rather than only the four known ones.
TYPE_PATTERN = re.compile(r'^[A-Za-z][A-Za-z0-9]*$')

# The documentation spells the cancelled state Canceled and Cancelled on different pages, and
# the cancel page names Stopped as well: all three are the same terminal state.
VENDOR_STATUSES = {
    'Created': RUNNING,
    'Queued': RUNNING,
    'Starting': RUNNING,
    'Running': RUNNING,
    'Stopping': RUNNING,
    'Completed': SUCCEEDED,
    'Failed': FAILED,
    'Canceled': CANCELLED,
    'Cancelled': CANCELLED,
    'Stopped': CANCELLED,
}
TASK_STATES = tuple(VENDOR_STATUSES)

# Outcomes of a cancel request, named after what the server said.
CANCELLED_NOW = 'cancelled'          # 200
CANCEL_ACCEPTED = 'accepted'         # 202: the task goes through Stopping
ALREADY_FINISHED = 'already_finished'  # 409


def status_of(state):
    """Normalized status of a vendor state; an unknown word is still running (kept verbatim elsewhere)."""
    return VENDOR_STATUSES.get(state, RUNNING)


def validate_created_from(value):
    """``value`` if it is a ``YYYY-MM-DDThh:mm:ss`` date the server will accept; raises TerminalError."""
    if value is None:
        return None
    value = str(value).strip()
    problem = None
    if not DATE_PATTERN.match(value):
        problem = 'it is not in that format'
    else:
        try:
            datetime.strptime(value, DATE_FORMAT)
        except ValueError:
            problem = 'it is not a real date and time'
    if problem:
        raise TerminalError('created_from must be YYYY-MM-DDThh:mm:ss (for example 2024-05-01T08:30:00), '
                            'and %r is not: %s.' % (value, problem), invalid_option='created_from')
    return value


def validate_task_type(value):
    if value is None:
        return None
    if not TYPE_PATTERN.match(str(value)):
        raise TerminalError('type must be a task type name such as CreateTenant or DeleteTenant, not %r.' % (value,),
                            invalid_option='type')
    return value


def validate_task_state(value):
    if value is None:
        return None
    if value not in VENDOR_STATUSES:
        raise TerminalError('state must be one of %s, not %r.' % (', '.join(TASK_STATES), value),
                            invalid_option='state')
    return value


def _progress(value):
    value = scalar(value)
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def task_from_xml(element, request='a task'):
    """One ``<task>`` element (as parsed by xmltodict) as the module's ``task`` dict.

    ``id`` and ``state`` must be there as text (nothing can be said of a task without them);
    ``request`` names the request in the error otherwise.
    """
    shape = Answer('The Integration Server', request)
    element = shape.mapping(element, 'the task element')
    task = dict(
        id=shape.text(element.get('@id'), 'the id attribute of a task', required=True),
        type=shape.text(element.get('type'), 'type'),
        state=shape.text(element.get('state'), 'state', required=True),
        stage=shape.text(element.get('stage'), 'stage'),
        progress=_progress(element.get('progress')),
        created=shape.text(element.get('@created'), 'created'),
        state_changed=shape.text(element.get('@stateChanged'), 'stateChanged'),
        changed=shape.text(element.get('@changed'), 'changed'),
        result=plain(element.get('result')),
        error=plain(element.get('error')),
    )
    return task


def error_of(task):
    """The result contract's ``error`` dict (``name``, ``message``) of a failed or cancelled task.

    ``name`` and ``message`` are text whatever shape ``<error>`` had (several elements, children).
    """
    error = task.get('error')
    if error is None:
        return None
    if isinstance(error, list):
        error = error[0] if len(error) == 1 else dict(message=' '.join(
            '%s' % scalar(item) for item in error if scalar(item) is not None) or None)
    if isinstance(error, dict):
        described = dict(error)
        name = scalar(error.get('name')) or scalar(error.get('code')) or task.get('state')
        message = scalar(error.get('message')) or scalar(error.get('#text')) or scalar(error.get('description'))
        described['name'] = '%s' % name if name is not None else None
        described['message'] = '%s' % message if message is not None else None
        return described
    message = scalar(error)
    return dict(name=task.get('state'), message='%s' % message if message is not None else None)


def observe(task):
    return Observation(status_of(task.get('state')), vendor_status=task.get('state'), payload=task,
                       progress=task.get('progress'), detail=task.get('stage'))


class IntegrationServerClient(object):
    """Tasks of one Integration Server, read and cancelled over one keep-alive session."""

    def __init__(self, host, username, password, port=7271, validate_certs=True, ca_path=None, timeout=30.0):
        self.host = host
        self.username = username
        self.http = HttpClient(base_url(host, port, API_PATH), validate_certs=validate_certs,
                               ca_path=ca_path, timeout=timeout, auth=(username, password), secrets=[password],
                               headers={'Accept': 'application/xml'})

    @classmethod
    def from_params(cls, params):
        return cls(params['host'], params['username'], params['password'], port=params['port'],
                   validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                   timeout=params['request_timeout'])

    # -- wire -----------------------------------------------------------------
    def _parse(self, response, request, root):
        """The content of the root element ``root``, ``task`` always as a list (one task or many)."""
        shape = Answer('The Integration Server', request)
        document = self.http.xml(response, force_list=('task',), required=True)
        return shape.root(document, root, response)

    def _vendor_error(self, response):
        """Code and message of an ``<error>`` body, when the server sent one (read leniently)."""
        try:
            error = self.http.xml(response).get('error')
        except (TransientError, TerminalError):  # not XML: the HTTP status alone must do
            return None
        redact = self.http.redact
        if isinstance(error, dict):
            found = dict((key, scalar(error.get(key))) for key in ('code', 'message'))
            return dict((key, redact('%s' % value)) for key, value in found.items() if value not in (None, '')) or None
        error = scalar(error)
        return dict(message=redact('%s' % error)) if error not in (None, '') else None

    def _fail(self, response, what, **fields):
        """Raise for an answer no caller handled: auth first, then the HTTP layer's classification."""
        vendor_error = self._vendor_error(response)
        if vendor_error:
            fields['error'] = vendor_error
        if response.status_code == 401:
            raise TerminalError('The Integration Server at %s rejected the credentials of user %s (HTTP 401) while trying to %s.'
                                % (self.host, self.username, what), http_status=401, **fields)
        if response.status_code == 403:
            raise TerminalError('The Integration Server at %s denied user %s access (HTTP 403) while trying to %s.'
                                % (self.host, self.username, what), http_status=403, **fields)
        error = self.http.error_for(response, what='Could not %s' % what)
        error.fields.update(fields)
        raise error

    def _not_found(self, task_id, response):
        return TerminalError('Task %s does not exist on the Integration Server at %s (HTTP 404).' % (task_id, self.host),
                             http_status=404, task_id=task_id, error=self._vendor_error(response))

    # -- tasks ---------------------------------------------------------------
    def get_task(self, task_id):
        response = self.http.send('GET', 'tasks/%s' % _quote(task_id))
        if response.status_code == 404:
            raise self._not_found(task_id, response)
        if response.status_code != 200:
            self._fail(response, 'read task %s' % task_id)
        request = 'GET tasks/%s' % task_id
        elements = self._parse(response, request, 'task')
        # xmltodict with force_list gives the root element as a list of one.
        return task_from_xml(elements[0] if isinstance(elements, list) and len(elements) == 1 else elements, request)

    def list_tasks(self, created_from=None, state=None, task_type=None):
        params = {}
        if created_from is not None:
            params['createdFrom'] = validate_created_from(created_from)
        if state is not None:
            params['state'] = validate_task_state(state)
        if task_type is not None:
            params['type'] = validate_task_type(task_type)
        response = self.http.send('GET', 'tasks', params=params)
        if response.status_code != 200:
            self._fail(response, 'list tasks')
        shape = Answer('The Integration Server', 'GET tasks')
        root = shape.mapping(self._parse(response, 'GET tasks', 'tasks'), 'the tasks element', required=False)
        return [task_from_xml(element, 'GET tasks') for element in shape.items(root.get('task'), 'task')]

    def cancel_task(self, task_id):
        """Ask the server to cancel; returns CANCELLED_NOW, CANCEL_ACCEPTED or ALREADY_FINISHED."""
        response = self.http.send('POST', 'tasks/%s/cancel' % _quote(task_id))
        if response.status_code == 200:
            return CANCELLED_NOW
        if response.status_code == 202:
            return CANCEL_ACCEPTED
        if response.status_code == 409:
            return ALREADY_FINISHED
        if response.status_code == 404:
            raise self._not_found(task_id, response)
        if response.status_code == 405:
            raise TerminalError('Task %s is a child task, which the Integration Server cancels only with its parent: '
                                'cancel the parent task instead (HTTP 405).' % task_id,
                                http_status=405, task_id=task_id, error=self._vendor_error(response))
        self._fail(response, 'cancel task %s' % task_id)

    # -- wait-loop checks ---------------------------------------------------
    def read(self, task_id):
        return observe(self.get_task(task_id))

    def batch_reader(self, task_ids):
        """A ``check_batch`` for ``wait_for_many``: one list request per round, however many tasks.

        The first round lists every task; later rounds pass ``createdFrom`` = the oldest creation
        date among the watched tasks, so the answer holds only tasks at least as new as those.
        A watched id missing from the first, unfiltered list does not exist: that fails at once.
        """
        state = dict(created_from=None)

        def check_batch(pending):
            tasks = dict((task['id'], task) for task in self.list_tasks(created_from=state['created_from']))
            if state['created_from'] is None:
                missing = [task_id for task_id in task_ids if task_id not in tasks]
                if missing:
                    raise TerminalError('%s not exist on the Integration Server at %s: %s.'
                                        % ('Task does' if len(missing) == 1 else 'Tasks do', self.host,
                                           name_a_few(missing)), missing_task_ids=missing)
                dates = [tasks[task_id]['created'] for task_id in task_ids if tasks[task_id].get('created')]
                # ISO dates without a zone sort as text; all come from the same server clock.
                state['created_from'] = min(dates) if len(dates) == len(task_ids) else None
            return dict((task_id, observe(tasks[task_id])) for task_id in pending if task_id in tasks)

        return check_batch

    def close(self):
        self.http.close()


def _quote(task_id):
    return quote(str(task_id), safe='')
