# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small double of the AWX / Automation Controller API: ``/api/v2/credential_types/`` only.

It exists to test ``playbooks/awx_credential_types.yml`` (create or update the collection's
credential types) without an AWX. What it keeps faithful, from AWX's own source
(``awx/api/serializers.py`` ``CredentialTypeSerializer``, ``awx/main/fields.py``
``CredentialTypeInputField`` / ``CredentialTypeInjectorField``, ``awx/main/models/credential``):

- Django REST framework list shape: ``{"count", "next", "previous", "results"}``, filters by
  field (``?name=``, ``?kind=``, ``?managed=``, ``?id=``, ``name__iexact``), ``page_size``/``page``,
  ordering ``(kind, name)``; detail at ``/api/v2/credential_types/<id>/`` (404 ``{"detail": "Not found."}``).
- Objects: ``id``, ``type: credential_type``, ``url``, ``related``, ``summary_fields``, ``created``,
  ``modified``, ``name``, ``description``, ``kind``, ``namespace`` (null for custom types),
  ``managed``, ``inputs``, ``injectors``.
- ``POST`` → 201 with the object and a ``Location`` header; ``PATCH``/``PUT`` → 200; ``DELETE`` → 204.
- Validation: ``kind`` must be ``cloud`` or ``net``; ``(name, kind)`` is unique; input fields are
  checked against AWX's JSON schema (ids, ``string``/``boolean``, no ``secret``/``choices`` on
  booleans, defaults of the field's type) and a missing ``type`` is stored as ``string``, as AWX
  does; injectors may only be ``file`` (``template`` or ``template.<name>``), ``env`` and
  ``extra_vars``, every template must render with every input defined (``StrictUndefined``), and
  no ``ANSIBLE_*`` environment variable. Managed (built-in) types cannot be changed (403);
  ``inputs`` of a type that credentials use cannot be changed (403).
- Auth: HTTP Basic (``admin`` / ``awx-sim-password``) or ``Authorization: Bearer <token>``
  (``awx-sim-token``); 401 ``{"detail": ...}`` otherwise. ``/api/v2/ping/`` needs none.

Control API:

- ``POST /_sim/operations`` ``{"credential_type": <id>}``: create a credential of that type, so
  the type is "in use"; returns ``{"id": <credential id>}``.
