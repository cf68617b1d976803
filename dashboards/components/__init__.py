"""Builders of UI pieces: plain functions returning Dash components, no I/O."""
