"""Chunked uploads into local storage, hashed while they arrive when that is free.

hashlib cannot save its state, so a server process keeps the running sha256 of an upload it is
receiving, keyed by (session, offset). A chunk is hashed only when this process holds the hasher
for exactly the stored offset. When a chunk lands on another web worker, or after a restart, the
stored prefix is never read again (with several workers, that turned every chunk into a re-read
of the whole upload so far); the session is marked `hash_deferred` and the video worker computes
the sha256 once, when it processes the source (as it does for S3 uploads).
"""

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

from django.core.files.storage import default_storage

from ..models import UploadSession

READ_SIZE = 1024 * 1024
_hashers = OrderedDict()  # session id → (offset, hasher), this process only
_lock = threading.Lock()
_MAX_HASHERS = 64


def part_name(session_id):
    return f"uploads/{session_id}.part"


def part_path(session):
    return Path(default_storage.path(session.storage_name))


def _take_hasher(session):
    """The running sha256 of exactly the stored prefix, or None (the hash is deferred)."""
    with _lock:
        entry = _hashers.pop(session.pk, None)
    if session.hash_deferred:
        return None
    if entry and entry[0] == session.offset:
        return entry[1]
    if session.offset == 0:
        return hashlib.sha256()
    # Another process received the previous chunk: leave the hash to the worker.
    UploadSession.objects.filter(pk=session.pk).update(hash_deferred=True)
    session.hash_deferred = True
    return None


def _keep(session_id, offset, hasher):
    if hasher is None:
        return
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
    before = hasher.copy() if hasher is not None else None  # kept if this chunk is refused
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
            if hasher is not None:
                hasher.update(data)
            received += len(data)
        if received != length:
            # The connection dropped mid-chunk: keep only what was acknowledged before.
            handle.truncate(start)
            _keep(session.pk, start, before)
            raise ChunkError("分块没有传完整，请从已确认的位置继续上传。", status=400)
        handle.flush()
        os.fsync(handle.fileno())
    new_offset = start + received
    # The offset only moves if nobody else moved it meanwhile (the same upload in two tabs).
    moved = UploadSession.objects.filter(pk=session.pk, offset=start).update(offset=new_offset)
    if not moved:
        raise ChunkError("上传位置已变化，请重新查询进度后继续。", status=409)
    session.offset = new_offset
    _keep(session.pk, new_offset, hasher)
    return new_offset


def finish_hash(session):
    """The upload's sha256, or "" when it is left to the worker."""
    hasher = _take_hasher(session)
    forget(session.pk)
    return hasher.hexdigest() if hasher is not None else ""


def discard(session):
    forget(session.pk)
    part_path(session).unlink(missing_ok=True)
