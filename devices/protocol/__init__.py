"""The device protocol: topics, message models and which message goes where."""
