"""Subcommands of the cnnvis CLI, one module each (see cnnvis/cli.py)."""
