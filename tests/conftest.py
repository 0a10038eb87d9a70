"""Shared test fixtures. cnnvis's CPU settings are applied first, as the command line does
(before NumPy and torch load: see cnnvis/_startup.py).

In CI (CI=true) a skipped test fails: the suite's skips mean that something the claims rest
on is missing (Chromium, Debian's Fashion-MNIST, an installed weights package), and `pytest
-q` would otherwise report success without saying so. Tests deselected by a marker (the
`gpu` tests, setup.cfg's addopts) are not skips and stay deselected; xfail is untouched.
"""
import os

import cnnvis

cnnvis.cpu_setup()

import numpy as np  # noqa: E402
import pytest  # noqa: E402

SKIPS_FAIL = os.environ.get("CI", "").lower() == "true"
_skipped_modules = []  # (module, reason): a module-level pytest.skip / importorskip in CI


def _reason(report):
    return report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is reported failed, with the skip's reason."""
    outcome = yield
    report = outcome.get_result()
    if SKIPS_FAIL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (CI=true), which counts as a failure: {_reason(report)}"


def pytest_collectreport(report):
    if SKIPS_FAIL and report.skipped:
        _skipped_modules.append((report.nodeid, _reason(report)))


def pytest_terminal_summary(terminalreporter):
    for module, reason in _skipped_modules:
        terminalreporter.write_line(f"FAILED {module}: skipped in CI (CI=true), which counts as a "
                                    f"failure: {reason}", red=True)


def pytest_sessionfinish(session, exitstatus):
    if _skipped_modules and exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(params=["auto", "im2col"])
def conv_algorithm(request):
    """Run under both conv paths: 'auto' (Winograd where it applies, else im2col) and 'im2col' only."""
    from cnnvis.engine import ops
    before = ops.settings["conv"]
    ops.set_conv_algorithm(request.param)
    yield request.param
    ops.set_conv_algorithm(before)


@pytest.fixture(scope="session")
def torch():
    import torch as _torch
    _torch.set_num_threads(2)
    return _torch


def rel_err(a, b):
    """max |a - b| / max |b| (0 when both are all zero)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = np.abs(b).max()
    return float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a).max())


def agreement(record_property, name, value, tol):
    """Assert value <= tol, recording both for the report (property ``name`` and ``name tol``;
    benchmarks/tolerances.py tabulates them in BENCHMARKS.md)."""
    value = float(value)
    record_property(name, value)
    record_property(f"{name} tol", tol)
    assert value <= tol, f"{name}: {value:.3g} > tolerance {tol:g}"
