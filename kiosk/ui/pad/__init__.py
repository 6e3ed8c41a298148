"""The Kivy screens of the rating pad (评价器): draw a `PadView`, forward taps to the
`PadController`. Importing this package opens no window."""

import os

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
