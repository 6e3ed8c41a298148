"""Pure domain: tickets, numbering, hours, windows, routing and ETA. No I/O here."""
