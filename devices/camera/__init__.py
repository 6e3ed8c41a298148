"""The kiosk camera: latest-frame reader, QR decoding and a scanner that reports each code once.

Kept apart from the UI so it runs and is tested without a window; the kiosk shows the
reader's frames and listens to the scanner.
"""
