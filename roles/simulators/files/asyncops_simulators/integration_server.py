# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kaspersky Integration Server REST API simulator (``/api/2.0/virtualization/``).

Faithful to the vendor's REST API documentation: HTTP Basic on every call, XML bodies, the task state machine
(``Created``/``Queued``/``Starting``/``Running``/``Stopping``/``Completed``/``Failed``/``Canceled``)
with progress and stages, dates without a zone, the list filters, every cancel answer
(200, 202, 404, 405 for child tasks, 409 for finished tasks) and the tenant endpoints that
create tasks. It runs in the controller's Python, so XML is built and parsed with the stdlib only.

Control API (``POST /_sim/operations``), all keys optional::

    {"type": "CreateTenant", "duration": 2, "outcome": "succeeded" | "failed", "queued": 0,
     "stop_duration": 0, "parent": "<task id>", "count": 1, "error": "...",
     "created_ago": 0}

``stop_duration`` > 0 makes a cancel answer 202 and keep the task ``Stopping`` that long;
``created_ago`` back-dates the task (seconds) for age filters; ``count`` creates that many
tasks at once (answer: ``{"id": first, "ids": [...]}``).
``POST /_sim/config`` takes ``username``, ``password``, ``cancelled_word`` (``Canceled``,
``Cancelled`` or ``Stopped``: the spelling differs between documentation pages) and
``task_duration`` (seconds of tasks started through the tenant endpoints).
"""

import datetime
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET

from asyncops_simulators import kit

API_PREFIX = '/api/2.0/virtualization/'
DATE_FORMAT = '%Y-%m-%dT%H:%M:%S'
TASK_TYPES = ('CreateTenant', 'ChangeTenantActivation', 'DeleteTenant', 'CreateTenantReport')
TENANT_TYPES = ('Complete', 'Simple')
# [guess] The documentation names stages without listing them; these follow the task types.
STAGES = {
    'CreateTenant': ('ValidatingParameters', 'CreatingTenant', 'ConfiguringProtection'),
    'ChangeTenantActivation': ('ValidatingParameters', 'ChangingActivation'),
    'DeleteTenant': ('ValidatingParameters', 'RemovingArtifacts', 'DeletingTenant'),
    'CreateTenantReport': ('CollectingData', 'BuildingReport'),
}
# Seconds a task spends Starting once it leaves the queue.
STARTING_SECONDS = 0.1


def _xml(element):
    return ET.tostring(element, encoding='unicode')


def xml_response(element, status=200, headers=None):
    return kit.Response(status, _xml(element), headers, content_type='application/xml')


def error_response(status, code, message):
    # [guess] The error body shape; codes such as VIRMT_InvalidTenantType are documented.
    root = ET.Element('error')
    ET.SubElement(root, 'code').text = code
    ET.SubElement(root, 'message').text = message
    return xml_response(root, status)


class SimTask:
    """One task on the server's monotonic clock; its wire dates derive from the wall clock at creation."""

    def __init__(self, task_id, task_type='CreateTenant', duration=1.0, outcome='succeeded', queued=0.0,
                 stop_duration=0.0, parent=None, error=None, result=None, created_ago=0.0):
        if task_type not in TASK_TYPES:
            raise ValueError('type must be one of %s' % ', '.join(TASK_TYPES))
        if outcome not in ('succeeded', 'failed'):
            raise ValueError('outcome must be succeeded or failed')
        self.id = task_id
        self.type = task_type
        self.duration = float(duration)
        self.outcome = outcome
        self.queued = float(queued)
        self.stop_duration = float(stop_duration)
        self.parent = parent
        self.error = error or 'The %s task failed: the virtualization host did not answer.' % task_type
        self.result = result
        self.started = time.monotonic() - float(created_ago)
        self.created_wall = datetime.datetime.now().replace(microsecond=0) - datetime.timedelta(seconds=float(created_ago))
        self.cancel_requested_at = None

    # -- timeline ------------------------------------------------------------
    def _run_start(self):
        return self.queued + STARTING_SECONDS

    def phase(self, now):
        """(state word or None for cancelled, offset in seconds at which this state began, progress)."""
        elapsed = now - self.started
        if self.cancel_requested_at is not None:
            cancel_offset = self.cancel_requested_at - self.started
            stopped_offset = cancel_offset + self.stop_duration
            if elapsed < stopped_offset:
                return 'Stopping', cancel_offset, self._progress(cancel_offset)
            return None, stopped_offset, self._progress(cancel_offset)
        if elapsed < self.queued:
            return ('Created' if elapsed < min(0.05, self.queued) else 'Queued'), 0.0, None
        if elapsed < self._run_start():
            return 'Starting', self.queued, 0
        end = self._run_start() + self.duration
        if elapsed < end:
            return 'Running', self._run_start(), self._progress(elapsed)
        return ('Completed' if self.outcome == 'succeeded' else 'Failed'), end, 100 if self.outcome == 'succeeded' else self._progress(end)

    def _progress(self, offset):
        if offset < self._run_start():
            return 0
        if self.duration <= 0:
            return 100
        return max(0, min(100, int(100 * (offset - self._run_start()) / self.duration)))

    def terminal(self, now):
        state, dummy, dummy = self.phase(now)
        return state in (None, 'Completed', 'Failed')

    def stage(self, state, progress):
        stages = STAGES[self.type]
        if state in ('Created', 'Queued'):
            return 'Waiting'
        if state == 'Starting':
            return stages[0]
        if state == 'Completed':
            return 'Finished'
        index = min(len(stages) - 1, int((progress or 0) * len(stages) / 100))
        return stages[index]

    def wall(self, offset):
        return (self.created_wall + datetime.timedelta(seconds=offset)).strftime(DATE_FORMAT)

    def to_element(self, now, cancelled_word):
        state, since, progress = self.phase(now)
        state = state or cancelled_word
        elapsed = now - self.started
        changed = elapsed if state in ('Running', 'Stopping') else since
        root = ET.Element('task', {'id': self.id, 'created': self.wall(0), 'stateChanged': self.wall(since),
                                   'changed': self.wall(changed)})
        ET.SubElement(root, 'state').text = state
        ET.SubElement(root, 'type').text = self.type
        ET.SubElement(root, 'stage').text = self.stage(state, progress)
        if progress is not None:
            ET.SubElement(root, 'progress').text = str(progress)
        if state == 'Completed':
            result = ET.SubElement(root, 'result')
            for key, value in sorted((self.result or {'taskId': self.id}).items()):
                ET.SubElement(result, key).text = str(value)
        elif state == 'Failed':
            ET.SubElement(root, 'error').text = self.error
        elif state == cancelled_word:
            ET.SubElement(root, 'error').text = 'The task was canceled by the user.'
        return root


