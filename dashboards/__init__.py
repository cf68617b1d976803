"""Plotly Dash apps of the control room."""
