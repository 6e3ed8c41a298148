"""The MQTT bus adapter: broker accounts and ACLs, the embedded broker, Mosquitto config."""
