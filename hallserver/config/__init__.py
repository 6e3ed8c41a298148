"""Hall layout configuration: models and the YAML loader."""

from hallserver.config.loader import ConfigError, ConfigIssue, load_hall
from hallserver.config.models import HallConfig

__all__ = ["ConfigError", "ConfigIssue", "HallConfig", "load_hall"]
