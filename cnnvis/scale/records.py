"""A shard's completion record, OUT/shards/NNNNN.json: written by the worker after every
output of the shard, atomically, so that its presence means the shard is done.

    {"shard": 7, "key": "...", "first": 448, "count": 64, "images": [global indices done],
     "failed": [{"index", "path", "error"}], "outputs": [paths relative to OUT],
     "rows": [per-image facts the reduction tabulates], "part": "shards/00007.npz" or null,
     "seconds": 12.3, "host": "...", "pid": 1234, "finished": "2026-..."}

A record is trusted only when its key is the shard's and every output it lists exists;
else the shard runs again (and overwrites what a killed attempt left).
"""
import json
import os

from ..io import write_text


def write_record(layout, shard, record):
    write_text(layout.path(layout.record(shard.index)), json.dumps(record, indent=1) + "\n")


def finished(layout, shard):
    """Shard ``shard``'s record when it is done by a run with the same key, else None."""
    try:
        with open(layout.path(layout.record(shard.index)), encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    if record.get("key") != shard.key:
        return None
    listed = record.get("outputs", []) + ([record["part"]] if record.get("part") else [])
    return record if all(os.path.exists(layout.path(p)) for p in listed) else None
