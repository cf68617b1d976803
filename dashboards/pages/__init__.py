"""Pages of the control room app."""
