"""Kivy apps: queue-number kiosk, self-service terminal, rating pad."""
