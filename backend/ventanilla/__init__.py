"""Ventanilla: customer self-service portal for online shops."""

__version__ = "0.1.0"
