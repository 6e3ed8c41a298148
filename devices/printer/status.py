"""Printer sensors: paper, cover, and whether the printer answers at all.

python-escpos' `paper_status()` cannot tell "no paper" from "no answer" (it reads whatever
the link returns, or nothing), and its reads wait as long as the transport does. Here the
three real-time queries (`DLE EOT 1` printer, `DLE EOT 2` offline cause, `DLE EOT 4` paper
roll) go out together and the three answers are read back under a deadline. No answer, or
bytes that are not a status byte (every DLE EOT answer has bits 1 and 4 set and bits 0 and 7
clear; a `loop://` line echoing the query does not), mean offline; only a real answer can say
"paper out". A printer that answers but calls itself offline for no reason we can name
(cutter jam, overheating) is reported offline too: it will not print.

A printer without sensors (the file transport) is always ready; `FixedSensors` stands in for
it and lets a demo or test set any state.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from typing import Protocol

from devices.printer.transport import Deadlines, PrinterLink, PrinterTimeout, read_exact
from devices.protocol.messages import PaperState, PrintError, PrinterStatus

logger = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
QUERY = DLE_EOT + b"\x01" + DLE_EOT + b"\x02" + DLE_EOT + b"\x04"
"""Printer status, offline cause, paper roll sensor: three one-byte answers, in order."""

FIXED_MASK, FIXED_BITS = 0x93, 0x12
PRINTER_OFFLINE = 0x08  # DLE EOT 1, bit 3
COVER_OPEN = 0x04  # DLE EOT 2, bit 2
PAPER_END_STOP = 0x20  # DLE EOT 2, bit 5: printing stopped because the paper ran out
ERROR = 0x40  # DLE EOT 2, bit 6
NEAR_END = 0x0C  # DLE EOT 4, bits 2-3
ROLL_END = 0x60  # DLE EOT 4, bits 5-6


@dataclass(frozen=True)
class Sensors:
    """One reading of a printer's sensors."""

    answered: bool
    paper: PaperState = PaperState.OK
    cover_open: bool = False
    fault: bool = False

    @property
    def online(self) -> bool:
        """Whether the printer answered and is not stopped for an unnamed reason."""
        return self.answered and not self.fault

    def blocking(self) -> PrintError | None:
        """Why a job must not be sent now, or None when it may."""
        if not self.answered:
            return PrintError.OFFLINE
        if self.cover_open:
            return PrintError.COVER_OPEN
        if self.paper is PaperState.OUT:
            return PrintError.PAPER_OUT
        if self.fault:
            return PrintError.OFFLINE
        return None

    def message(self) -> PrinterStatus:
        """The bus message for this reading."""
        return PrinterStatus(paper=self.paper, cover_open=self.cover_open, online=self.online)

    def key(self) -> tuple[PaperState, bool, bool]:
        """What a status change is judged by (the fields of the bus message)."""
        return (self.paper, self.cover_open, self.online)

    def unanswered(self) -> Sensors:
        """This reading's paper and cover, for a printer that stopped answering."""
        return replace(self, answered=False, fault=False)


READY = Sensors(answered=True)


def is_status_byte(value: int) -> bool:
    """Whether a byte has the fixed bits of every DLE EOT answer."""
    return value & FIXED_MASK == FIXED_BITS


def interpret(answer: bytes) -> Sensors | None:
    """The sensors in the three answers to QUERY, or None when they are not answers."""
    if len(answer) != 3 or not all(is_status_byte(b) for b in answer):
        return None
    printer, cause, roll = answer
    cover = bool(cause & COVER_OPEN)
    if roll & ROLL_END or cause & PAPER_END_STOP:
        paper = PaperState.OUT
    elif roll & NEAR_END:
        paper = PaperState.NEAR_END
    else:
        paper = PaperState.OK
    explained = cover or paper is PaperState.OUT
    fault = bool(cause & ERROR) or (bool(printer & PRINTER_OFFLINE) and not explained)
    return Sensors(answered=True, paper=paper, cover_open=cover, fault=fault)


class SensorSource(Protocol):
    """Where a driver gets sensor readings from."""

    def read(self, link: PrinterLink, deadlines: Deadlines, timeout: float) -> Sensors:
        """A reading, taking at most about `timeout` seconds; never raises for no answer."""


class QuerySensors:
    """Asks the printer itself over its link."""

    def read(self, link: PrinterLink, deadlines: Deadlines, timeout: float) -> Sensors:
        """Send the three queries and read the answers under the deadline."""
        def ask() -> bytes:
            link.discard_input()  # a late answer to an earlier query must not be read now
            link.write(QUERY)
            return read_exact(link, 3, timeout)

        try:
            answer = deadlines.run(ask, timeout + 0.5, what="status")
        except PrinterTimeout:
            logger.info("%s: no status answer within %.1fs", link.name, timeout)
            return Sensors(answered=False)
        sensors = interpret(answer)
        if sensors is None:
            logger.info("%s: no valid status answer (%d bytes)", link.name, len(answer))
            return Sensors(answered=False)
        return sensors


class FixedSensors:
    """A settable reading: the file transport (always ready by default), demos and tests."""

    def __init__(self, sensors: Sensors = READY) -> None:
        self._lock = threading.Lock()
        self._sensors = sensors

    def set(self, sensors: Sensors) -> None:
        """What the next readings return."""
        with self._lock:
            self._sensors = sensors

    def read(self, link: PrinterLink, deadlines: Deadlines, timeout: float) -> Sensors:
        """The reading last set."""
        with self._lock:
            return self._sensors
