"""API routes: the hall call screen and the phone ticket page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
