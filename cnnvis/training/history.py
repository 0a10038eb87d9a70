"""The record of a training run: one row per epoch, saved as JSON and CSV (atomically)."""
import csv
import io
import json

from ..errors import InputError
from ..io import write_text

COLUMNS = ("epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc", "penalty", "seconds")


class History:
    """rows: [{column: value}] per epoch (COLUMNS; val_* are None without validation data);
    config: the run's settings (JSON-able)."""

    def __init__(self, config=None, rows=None):
        self.config = dict(config or {})
        self.rows = list(rows or [])

    def append(self, row):
        self.rows.append({k: row.get(k) for k in COLUMNS})

    def column(self, name):
        """[value per epoch] of one column."""
        if name not in COLUMNS:
            raise InputError(f"no column {name!r}; the columns are {COLUMNS}")
        return [r[name] for r in self.rows]

    def __len__(self):
        return len(self.rows)

    def to_csv(self):
        buf = io.StringIO()
        writer = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in self.rows)
        return buf.getvalue()

    def save(self, path_stem):
        """Write path_stem.json (config and rows) and path_stem.csv (rows). Returns the JSON path."""
        write_text(f"{path_stem}.csv", self.to_csv())
        return write_text(f"{path_stem}.json",
                          json.dumps({"config": self.config, "epochs": self.rows}, indent=1))

    @classmethod
    def load(cls, path):
        """A History from the JSON file written by save()."""
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            return cls(data["config"], data["epochs"])
        except FileNotFoundError:
            raise InputError(f"history file not found: {path}; give the history.json a training run "
                             "wrote (`cnnvis train --out DIR` writes DIR/checkpoints/history.json)") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path} is not a cnnvis training history ({exc}); give the "
                             "history.json a training run wrote") from None
