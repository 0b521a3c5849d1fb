"""Chunked uploads into local storage, hashed while they arrive.

hashlib cannot save its state, so each server process keeps the running sha256 of the uploads
it is receiving, keyed by (session, offset). A chunk that arrives at a process without that
state (after a restart, or at another worker) first rehashes the part already stored, once,
and carries on from there.
"""

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

from django.core.files.storage import default_storage

from ..models import UploadSession

READ_SIZE = 1024 * 1024
_hashers = OrderedDict()
_lock = threading.Lock()
_MAX_HASHERS = 64


def part_name(session_id):
    return f"uploads/{session_id}.part"


def part_path(session):
    return Path(default_storage.path(session.storage_name))


def _take_hasher(session):
    """The sha256 of the first `session.offset` bytes, from memory or by rehashing them."""
    with _lock:
        entry = _hashers.pop(session.pk, None)
    if entry and entry[0] == session.offset:
        return entry[1]
    hasher = hashlib.sha256()
    path = part_path(session)
    remaining = session.offset
    if remaining:
        with open(path, "rb") as handle:
            while remaining:
                data = handle.read(min(READ_SIZE, remaining))
                if not data:
                    raise OSError("stored part is shorter than its offset")
                hasher.update(data)
                remaining -= len(data)
    return hasher


def _keep_hasher(session_id, offset, hasher):
    with _lock:
        _hashers[session_id] = (offset, hasher)
        while len(_hashers) > _MAX_HASHERS:
            _hashers.popitem(last=False)


def forget(session_id):
    with _lock:
        _hashers.pop(session_id, None)


class ChunkError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


def receive_chunk(session, stream, length, first_bytes_check):
    """Append `length` bytes from `stream` at `session.offset`. Returns the new offset.

    Bytes beyond what was acknowledged (a chunk cut off earlier) are truncated first, so the
    file always equals exactly the acknowledged prefix plus this chunk.
    """
    path = part_path(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    hasher = _take_hasher(session)
    start = session.offset
    received = 0
    with open(path, "r+b" if path.exists() else "w+b") as handle:
        handle.truncate(start)
        handle.seek(start)
        while received < length:
            data = stream.read(min(READ_SIZE, length - received))
            if not data:
                break
            if start == 0 and received == 0:
                error = first_bytes_check(data)
                if error:
                    raise ChunkError(error, status=415)
            handle.write(data)
            hasher.update(data)
            received += len(data)
        if received != length:
            # The connection dropped mid-chunk: keep only what was acknowledged before.
            handle.truncate(start)
            forget(session.pk)
            raise ChunkError("分块没有传完整，请从已确认的位置继续上传。", status=400)
        handle.flush()
        os.fsync(handle.fileno())
    new_offset = start + received
    # The offset only moves if nobody else moved it meanwhile (the same upload in two tabs).
    moved = UploadSession.objects.filter(pk=session.pk, offset=start).update(offset=new_offset)
    if not moved:
        forget(session.pk)
        raise ChunkError("上传位置已变化，请重新查询进度后继续。", status=409)
    session.offset = new_offset
    _keep_hasher(session.pk, new_offset, hasher)
    return new_offset


def finish_hash(session):
    hasher = _take_hasher(session)
    forget(session.pk)
    return hasher.hexdigest()


def discard(session):
    forget(session.pk)
    part_path(session).unlink(missing_ok=True)
