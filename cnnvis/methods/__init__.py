"""Visualization methods. Each takes (net, inputs, target, ...) and returns NumPy arrays."""
from .targets import Unit, gradient, resolve

__all__ = ["Unit", "gradient", "resolve"]
