# -*- coding: utf-8 -*-
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Alibaba Cloud request signatures, standard library only.

- V1 ``HMAC-SHA1`` (RPC style): the signature is one more query parameter.
- V3 ``ACS3-HMAC-SHA256``: the signature is an ``Authorization`` header over a canonical request.

Both are checked against Alibaba's published known-answer vectors in the unit tests and against
Alibaba's own SDK signers in ``tests/extra``. Nothing here knows Security Center or Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import time
import uuid

from urllib.parse import quote

V1_METHOD = 'HMAC-SHA1'
V1_VERSION = '1.0'
V3_ALGORITHM = 'ACS3-HMAC-SHA256'
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b'').hexdigest()


def percent_encode(value):
    """RFC 3986: unreserved ``A-Za-z0-9-_.~`` kept, everything else UTF-8 and ``%XX`` in upper case."""
    if not isinstance(value, bytes):
        value = str(value).encode('utf-8')
    return quote(value, safe='-_.~')


def canonical_query(params):
    """``enc(k)=enc(v)`` sorted by encoded key and joined by ``&``: both versions use this form."""
    pairs = sorted((percent_encode(k), percent_encode('' if v is None else v)) for k, v in params.items())
    return '&'.join('%s=%s' % pair for pair in pairs)


def utc_timestamp(now=None):
    """``YYYY-MM-DDThh:mm:ssZ``, the form both versions expect; ``now`` is seconds since the epoch."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() if now is None else now))


def new_nonce():
    """A fresh nonce: the server rejects any nonce it has seen before."""
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- V1 (HMAC-SHA1, RPC)

def v1_string_to_sign(method, params):
    return '%s&%s&%s' % (method.upper(), percent_encode('/'), percent_encode(canonical_query(params)))


def v1_signature(method, params, access_key_secret):
    """base64(HMAC-SHA1(secret + "&", string to sign)); ``params`` without ``Signature``."""
    digest = hmac.new((access_key_secret + '&').encode('utf-8'),
                      v1_string_to_sign(method, params).encode('utf-8'), hashlib.sha1).digest()
    return base64.b64encode(digest).decode('ascii')


def v1_signed_params(method, action, version, params, access_key_id, access_key_secret, security_token=None,
                     nonce=None, timestamp=None, response_format='JSON'):
    """The action's parameters plus every common parameter of a V1 request, ``Signature`` included."""
    signed = dict(params)
    signed.update(
        Action=action,
        Version=version,
        Format=response_format,
        AccessKeyId=access_key_id,
        SignatureMethod=V1_METHOD,
        SignatureVersion=V1_VERSION,
        SignatureNonce=nonce or new_nonce(),
        Timestamp=timestamp or utc_timestamp(),
    )
    if security_token:
        signed['SecurityToken'] = security_token
    signed['Signature'] = v1_signature(method, signed, access_key_secret)
    return signed


# --------------------------------------------------------------------------- V3 (ACS3-HMAC-SHA256)

def v3_canonical_request(method, path, query, headers, payload_hash):
    """``headers`` are the signed ones only; names are lower-cased and sorted, values trimmed."""
    signed = sorted((name.lower(), str(value).strip()) for name, value in headers.items())
    canonical_headers = ''.join('%s:%s\n' % pair for pair in signed)
    signed_names = ';'.join(name for name, dummy in signed)
    request = '\n'.join([method.upper(), path or '/', canonical_query(query), canonical_headers, signed_names,
                         payload_hash])
    return request, signed_names


def v3_signature(method, path, query, headers, payload_hash, access_key_secret):
    """Returns ``(signed header names, hex signature)``."""
    request, signed_names = v3_canonical_request(method, path, query, headers, payload_hash)
    string_to_sign = '%s\n%s' % (V3_ALGORITHM, hashlib.sha256(request.encode('utf-8')).hexdigest())
    signature = hmac.new(access_key_secret.encode('utf-8'), string_to_sign.encode('utf-8'), hashlib.sha256).hexdigest()
    return signed_names, signature


def v3_signed_headers(method, host, action, version, query, body, access_key_id, access_key_secret,
                      security_token=None, nonce=None, date=None, path='/'):
    """Every header a V3 request needs, ``Authorization`` included. ``body`` is bytes."""
    headers = {
        'host': host,
        'x-acs-action': action,
        'x-acs-version': version,
        'x-acs-date': date or utc_timestamp(),
        'x-acs-signature-nonce': nonce or new_nonce(),
        'x-acs-content-sha256': hashlib.sha256(body or b'').hexdigest(),
    }
    if security_token:
        headers['x-acs-security-token'] = security_token
    signed_names, signature = v3_signature(method, path, query, headers, headers['x-acs-content-sha256'],
                                           access_key_secret)
    headers['Authorization'] = '%s Credential=%s,SignedHeaders=%s,Signature=%s' % (
        V3_ALGORITHM, access_key_id, signed_names, signature)
    return headers
