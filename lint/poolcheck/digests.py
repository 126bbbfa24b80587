"""SHA-1 digests of file contents and of keys, without OpenSSL's start in small runs.

``hashlib`` starts OpenSSL when imported (3-4 ms, a few percent of a one-file run), while
CPython's own ``_sha1`` costs nothing to import but hashes about seven times slower. A run
uses ``_sha1`` until it has hashed a megabyte (about 9 ms of hashing), then OpenSSL: a
one-file run never starts OpenSSL, and a run that reads a whole tree pays at most a few
milliseconds for having started with the slower one. Both give the same digests.
"""

from __future__ import annotations

try:
    from _sha1 import sha1 as _builtin_sha1
except ImportError:  # pragma: no cover - an interpreter built without its own hashes
    _builtin_sha1 = None

_BUILTIN_BUDGET = 1 << 20  # bytes hashed with _sha1 before switching to OpenSSL's
_hashed = 0
_openssl_sha1 = None


def sha1_hex(data: bytes) -> str:
    """The SHA-1 digest of ``data``, as hexadecimal text."""
    global _hashed, _openssl_sha1
    if _openssl_sha1 is None:
        _hashed += len(data)
        if _builtin_sha1 is not None and _hashed <= _BUILTIN_BUDGET:
            return _builtin_sha1(data).hexdigest()
        import hashlib

        _openssl_sha1 = hashlib.sha1
    return _openssl_sha1(data).hexdigest()
