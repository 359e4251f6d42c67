"""Backlog Connector: Backlog (Nulab) issue data into analytics datasets."""

__version__ = "0.1.0"
