from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.views import serve as wagtail_serve

from marketplace import pagecache
from marketplace.api import api
from marketplace.views import (
    accounts,
    api_tokens,
    awards,
    bids,
    buyer_tenders,
    buyers,
    catalogue,
    contracts,
    delivery,
    evaluations,
    files,
    opendata,
    organisations,
    pages,
    panels,
    payments,
    ratings,
    stats,
    tenders,
    venture,
)

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    # Choosing a language needs no CSRF token, so public pages carry none and can be cached
    # (marketplace/pagecache.py); a forged switch only changes the display language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("dashboard/", accounts.dashboard, name="dashboard"),
    path("invitations/<str:token>/", accounts.invitation_accept_view, name="invitation_accept"),
    # Directories and profiles are Wagtail routable pages (cms/models/profiles.py).
    path("organisations/", pages.wagtail_page, name="organisation_list"),
    path(
        "organisations/register/",
        organisations.organisation_register_view,
        name="organisation_register",
    ),
    path("organisations/<int:pk>/", pages.wagtail_page, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:pk>/resubmit/",
        organisations.organisation_resubmit_view,
        name="organisation_resubmit",
    ),
    path(
        "organisations/<int:pk>/members/",
        organisations.organisation_members_view,
        name="organisation_members",
    ),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/remove/",
        organisations.organisation_member_remove_view,
        name="organisation_member_remove",
    ),
    path("buyers/", pages.wagtail_page, name="buyer_list"),
    path("buyers/<int:pk>/", pages.wagtail_page, name="buyer_detail"),
    path("buyer/", buyers.buyer_workspace, name="buyer_workspace"),
    path("buyer/<int:pk>/delegations/new/", buyers.delegation_create, name="delegation_create"),
    path(
        "buyer/<int:pk>/delegations/<int:delegation_pk>/revoke/",
        buyers.delegation_revoke_view,
        name="delegation_revoke",
    ),
    path("buyer/tenders/", buyer_tenders.buyer_tender_list, name="buyer_tender_list"),
    path(
        "buyer/<int:pk>/tenders/new/",
        buyer_tenders.buyer_tender_create,
        name="buyer_tender_create",
    ),
    path("buyer/tenders/<int:pk>/", buyer_tenders.buyer_tender_detail, name="buyer_tender_detail"),
    path("buyer/tenders/<int:pk>/edit/", buyer_tenders.buyer_tender_edit, name="buyer_tender_edit"),
    path(
        "buyer/tenders/<int:pk>/publish/",
        buyer_tenders.buyer_tender_publish,
        name="buyer_tender_publish",
    ),
    path(
        "buyer/tenders/<int:pk>/amend/",
        buyer_tenders.buyer_tender_amend,
        name="buyer_tender_amend",
    ),
    path(
        "buyer/tenders/<int:pk>/cancel/",
        buyer_tenders.buyer_tender_cancel,
        name="buyer_tender_cancel",
    ),
    path("buyer/tenders/<int:pk>/open/", buyer_tenders.buyer_tender_open, name="buyer_tender_open"),
    path(
        "buyer/clarifications/<int:pk>/answer/",
        buyer_tenders.clarification_answer_view,
        name="clarification_answer",
    ),
    path("tenders/", tenders.tender_list, name="tender_list"),
    path("tenders/<int:pk>/", tenders.tender_detail, name="tender_detail"),
    path(
        "tenders/<int:pk>/versions/<int:number>/",
        tenders.tender_version_detail,
        name="tender_version_detail",
    ),
    path("tenders/<int:pk>/ask/", tenders.clarification_ask_view, name="clarification_ask"),
    path("tenders/<int:pk>/follow/", tenders.tender_follow_view, name="tender_follow"),
    path("tenders/<int:pk>/bid/<int:org_pk>/", bids.bid_submit_view, name="bid_submit"),
    path("organisations/<int:pk>/tenders/", bids.organisation_tenders, name="organisation_tenders"),
    path("organisations/<int:pk>/bids/", bids.organisation_bids, name="organisation_bids"),
    path("bids/<int:pk>/", bids.bid_detail, name="bid_detail"),
    path("bids/<int:pk>/withdraw/", bids.bid_withdraw_view, name="bid_withdraw"),
    path("bids/<int:pk>/reconfirm/", bids.bid_reconfirm_view, name="bid_reconfirm"),
    path(
        "files/tender-documents/<int:pk>/",
        files.tender_document_download,
        name="tender_document_download",
    ),
    path(
        "files/bid-documents/<int:pk>/", files.bid_document_download, name="bid_document_download"
    ),
    path("buyer/tenders/<int:pk>/award/", awards.award_create, name="award_create"),
    path("awards/", awards.award_list, name="award_list"),
    path("tenders/<int:pk>/objections/new/", awards.objection_file_view, name="objection_file"),
    path("buyer/objections/", awards.objection_inbox, name="objection_inbox"),
    path(
        "buyer/objections/<int:pk>/answer/", awards.objection_answer_view, name="objection_answer"
    ),
    path(
        "files/objection-documents/<int:pk>/",
        files.objection_document_download,
        name="objection_document_download",
    ),
    path("experts/", panels.expert_home, name="expert_home"),
    path("experts/seats/<int:pk>/", panels.expert_seat, name="expert_seat"),
    path("experts/seats/<int:pk>/declare/", panels.expert_declare, name="expert_declare"),
    path("buyer/tenders/<int:pk>/panel/", panels.panel_manage, name="panel_manage"),
    path("buyer/tenders/<int:pk>/panel/draw/", panels.panel_draw_view, name="panel_draw"),
    path("buyer/tenders/<int:pk>/panel/name/", panels.panel_name_view, name="panel_name"),
    path(
        "experts/seats/<int:pk>/bids/<int:bid_pk>/",
        evaluations.expert_score,
        name="expert_score",
    ),
    path(
        "experts/seats/<int:pk>/report/confirm/",
        evaluations.expert_report_confirm,
        name="expert_report_confirm",
    ),
    path(
        "buyer/tenders/<int:pk>/evaluation/",
        evaluations.evaluation_dashboard,
        name="evaluation_dashboard",
    ),
    path(
        "buyer/tenders/<int:pk>/evaluation/report/",
        evaluations.evaluation_report_create,
        name="evaluation_report_create",
    ),
    path(
        "buyer/tenders/<int:pk>/evaluation/report/withdraw/",
        evaluations.evaluation_report_withdraw,
        name="evaluation_report_withdraw",
    ),
    path(
        "tenders/<int:pk>/reports/<int:number>/",
        evaluations.evaluation_report,
        name="evaluation_report",
    ),
    path("rounds/<int:pk>/", venture.round_manage, name="round_manage"),
    path("rounds/<int:pk>/screen/<int:bid_pk>/", venture.round_screen, name="round_screen"),
    path("rounds/<int:pk>/schedule/", venture.round_schedule, name="round_schedule"),
    path("rounds/<int:pk>/fund/", venture.round_fund, name="round_fund"),
    path(
        "milestones/<int:pk>/report/",
        delivery.milestone_report_submit_view,
        name="milestone_report_submit",
    ),
    path(
        "milestone-reports/<int:pk>/decide/",
        delivery.milestone_report_decide,
        name="milestone_report_decide",
    ),
    path(
        "files/report-documents/<int:pk>/",
        files.report_document_download,
        name="report_document_download",
    ),
    path("payments/<int:pk>/retry/", payments.payment_retry_view, name="payment_retry"),
    path(
        "payments/<int:pk>/treasury/",
        payments.payment_record_treasury_view,
        name="payment_record_treasury",
    ),
    path("payments/<int:pk>/refund/", payments.payment_refund_view, name="payment_refund"),
    path("payments/stripe/webhook/", payments.stripe_webhook, name="stripe_webhook"),
    path(
        "buyer/<int:pk>/payment-method/",
        payments.buyer_payment_method,
        name="buyer_payment_method",
    ),
    path(
        "buyer/awards/<int:award_pk>/contract/",
        contracts.contract_create_view,
        name="contract_create",
    ),
    path("buyer/contracts/", contracts.buyer_contract_list, name="buyer_contract_list"),
    path(
        "organisations/<int:pk>/contracts/",
        contracts.organisation_contract_list,
        name="organisation_contract_list",
    ),
    path("contracts/<int:pk>/", contracts.contract_public, name="contract_public"),
    path("contracts/<int:pk>/manage/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/sign/", contracts.contract_sign_view, name="contract_sign"),
    path("contracts/<int:pk>/vary/", contracts.contract_vary_view, name="contract_vary"),
    path(
        "contracts/<int:pk>/vary/withdraw/",
        contracts.contract_variation_withdraw_view,
        name="contract_variation_withdraw",
    ),
    path(
        "contracts/<int:pk>/terminate/",
        contracts.contract_terminate_view,
        name="contract_terminate",
    ),
    path(
        "contracts/<int:pk>/versions/<int:number>/",
        contracts.contract_version,
        name="contract_version",
    ),
    # Residents' satisfaction feedback (issue 6): the form, no account needed (CSRF applies).
    path(
        "contracts/<int:pk>/feedback/", contracts.contract_feedback_view, name="contract_feedback"
    ),
    # Two-way evaluation (H2): the completion round and optional milestone rounds.
    path("contracts/<int:pk>/evaluation/", ratings.contract_evaluation, name="contract_evaluation"),
    path(
        "contracts/<int:pk>/milestones/<int:milestone_pk>/evaluation/",
        ratings.milestone_evaluation,
        name="milestone_evaluation",
    ),
    # JSON API (marketplace/api/): public reads, organisation tokens, /api/v1/docs.
    path("api/v1/", api.urls),
    path(
        "organisations/<int:pk>/api-tokens/",
        api_tokens.organisation_api_tokens,
        name="organisation_api_tokens",
    ),
    path(
        "organisations/<int:pk>/api-tokens/<int:token_pk>/revoke/",
        api_tokens.organisation_api_token_revoke,
        name="organisation_api_token_revoke",
    ),
    path("search/", include("search.urls")),
    path("catalogue/", catalogue.catalogue_list, name="catalogue_list"),
    path("lists/", catalogue.communitylist_index, name="communitylist_index"),
    path("lists/<str:region_code>/", catalogue.communitylist_detail, name="communitylist_detail"),
]

# Statistics (H7): the charts page and each chart's figures as CSV.
urlpatterns += [
    path("statistics/", stats.statistics, name="statistics"),
    path("statistics/<slug:chart>.csv", stats.statistics_csv, name="statistics_csv"),
]

# Open data, OCDS 1.1 (H6): the explanation page, release and record packages, bulk download.
urlpatterns += [
    path("opendata/", opendata.opendata_index, name="opendata_index"),
    path("opendata/ocds/releases/", opendata.ocds_release_package, name="ocds_release_package"),
    path(
        "opendata/ocds/records/<str:ocid>/",
        opendata.ocds_record_package,
        name="ocds_record_package",
    ),
    path("opendata/ocds/bulk/", opendata.ocds_bulk, name="ocds_bulk"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The portal's Wagtail pages for anonymous readers come from the page cache before Wagtail
# routes the path (a hit costs no query); the same pattern follows in wagtail_urls.
urlpatterns.append(
    re_path(
        r"^((?:[\w\-]+/)*)$",
        pagecache.public_page(pagecache.PORTAL)(wagtail_serve),
        name="portal_page",
    )
)
urlpatterns.append(path("", include(wagtail_urls)))
