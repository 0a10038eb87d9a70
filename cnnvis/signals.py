"""Signals that end a run become an exception, so that every clean-up runs: atomic_path
removes its temporary, the partial output never appears.

SIGINT already raises KeyboardInterrupt. Inside ``terminating()`` the other signals that
end a process by default and that a process can catch (SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
SIGUSR2, SIGALRM, SIGXCPU, SIGVTALRM, SIGPROF) raise Terminated, and SIGXFSZ is ignored,
so that a write past the file-size limit fails with EFBIG (an OutputError) instead of
killing the process. A signal the parent set to be ignored (nohup's SIGHUP) stays ignored.
The CLI then exits with 128 + the signal's number, as a shell reports a signal: 130 for
SIGINT, 143 for SIGTERM, 129 for SIGHUP. SIGKILL cannot be caught: its leftovers are swept
by the next write into the folder (see cnnvis/io.py).
"""
import contextlib
import signal

NAMES = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGXCPU", "SIGVTALRM", "SIGPROF")
CAUGHT = tuple(getattr(signal, name) for name in NAMES if hasattr(signal, name))
IGNORED = (signal.SIGXFSZ,) if hasattr(signal, "SIGXFSZ") else ()


class Terminated(BaseException):
    """A terminating signal arrived (a BaseException, like KeyboardInterrupt: `except Exception`
    does not swallow it)."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum, frame):
    for s in CAUGHT:  # a second signal must not interrupt the clean-up of the first
        signal.signal(s, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def terminating():
    """Within the block, the signals of the module docstring raise Terminated and SIGXFSZ is
    ignored; the previous handlers come back after it. Does nothing outside the main thread."""
    before = {}
    try:
        for s, handler in [(s, _raise) for s in CAUGHT] + [(s, signal.SIG_IGN) for s in IGNORED]:
            if signal.getsignal(s) == signal.SIG_DFL:
                before[s] = signal.signal(s, handler)
    except ValueError:  # signal.signal works only in the main thread
        pass
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
