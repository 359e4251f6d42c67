"""A local Backlog space: generated data behind Backlog API v2 on a loopback HTTP server.

It imports nothing else of backlog_connector: it is the other side of the wire.
"""

from .config import FAULT_KINDS, PLAN_LIMITS, EmulatorConfig
from .emulator import Emulator

__all__ = ["FAULT_KINDS", "PLAN_LIMITS", "Emulator", "EmulatorConfig"]
