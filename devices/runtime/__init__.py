"""The one MQTT client every device app uses, with its persistent outbox."""