class IntegrationServerSimulator(kit.Simulator):
    name = 'integration_server'

    def __init__(self):
        super().__init__()
        self.username = 'kis-admin'
        self.password = 'kis-Secret-0'
        self.cancelled_word = 'Canceled'
        self.task_duration = 1.0
        self.tasks = {}
        self.tenants = {}
        self.task_lock = threading.RLock()

    # -- control API --------------------------------------------------------
    def reset(self):
        with self.task_lock:
            self.tasks.clear()
            self.tenants.clear()

    def revoke(self, spec):
        """``POST /_sim/revoke``: the password changes; every later request gets 401 (HTTP Basic each time)."""
        self.password = 'revoked-' + uuid.uuid4().hex
        return {'revoked': [self.username]}

    def configure(self, settings):
        unknown = set(settings) - {'username', 'password', 'cancelled_word', 'task_duration'}
        if unknown:
            raise ValueError('unknown settings: %s' % ', '.join(sorted(unknown)))
        if settings.get('cancelled_word', 'Canceled') not in ('Canceled', 'Cancelled', 'Stopped'):
            raise ValueError('cancelled_word must be Canceled, Cancelled or Stopped')
        return super().configure(settings)

    def create_operation(self, spec):
        spec = dict(spec)
        count = int(spec.pop('count', 1))
        if count < 1:
            raise ValueError('count must be 1 or more')
        if 'type' in spec:
            spec['task_type'] = spec.pop('type')
        with self.task_lock:
            if spec.get('parent') is not None and spec['parent'] not in self.tasks:
                raise ValueError('parent %s does not exist' % spec['parent'])
            ids = [self._add_task(**spec).id for dummy in range(count)]
        return {'id': ids[0], 'ids': ids}

    def _add_task(self, **spec):
        task = SimTask(str(uuid.uuid4()), **spec)
        self.tasks[task.id] = task
        return task

    # -- labels, faults -----------------------------------------------------
    def endpoint_of(self, request):
        path = request.path
        if path.startswith(API_PREFIX):
            path = path[len(API_PREFIX):]
        path = re.sub(r'^tasks/[^/]+', 'tasks/{id}', path)
        path = re.sub(r'^tenants/[^/]+', 'tenants/{id}', path)
        return '%s %s' % (request.method, path)

    def malformed_response(self, request):
        return kit.Response(200, '<task id="', content_type='application/xml')

    def throttle_response(self, fault, retry_after):
        headers = {}
        if retry_after is not None:
            headers['Retry-After'] = self.format_retry_after(fault, retry_after)
        response = error_response(fault.status, 'VIRMT_TooManyRequests', 'Too many requests.')
        response.headers.update(headers)
        return response

    # -- the API ------------------------------------------------------------
    def _authorized(self, request):
        return request.basic_credentials() == (self.username, self.password)

    def handle(self, request):
        if not request.path.startswith(API_PREFIX):
            return error_response(404, 'VIRMT_NotFound', 'Not found.')
        if not self._authorized(request):
            # [guess] 401 for bad credentials; the documentation lists only 403.
            response = error_response(401, 'VIRMT_Unauthorized', 'Authentication failed.')
            response.headers['WWW-Authenticate'] = 'Basic realm="Integration Server"'
            return response
        path = request.path[len(API_PREFIX):].strip('/')
        now = time.monotonic()
        with self.task_lock:
            if path == 'tasks' and request.method == 'GET':
                return self._list(request, now)
            match = re.match(r'^tasks/([^/]+)(/cancel)?$', path)
            if match:
                task = self.tasks.get(match.group(1))
                if match.group(2) and request.method == 'POST':
                    return self._cancel(task, match.group(1), now)
                if not match.group(2) and request.method == 'GET':
                    if task is None:
                        return error_response(404, 'VIRMT_TaskNotFound', 'Task %s is not found.' % match.group(1))
                    return xml_response(task.to_element(now, self.cancelled_word))
                return error_response(405, 'VIRMT_MethodNotAllowed', 'Method not allowed.')
            return self._tenants(request, path)

    def _list(self, request, now):
        created_from = request.query.get('createdFrom')
        since = None
        if created_from:
            try:
                since = datetime.datetime.strptime(created_from, DATE_FORMAT)
            except ValueError:
                return error_response(400, 'VIRMT_InvalidParameterValue',
                                      'createdFrom must be in YYYY-MM-DDThh:mm:ss format.')
        root = ET.Element('tasks')
        # Oldest first, as created; dict order breaks ties within one second.
        for task in sorted(self.tasks.values(), key=lambda t: t.created_wall):
            if since is not None and task.created_wall < since:
                continue
            if request.query.get('type') and task.type != request.query['type']:
                continue
            element = task.to_element(now, self.cancelled_word)
            if request.query.get('state') and element.findtext('state') != request.query['state']:
                continue
            root.append(element)
        return xml_response(root)

    def _cancel(self, task, task_id, now):
        if task is None:
            return error_response(404, 'VIRMT_TaskNotFound', 'Task %s is not found.' % task_id)
        if task.parent is not None:
            return error_response(405, 'VIRMT_CannotCancelChildTask',
                                  'A child task can be canceled only by canceling its parent task.')
        if task.terminal(now) or task.cancel_requested_at is not None:
            # [guess] Completed answers 409 too; the documentation names Cancelled, Failed, Stopped.
            return error_response(409, 'VIRMT_TaskIsAlreadyFinished', 'The task is already finished.')
        for child in self.tasks.values():
            if child.parent == task.id and not child.terminal(now):
                child.cancel_requested_at = now
        task.cancel_requested_at = now
        if task.stop_duration > 0:
            return kit.Response(202, b'')
        return kit.Response(200, b'')

    # -- endpoints that create tasks ----------------------------------------
    def _task_accepted(self, task_type, result):
        task = self._add_task(task_type=task_type, duration=self.task_duration, result=result)
        root = ET.Element('task', {'id': task.id})
        # [guess] The 202 body carries the new task's id; a Location header points at it.
        return xml_response(root, 202, {'Location': '%stasks/%s' % (API_PREFIX, task.id)})

    def _tenants(self, request, path):
        if path == 'tenants' and request.method == 'POST':
            try:
                tenant = ET.fromstring(request.text())
            except ET.ParseError:
                return error_response(400, 'VIRMT_InvalidRequestFormat', 'The request body is not valid XML.')
            name = (tenant.findtext('name') or '').strip()
            tenant_type = (tenant.findtext('type') or '').strip()
            if not name or not tenant_type:
                return error_response(400, 'VIRMT_MandatoryParameterIsNotSpecified',
                                      'The mandatory parameter %s is not specified.' % ('name' if not name else 'type'))
            if tenant_type not in TENANT_TYPES:
                return error_response(400, 'VIRMT_InvalidTenantType', 'Tenant type %s is not valid.' % tenant_type)
            tenant_id = str(len(self.tenants) + 1)
            self.tenants[tenant_id] = {'id': tenant_id, 'name': name, 'type': tenant_type}
            return self._task_accepted('CreateTenant', {'tenantId': tenant_id, 'name': name})
        match = re.match(r'^tenants/([^/]+)(?:/(activate|deactivate))?$', path)
        if match:
            tenant_id, action = match.groups()
            if tenant_id not in self.tenants:
                return error_response(404, 'VIRMT_TenantNotFound', 'Tenant %s is not found.' % tenant_id)
            if action and request.method == 'POST':
                return self._task_accepted('ChangeTenantActivation', {'tenantId': tenant_id, 'active': action == 'activate'})
            if not action and request.method == 'DELETE':
                del self.tenants[tenant_id]
                return self._task_accepted('DeleteTenant', {'tenantId': tenant_id})
        if path == 'reports/tenants' and request.method == 'POST':
            tenant_id = request.query.get('tenantId')
            if tenant_id not in self.tenants:
                return error_response(404, 'VIRMT_TenantNotFound', 'Tenant %s is not found.' % tenant_id)
            return self._task_accepted('CreateTenantReport', {'reportId': str(uuid.uuid4())})
        return error_response(404, 'VIRMT_NotFound', 'Not found.')
