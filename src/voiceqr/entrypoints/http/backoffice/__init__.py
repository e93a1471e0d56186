"""The backoffice: the administrators' pages and API under /admin, an area per folder.

Every route asks for `staff`: the signed-in staff member whose role may enter that
area (an API key also needs the admin scope), provided by the routers below; others get
401, 403, or the sign-in page.
"""

from litestar import Router

from voiceqr.domain.authz import Permission
from voiceqr.entrypoints.http.backoffice.account_deletion import api as account_deletion_api
from voiceqr.entrypoints.http.backoffice.account_deletion import pages as account_deletion_pages
from voiceqr.entrypoints.http.backoffice.generations import api as generations_api
from voiceqr.entrypoints.http.backoffice.generations import pages as generations_pages
from voiceqr.entrypoints.http.backoffice.legal import pages as legal_pages
from voiceqr.entrypoints.http.backoffice.moderation import api as moderation_api
from voiceqr.entrypoints.http.backoffice.moderation import pages as moderation_pages
from voiceqr.entrypoints.http.backoffice.moderation_rules import api as moderation_rules_api
from voiceqr.entrypoints.http.backoffice.moderation_rules import pages as moderation_rules_pages
from voiceqr.entrypoints.http.backoffice.monitoring import api as monitoring_api
from voiceqr.entrypoints.http.backoffice.monitoring import pages as monitoring_pages
from voiceqr.entrypoints.http.backoffice.support import api as support_api
from voiceqr.entrypoints.http.backoffice.support import pages as support_pages
from voiceqr.entrypoints.http.backoffice.users import api as users_api
from voiceqr.entrypoints.http.backoffice.users import pages as users_pages
from voiceqr.entrypoints.http.backoffice.voices import pages as voices_pages
from voiceqr.entrypoints.http.kit.auth import staff

# Who may enter each area; each action inside asks its use case for its own permission.
_FAILED_GENERATIONS = {"staff": staff(Permission.READ_FAILED_GENERATIONS)}
_PEOPLE = {"staff": staff(Permission.READ_ACCOUNTS)}
_ACCOUNT_DELETION = {"staff": staff(Permission.DELETE_ACCOUNTS)}
_MONITORING = {"staff": staff(Permission.READ_FAILURE_DASHBOARD, Permission.READ_AUDIT_LOG)}
_VOICES = {"staff": staff(Permission.MANAGE_VOICES)}
_SUPPORT = {"staff": staff(Permission.HANDLE_TICKETS)}
_LEGAL = {"staff": staff(Permission.PUBLISH_LEGAL)}
_MODERATION = {"staff": staff(Permission.MODERATE_CONTENT)}
_FLAGGING_RULES = {"staff": staff(Permission.MANAGE_FLAGGING_RULES)}
_FILTER_TERMS = {"staff": staff(Permission.MANAGE_FILTER_TERMS)}
_HELD_GENERATIONS = {"staff": staff(Permission.MODERATE_CONTENT)}

api_router = Router(
    path="/",
    route_handlers=[
        Router(
            path="/",
            dependencies=_FAILED_GENERATIONS,
            route_handlers=[generations_api.AdminGenerationController],
        ),
        Router(
            path="/",
            dependencies=_MONITORING,
            route_handlers=[monitoring_api.AdminMonitoringController],
        ),
        Router(
            path="/", dependencies=_SUPPORT, route_handlers=[support_api.AdminSupportController]
        ),
        Router(path="/", dependencies=_PEOPLE, route_handlers=[users_api.AdminUsersController]),
        Router(
            path="/",
            dependencies=_MODERATION,
            route_handlers=[moderation_api.AdminModerationController],
        ),
        Router(
            path="/",
            dependencies=_ACCOUNT_DELETION,
            route_handlers=[account_deletion_api.AdminAccountDeletionController],
        ),
        Router(
            path="/",
            dependencies=_FLAGGING_RULES,
            route_handlers=[moderation_rules_api.AdminRulesController],
        ),
        Router(
            path="/",
            dependencies=_FILTER_TERMS,
            route_handlers=[moderation_rules_api.AdminTermsController],
        ),
        Router(
            path="/",
            dependencies=_HELD_GENERATIONS,
            route_handlers=[moderation_rules_api.AdminHeldController],
        ),
    ],
)
pages_router = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        Router(
            path="/", dependencies=_MONITORING, route_handlers=[monitoring_pages.admin_dashboard]
        ),
        Router(
            path="/",
            dependencies=_FAILED_GENERATIONS,
            route_handlers=[
                generations_pages.admin_generations,
                generations_pages.admin_retry_selected,
                generations_pages.admin_generation,
                generations_pages.admin_retry,
                generations_pages.admin_cancel,
                generations_pages.admin_edit,
            ],
        ),
        Router(path="/", dependencies=_VOICES, route_handlers=[*voices_pages.ROUTES]),
        Router(path="/", dependencies=_MODERATION, route_handlers=[*moderation_pages.ROUTES]),
        Router(
            path="/",
            dependencies=_SUPPORT,
            route_handlers=[
                support_pages.admin_queue,
                support_pages.admin_ticket,
                support_pages.admin_reply,
                support_pages.admin_note,
                support_pages.admin_change,
                support_pages.admin_close,
                support_pages.admin_retry,
            ],
        ),
        Router(
            path="/",
            dependencies=_PEOPLE,
            route_handlers=[
                users_pages.admin_users,
                users_pages.admin_new_user,
                users_pages.admin_create_user,
                users_pages.admin_user,
                users_pages.admin_user_action,
                users_pages.admin_view_as,
                users_pages.admin_user_timeline,
                users_pages.admin_incident,
                users_pages.admin_incident_tool,
            ],
        ),
        Router(
            path="/",
            dependencies=_ACCOUNT_DELETION,
            route_handlers=[
                account_deletion_pages.admin_delete_account,
                account_deletion_pages.admin_delete_account_submit,
            ],
        ),
        Router(
            path="/",
            dependencies=_LEGAL,
            route_handlers=[
                legal_pages.admin_legal,
                legal_pages.admin_legal_preview,
                legal_pages.admin_legal_publish,
            ],
        ),
        Router(
            path="/",
            dependencies=_FLAGGING_RULES,
            route_handlers=[*moderation_rules_pages.RULE_ROUTES],
        ),
        Router(
            path="/",
            dependencies=_FILTER_TERMS,
            route_handlers=[*moderation_rules_pages.TERM_ROUTES],
        ),
        Router(
            path="/",
            dependencies=_HELD_GENERATIONS,
            route_handlers=[*moderation_rules_pages.HELD_ROUTES],
        ),
    ],
)

__all__ = ["api_router", "pages_router"]
