"""OneWindow hall server."""
