"""Digests are SHA-1 whichever implementation gives them (the cache's keys depend on it)."""

from __future__ import annotations

import hashlib
import os

from poolcheck import digests


def test_digests_are_sha1_before_and_after_the_switch_to_openssl(monkeypatch):
    monkeypatch.setattr(digests, "_hashed", 0)
    monkeypatch.setattr(digests, "_openssl_sha1", None)
    pieces = [b"", b"x = 1\n", os.urandom(300_000), os.urandom(900_000), b"after the switch"]
    used = []
    for data in pieces:
        assert digests.sha1_hex(data) == hashlib.sha1(data).hexdigest()
        used.append(digests._openssl_sha1 is not None)
    # The builtin hashes the first megabyte; OpenSSL takes over once a run hashes more.
    assert used == [False, False, False, True, True]