- ``POST /_sim/config``: ``users`` (``{name: password}``), ``tokens`` (list).
- ``/_sim/counters`` counts requests per endpoint, ids folded: ``PATCH /api/v2/credential_types/<id>/``.
"""

import copy
import datetime
import re

from asyncops_simulators import kit

API = '/api/v2/'
LIST = API + 'credential_types/'
_DETAIL = re.compile(r'^/api/v2/credential_types/(\d+)/$')
_FIELD_ID = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')
_FILE_KEY = re.compile(r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$')
_FIELD_KEYS = {'id', 'label', 'type', 'format', 'choices', 'help_text', 'multiline', 'secret', 'ask_at_runtime',
               'default'}

DEFAULT_USERS = {'admin': 'awx-sim-password'}
DEFAULT_TOKENS = ['awx-sim-token']

# A few of the managed (built-in) types every AWX has, so lookups by name see more than our own.
MANAGED = [
    dict(name='Machine', kind='ssh', namespace='ssh', inputs={'fields': [
        {'id': 'username', 'label': 'Username', 'type': 'string'},
        {'id': 'password', 'label': 'Password', 'type': 'string', 'secret': True, 'ask_at_runtime': True}]}),
    dict(name='Amazon Web Services', kind='cloud', namespace='aws', inputs={'fields': [
        {'id': 'username', 'label': 'Access Key', 'type': 'string'},
        {'id': 'password', 'label': 'Secret Key', 'type': 'string', 'secret': True}],
        'required': ['username', 'password']}),
]


class _Invalid(Exception):
    def __init__(self, status, body):
        super().__init__(body)
        self.status = status
        self.body = body


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class AwxSimulator(kit.Simulator):
    name = 'awx'

    def __init__(self):
        super().__init__()
        self.users = dict(DEFAULT_USERS)
        self.tokens = list(DEFAULT_TOKENS)
        self.reset()

    # -- kit hooks -------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.types = {}
            self.credentials = {}
            self.next_type_id = 1
            self.next_credential_id = 1
            for spec in MANAGED:
                self._store(dict(spec, description='', injectors={}), managed=True)

    def configure(self, settings):
        with self.lock:
            if 'users' in settings:
                self.users = dict(settings['users'])
            if 'tokens' in settings:
                self.tokens = list(settings['tokens'])
        return {'configured': sorted(settings)}

    def create_operation(self, spec):
        with self.lock:
            type_id = int(spec['credential_type'])
            if type_id not in self.types:
                raise ValueError('no credential type %d' % type_id)
            credential_id = self.next_credential_id
            self.next_credential_id += 1
            self.credentials[credential_id] = type_id
            return {'id': credential_id}

    def endpoint_of(self, request):
        return '%s %s' % (request.method, re.sub(r'/\d+/', '/<id>/', request.path))

    # -- the API -----------------------------------------------------------------
    def handle(self, request):
        if request.path == API + 'ping/' and request.method == 'GET':
            return kit.json_response({'ha': False, 'version': '24.6.1', 'active_node': 'awx-sim'})
        if not self._authenticated(request):
            return kit.json_response({'detail': 'Authentication credentials were not provided. '
                                                'To establish a login session, visit /api/login/.'},
                                     401, {'WWW-Authenticate': 'Bearer realm=api authorization_url=/api/o/authorize/'})
        try:
            if request.path == API and request.method == 'GET':
                return kit.json_response({'ping': API + 'ping/', 'credential_types': LIST, 'me': API + 'me/'})
            if request.path == API + 'me/' and request.method == 'GET':
                return kit.json_response({'count': 1, 'next': None, 'previous': None,
                                          'results': [{'id': 1, 'type': 'user', 'username': 'admin',
                                                       'is_superuser': True}]})
            if request.path == LIST:
                if request.method == 'GET':
                    return self._list(request)
                if request.method == 'POST':
                    return self._create(request)
                return self._not_allowed(request, 'GET, POST, HEAD, OPTIONS')
            match = _DETAIL.match(request.path)
            if match:
                return self._detail(request, int(match.group(1)))
        except _Invalid as err:
            return kit.json_response(err.body, err.status)
        return kit.json_response({'detail': 'Not found.'}, 404)

    # -- handlers ------------------------------------------------------------------
    def _authenticated(self, request):
        header = request.header('Authorization') or ''
        scheme, dummy, value = header.partition(' ')
        if scheme.lower() == 'bearer':
            return value.strip() in self.tokens
        credentials = request.basic_credentials()
        if credentials is None or credentials[0] not in self.users:
            return False
        return self.users[credentials[0]] == credentials[1]

    @staticmethod
    def _not_allowed(request, allowed):
        return kit.json_response({'detail': 'Method "%s" not allowed.' % request.method}, 405, {'Allow': allowed})

    def _list(self, request):
        query = dict(request.query)
        try:
            page_size = int(query.pop('page_size', 25))
            page = int(query.pop('page', 1))
        except ValueError:
            raise _Invalid(404, {'detail': 'Invalid page.'})
        query.pop('order_by', None)
        with self.lock:
            items = sorted(self.types.values(), key=lambda t: (t['kind'], t['name']))
            for key, value in query.items():
                items = [t for t in items if self._matches(t, key, value)]
            count = len(items)
            start = (page - 1) * page_size
            if page < 1 or (start >= count and page != 1):
                raise _Invalid(404, {'detail': 'Invalid page.'})
            chosen = items[start:start + page_size]
            serialized = [self._serialize(t) for t in chosen]

        def page_url(number):
            params = dict(request.query, page=number, page_size=page_size)
            return LIST + '?' + '&'.join('%s=%s' % (k, v) for k, v in sorted(params.items()))
        return kit.json_response({'count': count,
                                  'next': page_url(page + 1) if start + page_size < count else None,
                                  'previous': page_url(page - 1) if page > 1 else None,
                                  'results': serialized})

    @staticmethod
    def _matches(item, key, value):
        field, dummy, lookup = key.partition('__')
        if field not in ('id', 'name', 'kind', 'namespace', 'managed', 'description'):
            raise _Invalid(400, {'detail': "Cannot resolve keyword '%s' into field." % field})
        actual = item[field]
        if field == 'managed':
            return bool(actual) == (value.lower() in ('true', '1'))
        actual = '' if actual is None else str(actual)
        if lookup in ('', 'exact'):
            return actual == value
        if lookup == 'iexact':
            return actual.lower() == value.lower()
        if lookup == 'icontains':
            return value.lower() in actual.lower()
        if lookup == 'startswith':
            return actual.startswith(value)
        raise _Invalid(400, {'detail': 'Unsupported lookup %s' % lookup})

    def _create(self, request):
        data = self._body(request)
        for key in ('name', 'kind'):
            if not data.get(key):
                raise _Invalid(400, {key: ['This field is required.']})
        with self.lock:
            record = self._validated(data, None)
            item = self._store(record)
            body = self._serialize(item)
        return kit.json_response(body, 201, {'Location': body['url']})

    def _detail(self, request, type_id):
        with self.lock:
            item = self.types.get(type_id)
            if item is None:
                return kit.json_response({'detail': 'Not found.'}, 404)
            if request.method == 'GET':
                return kit.json_response(self._serialize(item))
            if request.method in ('PATCH', 'PUT'):
                data = self._body(request)
                if request.method == 'PUT':
                    for key in ('name', 'kind'):
                        if not data.get(key):
                            raise _Invalid(400, {key: ['This field is required.']})
                record = self._validated(data, item)
                item.update(record)
                item['modified'] = _now()
                return kit.json_response(self._serialize(item))
            if request.method == 'DELETE':
                if item['managed']:
                    raise _Invalid(403, {'detail': 'Deletion not allowed for managed credential types'})
                if type_id in self.credentials.values():
                    raise _Invalid(403, {'detail': 'Credential types that are in use cannot be deleted'})
                del self.types[type_id]
                return kit.Response(204)
        return self._not_allowed(request, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS')

    # -- validation, as AWX does it --------------------------------------------------
    @staticmethod
    def _body(request):
        if 'json' not in (request.header('Content-Type') or ''):
            raise _Invalid(415, {'detail': 'Unsupported media type "%s" in request.' % request.header('Content-Type')})
        try:
            data = request.json()
        except ValueError as err:
            raise _Invalid(400, {'detail': 'JSON parse error - %s' % err})
        if not isinstance(data, dict):
            raise _Invalid(400, {'non_field_errors': ['Invalid data. Expected a dictionary, but got %s.'
                                                      % type(data).__name__]})
        return data

    def _validated(self, data, instance):
        if instance is not None and instance['managed']:
            raise _Invalid(403, {'detail': 'Modifications not allowed for managed credential types'})
        known = ('name', 'description', 'kind', 'inputs', 'injectors')
        record = {k: copy.deepcopy(data[k]) for k in known if k in data}  # DRF ignores read-only/unknown keys
        merged = dict(instance or {'description': '', 'inputs': {}, 'injectors': {}})
        merged.update(record)
        if merged['kind'] not in ('cloud', 'net'):
            raise _Invalid(400, {'kind': ["Must be 'cloud' or 'net', not %s" % merged['kind']]})
        for other in self.types.values():
            if other is not instance and other['name'] == merged['name'] and other['kind'] == merged['kind']:
                raise _Invalid(400, {'__all__': ['Credential Type with this Name and Kind already exists.']})
        inputs = self._valid_inputs(merged['inputs'])
        self._valid_injectors(merged['injectors'], inputs)
        if 'inputs' in record:
            record['inputs'] = inputs
            if instance is not None and inputs != instance['inputs'] and instance['id'] in self.credentials.values():
                raise _Invalid(403, {'detail': 'Modifications to inputs are not allowed for credential types '
                                               'that are in use'})
        return record

    @staticmethod
    def _valid_inputs(inputs):
        def invalid(message):
            raise _Invalid(400, {'inputs': [message]})
        if not isinstance(inputs, dict):
            invalid('Must be an object.')
        inputs = copy.deepcopy(inputs)
        extra = set(inputs) - {'fields', 'required'}
        if extra:
            if 'dependencies' in extra:
                invalid("'dependencies' is not supported for custom credentials.")
            invalid('Additional properties are not allowed (%s were unexpected)' % ', '.join(sorted(extra)))
        ids = set()
        for field in inputs.get('fields', []):
            if not isinstance(field, dict) or 'id' not in field or 'label' not in field:
                invalid("'id' and 'label' are required properties of every field")
            unexpected = set(field) - _FIELD_KEYS
            if unexpected:
                invalid('Additional properties are not allowed (%s were unexpected)' % ', '.join(sorted(unexpected)))
            if not isinstance(field['id'], str) or not _FIELD_ID.match(field['id']):
                invalid('%s is an invalid variable name' % field['id'])
            if field['id'] == 'tower':
                invalid('"tower" is a reserved field name')
            if field['id'] in ids:
                invalid('field IDs must be unique (%s)' % field['id'])
            ids.add(field['id'])
            field.setdefault('type', 'string')
            if field['type'] not in ('string', 'boolean'):
                invalid("'%s' is not one of ['string', 'boolean']" % field['type'])
            if 'format' in field and field['format'] not in ('ssh_private_key', 'url'):
                invalid("'%s' is not one of ['ssh_private_key', 'url']" % field['format'])
            if 'choices' in field and (not isinstance(field['choices'], list) or not field['choices']
                                       or not all(isinstance(c, str) for c in field['choices'])
                                       or len(set(field['choices'])) != len(field['choices'])):
                invalid('choices of %s must be a non-empty list of unique strings' % field['id'])
            if 'default' in field and not isinstance(field['default'], {'string': str, 'boolean': bool}[field['type']]):
                invalid('{0} is not a {1}'.format(field['default'], field['type']))
            for key in ('choices', 'multiline', 'format', 'secret'):
                if key in field and field['type'] != 'string':
                    invalid('%s not allowed for %s type (%s)' % (key, field['type'], field['id']))
        for name in inputs.get('required', []):
            if not isinstance(name, str):
                invalid('required must be a list of strings')
        return inputs

    @staticmethod
    def _valid_injectors(injectors, inputs):
        def invalid(message):
            raise _Invalid(400, {'injectors': [message]})
        if not isinstance(injectors, dict):
            invalid('Must be an object.')
        extra = set(injectors) - {'file', 'env', 'extra_vars'}
        if extra:
            invalid('Additional properties are not allowed (%s were unexpected)' % ', '.join(sorted(extra)))
        for kind, templates in injectors.items():
            if not isinstance(templates, dict) or not all(isinstance(v, str) for v in templates.values()):
                invalid('%s must map names to template strings' % kind)
            for key in templates:
                if kind == 'file' and not _FILE_KEY.match(key):
                    invalid('Additional properties are not allowed (%s was unexpected)' % key)
                if kind in ('env', 'extra_vars') and not _FIELD_ID.match(key):
                    invalid('Additional properties are not allowed (%s was unexpected)' % key)
                if kind == 'env' and key.startswith('ANSIBLE_'):
                    invalid('Environment variable %s may affect Ansible configuration so its use is not allowed '
                            'in credentials.' % key)

        class Filenames:
            pass

        class Tower:
            pass

        try:  # jinja2 comes with ansible-core; without it, templates go unchecked
            from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
            from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
        except ImportError:
            return
        namespace = {field['id']: 'EXAMPLE' for field in inputs.get('fields', [])}
        tower = Tower()
        names = [k for k in injectors.get('file', {}) if k.startswith('template')]
        if 'template' in names:
            if len(names) > 1:
                invalid('Must use multi-file syntax when injecting multiple files')
            tower.filename = 'EXAMPLE_FILENAME'
        elif names:
            tower.filename = Filenames()
            for name in names:
                setattr(tower.filename, name.split('.', 1)[1], 'EXAMPLE_FILENAME')
        namespace['tower'] = tower
        environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
        for kind, templates in injectors.items():
            for key, template in templates.items():
                try:
                    environment.from_string(template).render(namespace)
                except (UndefinedError, AttributeError) as err:
                    invalid('%s uses an undefined field (%s)' % (key, err))
                except SecurityError as err:
                    invalid('Encountered unsafe code execution: %s' % err)
                except TemplateSyntaxError as err:
                    invalid('Syntax error rendering template for %s inside of %s (%s)' % (key, kind, err))

    # -- storage ----------------------------------------------------------------------
    def _store(self, record, managed=False):
        type_id = self.next_type_id
        self.next_type_id += 1
        now = _now()
        item = dict(id=type_id, name=record['name'], description=record.get('description', ''),
                    kind=record['kind'], namespace=record.get('namespace') if managed else None, managed=managed,
                    inputs=self._valid_inputs(record.get('inputs') or {}), injectors=record.get('injectors') or {},
                    created=now, modified=now)
        self.types[type_id] = item
        return item

    @staticmethod
    def _serialize(item):
        url = '%s%d/' % (LIST, item['id'])
        body = dict(id=item['id'], type='credential_type', url=url,
                    related={'credentials': url + 'credentials/', 'activity_stream': url + 'activity_stream/'},
                    summary_fields={'user_capabilities': {'edit': not item['managed'], 'delete': not item['managed']}},
                    created=item['created'], modified=item['modified'], name=item['name'],
                    description=item['description'], kind=item['kind'], namespace=item['namespace'],
                    managed=item['managed'], inputs=copy.deepcopy(item['inputs']),
                    injectors=copy.deepcopy(item['injectors']))
        return body
