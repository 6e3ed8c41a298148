"""The pad's screenshot tests share their runner with the kiosk's (tests/kiosk_ui/
shot_runner.py) rather than copying it."""

from __future__ import annotations

import sys
from pathlib import Path

KIOSK_UI = Path(__file__).resolve().parents[1] / "kiosk_ui"
if str(KIOSK_UI) not in sys.path:
    sys.path.append(str(KIOSK_UI))  # shot_runner
