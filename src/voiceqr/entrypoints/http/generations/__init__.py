"""Generations: ask for spoken audio of a text, find it again (history, search, folders and
tags), change it (revisions), act on many at once (batch, export)."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.generations import (
    api,
    appeal_pages,
    batch_api,
    batch_pages,
    folders_api,
    folders_pages,
    home,
    pages,
    qr_api,
    qr_pages,
)
from voiceqr.entrypoints.http.kit.auth import current_user

api_router = Router(
    path="/",
    route_handlers=[
        api.GenerationController,
        api.GenerationRevisionController,
        batch_api.GenerationBatchController,
        folders_api.FolderController,
        folders_api.TagController,
        folders_api.GenerationFilingController,
        qr_api.QrDesignController,
    ],
)
pages_router = Router(
    path="/",
    include_in_schema=False,
    dependencies={"user": Provide(current_user)},
    route_handlers=[
        home.home,
        pages.create_page,
        pages.create_submit,
        pages.history_page,
        pages.generation_page,
        pages.delete_submit,
        pages.edit_submit,
        pages.title_submit,
        folders_pages.folders_page,
        folders_pages.create_submit,
        folders_pages.rename_submit,
        folders_pages.delete_submit,
        folders_pages.filing_submit,
        batch_pages.batch_submit,
        batch_pages.batch_delete_confirmed,
        appeal_pages.appeal_submit,
        qr_pages.qr_preview,
        qr_pages.qr_design_submit,
        qr_pages.qr_logo_submit,
    ],
)

__all__ = ["api_router", "pages_router"]
