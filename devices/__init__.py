"""Device-side code shared by the server, kiosk apps and agents."""
