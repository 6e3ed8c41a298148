"""The Kivy screens of the kiosk (取号机) and the self-service terminal: draw a `KioskView`,
forward taps to the controller. Importing this package opens no window.

Kivy reads two switches when it is first imported; the defaults here keep it from parsing
the kiosk's command line and from rewiring the process's logging (set them to override).
"""

import os

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
