"""The work of the control room: tickets, crews, assignment, and the command line."""
