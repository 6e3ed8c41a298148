"""API routes: admin (filled in by issue #6/#7 work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
