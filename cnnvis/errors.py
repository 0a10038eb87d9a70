"""Errors a user can cause. Each message says what was wrong and what to do."""


class CnnvisError(Exception):
    """Base class of every error cnnvis raises on bad input."""


class InputError(CnnvisError, ValueError):
    """An argument or array is malformed: wrong shape, mode, range, NaN, bad parameter."""


class LayerNotFoundError(CnnvisError, KeyError):
    """A layer name that the network does not have."""

    def __str__(self):  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class TargetError(CnnvisError, ValueError):
    """A class index, class name or unit that the network cannot score."""


class WeightsError(CnnvisError, ValueError):
    """A weights file that is missing, corrupt, truncated or does not match the network."""


class BackendError(CnnvisError, RuntimeError):
    """A backend that is unknown or not available on this machine (e.g. the GPU without CuPy)."""


class OutputError(CnnvisError, OSError):
    """An output that cannot be written: a bad name or extension, a folder in the way, no
    permission, a full disk or a file-size limit. Also an OSError, as the failure it reports."""
