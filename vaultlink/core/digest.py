"""A file's content digest: what an edit is planned from, and what the writer checks again just
before it replaces the file."""

from __future__ import annotations

import hashlib


def digest(data: bytes) -> str:
    """The SHA-256 of ``data``, in hex."""
    return hashlib.sha256(data).hexdigest()
