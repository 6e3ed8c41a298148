"""Test harnesses that start real, throwaway backing services (e.g. PostgreSQL) for tests."""
