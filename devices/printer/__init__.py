"""ESC/POS printing for kiosks and windows: tickets and receipts, printed once.

The pieces are separate so each can be tested on its own: `render` turns a document into
bytes (pure), `transport` and `status` talk to the printer under a deadline, `journal`
remembers which jobs were started, `driver` puts them together and `agent` puts the driver
on the bus. `decode` and `fake` are the test side of the same byte stream.
"""
