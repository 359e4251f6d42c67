"""HTML pages of the web UI (a stub until the web UI lands)."""

from fastapi import APIRouter

router = APIRouter()
