"""farwatch."""
