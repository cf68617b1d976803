"""The job's photos as images for the pages: ``GET /site-photos/<ticket>/<photo>`` answers the
stored (metadata-free) JPEG or PNG, for a logged-in user who may see the ticket (a crew lead
only its own crew's), read through :func:`dispatch.site_service.get_photo`. The pages show them
as thumbnails (the crew's phone, the wall's ticket detail) without putting megabytes of base64
into Dash's callbacks."""

from __future__ import annotations

import base64

from flask import Flask, Response, session

from dispatch import auth, site_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, Unauthenticated
from dispatch.json_errors import error_response

PHOTO_PATH = "/site-photos/<int:ticket_id>/<int:photo_id>"


def photo_bytes(api, user: dict | None, ticket_id: int, photo_id: int) -> tuple[str, bytes]:
    """(content type, image) of the photo; raises the dispatch errors the answer is made of."""
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, "tickets.get")
    with api.uow() as uow:
        photo = site_service.get_photo(uow, ticket_id, photo_id, actor)
    return photo["content_type"], base64.b64decode(photo["image_base64"])


def register_photo_route(server: Flask, api) -> None:
    @server.get(PHOTO_PATH)
    def site_photo(ticket_id: int, photo_id: int):
        try:
            content_type, image = photo_bytes(api, session.get("user"), ticket_id, photo_id)
        except DispatchError as exc:
            return error_response(exc.status, exc.code, exc.detail, field=exc.field)
        return Response(image, mimetype=content_type, headers={"Cache-Control": "private"})
