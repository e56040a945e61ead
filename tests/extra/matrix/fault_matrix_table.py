# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault and bad-input matrix as data: one :class:`Cell` per task, grouped by vendor.

A cell names a module, the arguments that differ from a working task, what the simulator must
do around it (``setup``/``teardown`` steps, run by the ``matrix_cells`` callback), and what the
public contract (the shared options, the result keys, where a task runs) promises for it (:class:`Expect`). Operation ids and KSC
sessions do not exist before the run: :class:`Op` and :class:`Session` stand for them and are
resolved just before the playbook starts (``tests/extra/test_fault_matrix.py``).
"""

import uuid

# Passwords and keys with the characters that URL-encoding changes, so that every encoding of a
# secret differs from the clear text and the output check can look for each.
PASSWORDS = {
    'ksc': 'Ksc/Pa+ss w0rd&=%!42',
    'sbc': 'Sbc/Pa+ss w0rd&=%!43',
    'solidfire': 'Sf/Pa+ss w0rd&=%!44',
    'integration_server': 'Kis/Pa+ss w0rd&=%!47',
}
USERS = {'ksc': 'ksc-admin', 'sbc': 'admin', 'solidfire': 'sf-admin', 'integration_server': 'kis-admin'}
SAS_KEY_ID = 'STS.NMatrixTemporaryKey'
SAS_SECRET = 'SasMatrix/Secret+45=%&x'
SAS_TOKEN = 'CAISMatrix/Token+46=%&y'
SAS_OTHER_KEY_ID = 'LTAI5tMatrixOtherKey'
SAS_OTHER_SECRET = 'SasMatrixOtherSecret48'
SAS_KEYS = {SAS_KEY_ID: {'secret': SAS_SECRET, 'security_token': SAS_TOKEN},
            SAS_OTHER_KEY_ID: {'secret': SAS_OTHER_SECRET}}

VENDORS = ['ksc', 'sbc', 'solidfire', 'sas', 'integration_server']
WAITING = {'ksc_async_wait', 'sbc_async_status', 'solidfire_async_result', 'sas_scan_task_progress',
           'integration_task'}
# Every waiting cell starts from these; a cell overrides what it tests.
# wait_timeout is long enough that a task waiting for it cannot pass for one that failed at once.
WAIT_DEFAULTS = {'wait_timeout': 20, 'poll_interval': 0.2, 'max_poll_interval': 0.5, 'retries': 3,
                 'request_timeout': 2, 'progress_interval': 0}
DROP = object()  # a cell argument with this value is left out of the task
# Operations that must still run when their cell comes, however late in the playbook that is.
RUNNING = 3600

# What each vendor's status read is called in the simulator's counters and fault matching.
STATUS_ENDPOINT = {
    'ksc': 'CheckActionState',
    'sbc': 'admin/asyncstatus',
    'solidfire': 'AsyncResult',
    'sas': 'DescribeScanTaskProgress',
    'integration_server': '^GET tasks/',
}
# Requests that start or change something: none may reach the simulator for bad input.
START_ENDPOINTS = {
    'ksc': r'RemoveGroup|EndSession',
    'sbc': r'configuration/',
    'solidfire': r'CloneVolume|CopyVolume|StartBulkVolumeRead',
    'sas': r'StartVirusScanTask',
    'integration_server': r'cancel|^POST|^DELETE',
}


class Op:
    """The id of an operation the simulator creates just before the run (``count``: a list of ids)."""

    def __init__(self, count=None, session='main', **spec):
        self.count = count
        self.session = session
        self.spec = dict({'duration': 0}, **spec)


class Session:
    """The id of a KSC session the test starts before the run (``ended``: and ends at once)."""

    def __init__(self, name='main', ended=False):
        self.name = name
        self.ended = ended


class Expect:
    """What the contract promises for a cell.

    ``sent_nothing``: no API request at all reached the simulator (``reason: invalid_options``
    means "nothing was sent"). ``fast``: the task must end well before its ``wait_timeout``
    (terminal errors fail at once). ``counters``: simulator counters whose increase during the
    cell may be at most the given number. ``msg_any``: at least one of these words is in ``msg``.
    """

    def __init__(self, failed, reasons=(), status=None, changed=None, timed_out=None, sent_nothing=False,
                 fast=False, msg_has=(), msg_any=(), msg_lacks=(), counters=None, starts_nothing=False):
        self.failed = failed
        self.reasons = tuple(reasons)
        self.status = status
        self.changed = changed
        self.timed_out = timed_out
        self.sent_nothing = sent_nothing
        self.fast = fast
        self.msg_has = tuple(msg_has)
        self.msg_any = tuple(msg_any)
        self.msg_lacks = tuple(msg_lacks)
        self.counters = counters or {}
        self.starts_nothing = starts_nothing


def ok(status='succeeded', **kwargs):
    return Expect(False, status=status, **kwargs)


def invalid(**kwargs):
    return Expect(True, reasons=('invalid_options',), sent_nothing=True, fast=True, changed=False, **kwargs)


def rejected(**kwargs):
    kwargs.setdefault('fast', True)
    kwargs.setdefault('starts_nothing', True)
    return Expect(True, reasons=kwargs.pop('reasons', ('request_rejected',)), **kwargs)


class Cell:
    def __init__(self, cell_id, module, args, expect, setup=(), teardown=(), kind='input', both_ways=True):
        self.id = cell_id
        self.both_ways = both_ways
        self.module = module
        self.args = args
        self.expect = expect
        self.setup = list(setup)
        self.teardown = list(teardown)
        self.kind = kind


def control(path, body=None, after=None, method=None):
    step = {'path': '/_sim/' + path}
    if body is not None:
        step['body'] = body
    if after:
        step['after'] = after
    if method:
        step['method'] = method
    return step


def fault(**spec):
    return control('faults', spec)


# --------------------------------------------------------------------------- faults, per vendor

def _wait_target(vendor):
    """Arguments of a pure wait on an operation that has already ended (what every fault cell reads)."""
    return {
        'ksc': lambda: ('ksc_async_wait', {'action_guid': Op(), 'session_id': Session()}, []),
        'sbc': lambda: ('sbc_async_status', {'operation': 'save'},
                        [control('operations', {'operation': 'save', 'duration': 0})]),
        'solidfire': lambda: ('solidfire_async_result', {'async_handle': Op()}, []),
        'sas': lambda: ('sas_scan_task_progress', {'task_id': Op()}, []),
        'integration_server': lambda: ('integration_task', {'task_id': Op()}, []),
    }[vendor]()


def _loss(vendor):
    """Token or session loss mid-wait, or credentials revoked where the vendor has no token."""
    revoked = dict(msg_any=('credential', 'password', 'authenticat', 'unauthori', 'access key', 'accesskey'),
                   counters={})
    if vendor == 'ksc':
        return ('ksc_async_wait', {'action_guid': Op(session='doomed', duration=RUNNING), 'session_id': Session('doomed')},
                [{'path': '/api/v1.0/Session.EndSession', 'body': {}, 'headers': {'X-KSC-Session': Session('doomed')},
                  'after': 1.0}], [],
                # The EndSession request is the fault itself, sent by the harness.
                rejected(msg_has=('session',), msg_lacks=('another',), starts_nothing=False))
    if vendor == 'sbc':
        # The device forgets tokens after 1 s while the module believes its tokens live 600 s:
        # a status read can always log in again, so the wait must still see the operation end.
        return ('sbc_async_status', {'operation': 'save'},
                [control('config', {'token_lifetime': 1}), control('operations', {'operation': 'save', 'duration': 3})],
                [control('config', {'token_lifetime': 600})], ok())
    if vendor == 'solidfire':
        return ('solidfire_async_result', {'async_handle': Op(duration=RUNNING)},
                [control('config', {'password': 'revoked-' + uuid.uuid4().hex}, after=1.0)],
                [control('config', {'password': PASSWORDS['solidfire']})], rejected(**revoked))
    if vendor == 'sas':
        return ('sas_scan_task_progress', {'task_id': Op(duration=RUNNING)},
                [control('config', {'access_keys': {SAS_OTHER_KEY_ID: SAS_KEYS[SAS_OTHER_KEY_ID]}}, after=1.0)],
                [control('config', {'access_keys': SAS_KEYS})], rejected(**revoked))
    return ('integration_task', {'task_id': Op(duration=RUNNING)},
            [control('config', {'password': 'revoked-' + uuid.uuid4().hex}, after=1.0)],
            [control('config', {'password': PASSWORDS['integration_server']})], rejected(**revoked))


def fault_cells(vendor):
    endpoint = STATUS_ENDPOINT[vendor]
    cells = []

    def add(name, expect, setup=(), args=None, teardown=()):
        module, target, target_setup = _wait_target(vendor)
        cells.append(Cell('fault_' + name, module, dict(target, **(args or {})), expect,
                          setup=list(target_setup) + list(setup), teardown=teardown, kind='fault'))

    add('baseline', ok())
    add('5xx_within_retries', ok(), [fault(kind='status', status=503, count=2, endpoint=endpoint)], {'retries': 3})
    add('5xx_beyond_retries', Expect(True, reasons=('retries_exhausted',)),
        [fault(kind='status', status=503, count=50, endpoint=endpoint)], {'retries': 2})
    add('throttle_with_hint', ok(counters={'requests_before_retry_after': 0}),
        [fault(kind='throttle', seconds=1.2, retry_after=1, endpoint=endpoint)])
    add('dropped_connection', ok(), [fault(kind='drop', count=1, endpoint=endpoint)])
    add('slower_than_request_timeout', ok(), [fault(kind='slow', delay=2.5, count=1, endpoint=endpoint)],
        {'request_timeout': 1})
    add('slow_past_deadline', Expect(True, reasons=('timed_out',), timed_out=True, msg_has=('timed out',)),
        [fault(kind='slow', delay=2.5, count=100, endpoint=endpoint)],
        {'request_timeout': 1, 'wait_timeout': 2, 'retries': 20})
    add('malformed_body', ok(), [fault(kind='malformed', count=1, endpoint=endpoint)])
    module, args, setup, teardown, expect = _loss(vendor)
    cells.append(Cell('fault_session_or_credentials_lost', module, args, expect, setup, teardown, kind='fault'))
    # No ca_path: the system bundle (REQUESTS_CA_BUNDLE on these hosts) does not trust the simulator CA.
    add('untrusted_certificate',
        rejected(sent_nothing=True, msg_has=('certificate',), msg_any=('ca_path', 'validate_certs'),
                 msg_lacks=('sslerror', 'urllib3')),
        args={'ca_path': DROP})
    add('ipv6_literal_host', ok(), args={'endpoint': '[::1]:{port}'} if vendor == 'sas' else
        {('hostname' if vendor == 'solidfire' else 'host'): '::1'})
    return cells


# --------------------------------------------------------------------------- bad input, per module

# A valid task that would start or change something: a bad value on top of it must start nothing.
STARTS = {
    'ksc_async_wait': {'method': 'HostGroup.RemoveGroup', 'params': {'nGroup': 17, 'nFlags': 1}},
    'ksc_session': {'state': 'present'},
    'sbc_async_status': {'action': ['save']},
    'solidfire_async_result': {'method': 'CloneVolume', 'params': {'volumeID': 1, 'name': 'matrix-clone'}},
    'sas_scan_task_progress': {'target_info': [{'type': 'uuid', 'name': 'host001', 'target': 'uuid-matrix-1'}]},
    'integration_task': {'task_id': Op(duration=RUNNING), 'state': 'cancelled'},
    'integration_task_info': {'task_id': Op()},
}
MODULE_VENDOR = {
    'ksc_async_wait': 'ksc', 'ksc_session': 'ksc', 'sbc_async_status': 'sbc', 'solidfire_async_result': 'solidfire',
    'sas_scan_task_progress': 'sas', 'integration_task': 'integration_server',
    'integration_task_info': 'integration_server',
}
_NUMBERS = [
    ('wait_timeout_zero', {'wait_timeout': 0}), ('wait_timeout_negative', {'wait_timeout': -5}),
    ('wait_timeout_absurd', {'wait_timeout': 10 ** 10}),
    ('poll_interval_zero', {'poll_interval': 0}), ('poll_interval_negative', {'poll_interval': -0.5}),
    ('poll_interval_nan', {'poll_interval': 'nan'}),
    ('max_poll_interval_below_poll_interval', {'poll_interval': 1, 'max_poll_interval': 0.1}),
    ('retries_negative', {'retries': -1}), ('retries_absurd', {'retries': 10 ** 7}),
    ('progress_interval_negative', {'progress_interval': -1}),
    ('max_requests_per_second_zero', {'max_requests_per_second': 0}),
]
_CONNECTION_NUMBERS = [
    ('request_timeout_zero', {'request_timeout': 0}), ('request_timeout_negative', {'request_timeout': -1}),
    ('request_timeout_absurd', {'request_timeout': 1e10}), ('request_timeout_infinite', {'request_timeout': 'inf'}),
]
_WAIT_TYPES = [
    ('wait_timeout_wrong_type', {'wait_timeout': 'ten'}), ('poll_interval_wrong_type', {'poll_interval': 'fast'}),
    ('retries_wrong_type', {'retries': [1, 2]}), ('wait_wrong_type', {'wait': 'perhaps'}),
]
_CONNECTION_TYPES = [
    ('port_wrong_type', {'port': 'https'}), ('validate_certs_wrong_type', {'validate_certs': 'perhaps'}),
    ('request_timeout_wrong_type', {'request_timeout': {'seconds': 3}}),
]

# Per module: (cell, args on top of the connection, expectation); None args start from STARTS.
_SPECIFIC = {
    'ksc_async_wait': [
        ('start_and_wait', None, ok(changed=True)),
        ('action_guid_and_method', {'action_guid': '{0}', 'method': 'HostGroup.RemoveGroup'}, invalid()),
        ('neither_action_guid_nor_method', {'params': {'nGroup': 1}}, invalid()),
        ('params_wrong_type', {'method': 'HostGroup.RemoveGroup', 'params': 'not-a-dict'}, invalid()),
        ('internal_user_wrong_type', dict(STARTS['ksc_async_wait'], internal_user='sometimes'), invalid()),
        ('no_wait_method_without_session', dict(STARTS['ksc_async_wait'], wait=False), invalid()),
        ('method_without_credentials', dict(STARTS['ksc_async_wait'], username=DROP), invalid()),
        ('unknown_action_guid', {'action_guid': '{00000000-0000-0000-0000-000000000000}', 'session_id': Session()},
         rejected()),
    ],
    'ksc_session': [
        ('present', {'state': 'present'}, ok(status=None, changed=True)),
        ('absent_on_ended_session', {'state': 'absent', 'session_id': Session('gone', ended=True)},
         ok(status=None, changed=False)),
        ('absent_on_unknown_session', {'state': 'absent', 'session_id': 'nsSim' + 'f' * 64},
         ok(status=None, changed=False)),
        ('state_wrong_choice', {'state': 'maybe'}, invalid()),
        ('absent_without_session_id', {'state': 'absent'}, invalid()),
        ('present_without_credentials', {'state': 'present', 'username': DROP, 'password': DROP}, invalid()),
    ],
    'sbc_async_status': [
        ('action_save', None, ok(changed=True)),
        ('action_wrong_choice', {'action': ['explode']}, invalid()),
        ('action_empty_list', {'action': []}, invalid()),
        ('action_and_operation', {'action': ['save'], 'operation': 'save'}, invalid()),
        ('lock_wrong_type', {'action': ['save'], 'lock': 'perhaps'}, invalid()),
        ('restore_without_source', {'action': ['restore']}, invalid()),
        ('restore_backupfile_without_filename', {'action': ['restore'], 'restore_source': 'backupFile'}, invalid()),
        ('backup_without_filename', {'action': ['backup']}, invalid()),
        ('backup_on_v1_0', {'action': ['backup'], 'filename': 'b.gz', 'api_version': 'v1.0'}, invalid()),
        ('several_actions_without_wait', {'action': ['save', 'verify'], 'wait': False}, invalid()),
        ('several_actions_without_lock', {'action': ['save', 'verify'], 'lock': False}, invalid()),
        ('token_lifetime_zero', {'action': ['save'], 'token_lifetime': 0}, invalid()),
        ('token_lifetime_negative', {'action': ['save'], 'token_lifetime': -1}, invalid()),
        ('token_lifetime_absurd', {'action': ['save'], 'token_lifetime': 10 ** 9}, invalid()),
        # A long list of real work: the deadline must hold across the list, and the lock be released.
        ('very_long_action_list', {'action': ['verify'] * 200, 'wait_timeout': 3},
         Expect(True, reasons=('timed_out',), timed_out=True, msg_has=('timed out',))),
        ('other_operation_reported', {'operation': 'backup'},
         Expect(True, reasons=('operation_failed', 'request_rejected'), msg_has=('save', 'backup'), fast=True),
         [control('operations', {'operation': 'save', 'duration': 0})]),
    ],
    'solidfire_async_result': [
        ('clone_and_wait', None, ok(changed=True)),
        ('three_handles', {'async_handles': Op(count=3)}, ok()),
        ('async_handle_wrong_type', {'async_handle': 'abc'}, invalid()),
        ('async_handles_wrong_type', {'async_handles': {'a': 1}}, invalid()),
        ('async_handles_wrong_elements', {'async_handles': ['x', 'y']}, invalid()),
        ('async_handles_empty_list', {'async_handles': []}, invalid()),
        ('async_handle_and_async_handles', {'async_handle': 1, 'async_handles': [1]}, invalid()),
        ('async_handle_and_method', dict(STARTS['solidfire_async_result'], async_handle=1), invalid()),
        ('params_without_method', {'params': {'volumeID': 1}}, invalid()),
        ('method_empty', {'method': '', 'params': {'volumeID': 1}}, invalid()),
        ('keep_result_wrong_type', {'async_handle': 1, 'keep_result': 'perhaps'}, invalid()),
        ('unknown_handle', {'async_handle': 987654}, rejected()),
        ('very_long_list_of_unknown_handles', {'async_handles': list(range(100000, 105000)), 'wait_timeout': 4},
         Expect(True, reasons=('request_rejected', 'timed_out'))),
    ],
    'sas_scan_task_progress': [
        ('start_and_wait', None, ok(changed=True)),
        ('task_id_wrong_type', {'task_id': 'abc'}, invalid()),
        ('target_info_wrong_type', {'target_info': 'host001'}, invalid()),
        ('target_info_empty_list', {'target_info': []}, invalid()),
        ('target_info_wrong_choice', {'target_info': [{'type': 'bogus', 'target': 'x'}]}, invalid()),
        ('target_info_missing_target', {'target_info': [{'type': 'uuid', 'name': 'host001'}]}, invalid()),
        ('task_id_and_target_info', dict(STARTS['sas_scan_task_progress'], task_id=1), invalid()),
        ('neither_task_id_nor_target_info', {}, invalid()),
        ('signature_version_wrong_choice', {'task_id': 1, 'signature_version': 'v2'}, invalid()),
        ('without_access_key_secret', dict(STARTS['sas_scan_task_progress'], access_key_secret=DROP), invalid()),
        ('unknown_task_id', {'task_id': 999999999}, rejected()),
        ('very_long_target_list', {'target_info': [{'type': 'uuid', 'name': 'h%d' % i, 'target': 'uuid-%05d' % i}
                                                   for i in range(1000)]},
         # Valid input: a scan of them all, or one clear sentence if the API cannot take that many.
         Expect(None, reasons=('request_rejected',))),
    ],
    'integration_task': [
        ('cancel_running_task', None, ok(status='cancelled', changed=True)),
        ('three_completed_tasks', {'task_ids': Op(count=3)}, ok()),
        ('task_id_and_task_ids', {'task_id': 'a', 'task_ids': ['b']}, invalid()),
        ('neither_task_id_nor_task_ids', {'state': 'completed'}, invalid()),
        ('task_ids_empty_list', {'task_ids': []}, invalid()),
        ('task_ids_wrong_type', {'task_ids': {'a': 1}}, invalid()),
        ('state_wrong_choice', {'task_id': 'a', 'state': 'gone'}, invalid()),
        ('unknown_task_id', {'task_id': 'no-such-task'}, rejected()),
        ('cancel_unknown_task_id', {'task_id': 'no-such-task', 'state': 'cancelled'}, rejected(starts_nothing=False)),
        ('very_long_list_of_unknown_ids', {'task_ids': [str(uuid.UUID(int=i)) for i in range(1, 3001)],
                                           'wait_timeout': 4},
         Expect(True, reasons=('request_rejected', 'timed_out'))),
    ],
    'integration_task_info': [
        ('one_task', None, ok(status=None)),
        ('completed_tasks', {'state': 'Completed'}, ok(status=None)),
        ('task_id_and_state', {'task_id': 'a', 'state': 'Completed'}, invalid()),
        ('state_wrong_choice', {'state': 'Exploded'}, invalid()),
        ('created_from_not_a_date', {'created_from': 'yesterday'}, invalid()),
        ('unknown_task_id', {'task_id': 'no-such-task'}, rejected()),
    ],
}


def input_cells(module):
    start = STARTS[module]
    cells = []
    for entry in _SPECIFIC[module]:
        name, args, expect = entry[:3]
        setup = entry[3] if len(entry) > 3 else ()
        cells.append(Cell('%s_%s' % (module, name), module, dict(start) if args is None else args, expect, setup))
    bad = list(_CONNECTION_NUMBERS) + list(_CONNECTION_TYPES)
    if module in WAITING:
        bad += _NUMBERS + _WAIT_TYPES
    for name, args in bad:
        cells.append(Cell('%s_%s' % (module, name), module, dict(start, **args), invalid(),
                          both_ways=name in BOTH_WAYS or 'wrong_type' in name))
    return cells


# Numbers are checked by task.perform(), the same code on both ways; every module runs each of
# them on the controller (a tenth of a second a task), and on the target (a Python start, a
# second of CPU a task) the ones the issue found starting work. Wrong types, combinations and
# faults run both ways: ansible-core validates a module's options itself on the target.
BOTH_WAYS = {'wait_timeout_zero', 'wait_timeout_negative', 'request_timeout_zero', 'request_timeout_negative'}


def vendor_cells(vendor, mode='controller'):
    cells = fault_cells(vendor)
    for module, owner in MODULE_VENDOR.items():
        if owner == vendor:
            cells.extend(input_cells(module))
    return [cell for cell in cells if mode == 'controller' or cell.both_ways]
