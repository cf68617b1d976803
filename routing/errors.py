"""Errors raised by routing/.

    RoutingError
     ├── InvalidArgument (ValueError)     an argument out of range: k <= 0, NaN coordinates...
     │    └── UnknownSkill                a skill no crew can have
     └── GraphBuildError (ValueError)     an extract that yields no usable road graph

"No crew can reach it" is a result (an empty ranking with reasons), never an exception.
"""


class RoutingError(Exception):
    """Base of every error raised by routing/."""


class InvalidArgument(RoutingError, ValueError):
    """An argument that cannot be used; the message names it in backticks."""


class UnknownSkill(InvalidArgument):
    """A skill outside :data:`routing.crews.SKILLS`."""


class GraphBuildError(RoutingError, ValueError):
    """The extract gives no drivable, strongly connected road graph."""
