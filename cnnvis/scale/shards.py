"""Shards: a run's images cut into consecutive groups, the unit of work, of retry and of
resumption. Shard k holds images k*S .. k*S + S - 1 (S the shard size), so a shard's batches
are the batches one in-process pass would make (when S is a multiple of the batch size):
the same numbers, whoever computes them.

A shard's key is a digest of everything its outputs depend on: the job (its kind, parameters,
network and cnnvis's version), its first index, and each image's path, target, name, size and
modification time. A finished shard's record holds its key; a later run with the same key
skips it, and any change (a parameter, an edited image, another shard size) recomputes it.
"""
import hashlib
import json
import os
from dataclasses import dataclass

from ..errors import InputError
from ..methods.targets import as_text


@dataclass(frozen=True)
class Shard:
    """index: its number; first: the index of its first image in the run; items: its Items;
    key: the digest (module docstring)."""
    index: int
    first: int
    items: tuple
    key: str


def digest(value):
    """The SHA-256 (hex) of a JSON-able value."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def split(items, shard_size, job_key):
    """The Shards of ``items`` (inputs.Item), ``shard_size`` images each (the last fewer)."""
    if int(shard_size) < 1:
        raise InputError(f"the shard size must be at least 1, got {shard_size}")
    size = int(shard_size)
    shards = []
    for index, first in enumerate(range(0, len(items), size)):
        part = tuple(items[first:first + size])
        stamps = [(i.path, None if i.target is None else as_text(i.target), i.name, *_stamp(i.path)) for i in part]
        shards.append(Shard(index, first, part, digest([job_key, first, stamps])))
    return shards


def _stamp(path):
    try:
        info = os.stat(path)
    except OSError:  # gone since it was listed: the worker reports it as a failed image
        return None, None
    return info.st_size, info.st_mtime_ns
