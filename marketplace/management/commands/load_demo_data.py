"""Load the Jiangsu 政社互动 demo: regions, buyers, organisations, people, one delegation,
the two lists (两张清单) of two districts, and about sixty tenders in every state with their
bids, questions and follows (marketplace.demo).

Idempotent: everything is keyed on natural keys (region codes, credit codes, e-mail
addresses) and whatever already exists is left alone, so a second run creates nothing,
writes no audit entries and resets no passwords. Writes go through the services, so the
audit log reads as if the platform had been used.
"""

import datetime
import time

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from marketplace.data import community_lists, demo, demo_evaluations, demo_ratings
from marketplace.demo import (
    buyer_credit_code,
    demo_officers,
    demo_tenders_load,
    organisation_credit_code,
    text_table,
)
from marketplace.demo_contracts import demo_contracts_load
from marketplace.demo_evaluations import (
    EXPERT_DOMAIN,
    demo_evaluations_load,
    demo_experts_load,
    demo_experts_people,
)
from marketplace.demo_feedback import demo_feedback_load
from marketplace.demo_ratings import demo_ratings_load
from marketplace.models import (
    Buyer,
    BuyerMembership,
    Category,
    Delegation,
    Expert,
    Invitation,
    Organisation,
    OrganisationMembership,
    Region,
    User,
)
from marketplace.services.accounts import membership_join
from marketplace.services.buyers import buyer_create, delegation_grant
from marketplace.services.catalogue import community_list_import
from marketplace.services.organisations import (
    organisation_register,
    organisation_reject,
    organisation_suspend,
    organisation_verify,
)


class Command(BaseCommand):
    help = (
        "载入演示数据（江苏“政社互动”：购买主体、社会组织、演示账号）。可重复运行，已有数据不变。"
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        self.created = {}
        try:
            # The demo's people and mailboxes are fictitious: the notifications that the
            # loader's verifications and rejections trigger are discarded, not printed.
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
                transaction.atomic(),
            ):
                self.load_regions()
                self.load_people()
                self.load_buyers()
                self.load_buyer_officers()
                self.load_organisations()
                self.load_organisation_members()
                self.load_expert()
                self.load_authenticators()
                self.load_delegation()
                self.load_community_lists()
                self.load_tenders()
                self.load_evaluations()
                self.load_contracts()
                self.load_ratings()
                self.load_feedback()
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(f"载入失败，已全部回滚，数据库未改动：{error}") from error
        self.print_logins()
        total = sum(self.created.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：共新增 {total} 项，用时 {time.monotonic() - started:.2f} 秒。"
                if total
                else f"完成：演示数据已存在，未做任何改动（用时 {time.monotonic() - started:.2f} 秒）。"
            )
        )

    def report(self, label, created, existing):
        self.created[label] = created
        self.stdout.write(f"  {label}：新增 {created}，已有 {existing}")

    # Reference data -------------------------------------------------------------------

    def load_regions(self):
        self.stdout.write("行政区划与服务类目…")
        street_codes = {code for code, _name, _parent in demo.STREETS}
        wanted = (
            street_codes
            | {parent for _code, _name, parent in demo.STREETS}
            | {entry["region"] for entry in demo.BUYERS}
            | {code for entry in demo.ORGANISATIONS for code in entry["districts"]}
            | set(demo.EXPERT["regions"])
            | set(community_lists.ITEMS)
        )
        self.regions = {region.code: region for region in Region.objects.filter(code__in=wanted)}
        missing = sorted(wanted - street_codes - set(self.regions))
        if missing:
            raise CommandError(
                f"缺少县级以上行政区划 {', '.join(missing)}，请先运行 manage.py migrate。"
            )
        # Street rows are demo data (see demo.STREETS); counties come from migration 0002.
        new_streets = [
            Region(code=code, name=name, level=Region.Level.STREET, parent=self.regions[parent])
            for code, name, parent in demo.STREETS
            if code not in self.regions
        ]
        Region.objects.bulk_create(new_streets)
        if new_streets:
            self.regions.update(
                (region.code, region)
                for region in Region.objects.filter(code__in=[r.code for r in new_streets])
            )
        self.report("街道乡镇", len(new_streets), len(demo.STREETS) - len(new_streets))

        category_codes = {code for entry in demo.ORGANISATIONS for code in entry["categories"]}
        category_codes |= set(demo.EXPERT["categories"])
        category_codes |= community_lists.CATEGORY_CODES
        self.categories = {
            category.code: category for category in Category.objects.filter(code__in=category_codes)
        }
        missing = sorted(category_codes - set(self.categories))
        if missing:
            raise CommandError(f"缺少服务类目 {', '.join(missing)}，请先运行 manage.py migrate。")

    # People ---------------------------------------------------------------------------

    def load_people(self):
        self.stdout.write("演示账号…")
        people = {demo.STAFF["email"]: demo.STAFF["name"]}
        people.update((officer["email"], officer["name"]) for officer in demo_officers())
        people.update((entry["contact"][2], entry["contact"][0]) for entry in demo.ORGANISATIONS)
        people.update((member["email"], member["name"]) for member in demo.ORGANISATION_MEMBERS)
        people[demo.EXPERT["email"]] = demo.EXPERT["name"]
        people.update(demo_experts_people())

        self.users = {user.email.lower(): user for user in User.objects.filter(email__in=people)}
        missing = [email for email in people if email not in self.users]
        if missing:
            # One hash for every demo account: the password is printed for all to read
            # anyway, and hashing it once keeps the first load fast.
            password = make_password(demo.DEMO_PASSWORD)
            User.objects.bulk_create(
                User(
                    username=email,
                    email=email,
                    name=people[email],
                    password=password,
                    is_staff=email == demo.STAFF["email"],
                    is_superuser=email == demo.STAFF["email"],
                )
                for email in missing
            )
            self.users.update(
                (user.email.lower(), user) for user in User.objects.filter(email__in=missing)
            )
        self.report("用户", len(missing), len(people) - len(missing))

        self.staff = self.users[demo.STAFF["email"]]
        if not (self.staff.is_staff and self.staff.is_active):
            raise CommandError(f"{self.staff.email} 已存在但不是平台工作人员，无法继续。")

        # allauth requires a verified address before an e-mail login; users who already
        # have an address keep theirs.
        with_address = set(
            EmailAddress.objects.filter(user__in=self.users.values()).values_list(
                "user_id", flat=True
            )
        )
        addresses = [
            EmailAddress(user=user, email=email, verified=True, primary=True)
            for email, user in self.users.items()
            if user.pk not in with_address
        ]
        EmailAddress.objects.bulk_create(addresses)
        self.report("已验证邮箱", len(addresses), len(people) - len(addresses))

    # Buyers ---------------------------------------------------------------------------

    def load_buyers(self):
        self.stdout.write("购买主体…")
        existing = Buyer.objects.filter(
            credit_code__in=[buyer_credit_code(entry) for entry in demo.BUYERS]
        )
        self.buyers = {buyer.name: buyer for buyer in existing}
        created = 0
        for entry in demo.BUYERS:  # parents come first in demo.BUYERS
            if entry["name"] in self.buyers:
                continue
            self.buyers[entry["name"]] = buyer_create(
                by=self.staff,
                name=entry["name"],
                credit_code=buyer_credit_code(entry),
                level=Buyer.Level(entry["level"]),
                region=self.regions[entry["region"]],
                parent=self.buyers[entry["parent"]] if entry.get("parent") else None,
                address=entry["address"],
                contact_phone=entry["contact_phone"],
                description=entry["description"],
            )
            created += 1
        self.report("购买主体", created, len(demo.BUYERS) - created)

    def load_buyer_officers(self):
        officers = demo_officers()
        existing = set(
            BuyerMembership.objects.filter(
                user__in=[self.users[officer["email"]] for officer in officers]
            ).values_list("buyer_id", "user_id")
        )
        created = 0
        for officer in officers:
            buyer, user = self.buyers[officer["buyer"]], self.users[officer["email"]]
            if (buyer.pk, user.pk) in existing:
                continue
            # Demo officers join directly rather than through an e-mailed invitation.
            membership_join(user=user, role=Invitation.Role.BUYER_OFFICER, buyer=buyer)
            created += 1
        self.report("购买主体经办人", created, len(officers) - created)

    # Organisations --------------------------------------------------------------------

    def load_organisations(self):
        self.stdout.write("社会组织…")
        codes = {organisation_credit_code(entry): entry["name"] for entry in demo.ORGANISATIONS}
        self.organisations = {
            codes[organisation.credit_code]: organisation
            for organisation in Organisation.objects.filter(credit_code__in=codes)
        }
        created = 0
        for entry in demo.ORGANISATIONS:
            if entry["name"] in self.organisations:
                continue
            self.organisations[entry["name"]] = self.register(entry)
            created += 1
        self.report("社会组织", created, len(demo.ORGANISATIONS) - created)

    def register(self, entry):
        contact_name, contact_phone, contact_email = entry["contact"]
        organisation = organisation_register(
            by=self.users[contact_email],
            credit_code=organisation_credit_code(entry),
            districts=[self.regions[code] for code in entry["districts"]],
            categories=[self.categories[code] for code in entry["categories"]],
            name=entry["name"],
            type=Organisation.Type(entry["type"]),
            registration_authority=demo.AUTHORITIES[entry["authority"]],
            registered_on=entry["registered_on"],
            address=entry["address"],
            contact_name=contact_name,
            contact_phone=contact_phone,
            contact_email=contact_email,
            description=entry["description"],
        )
        status = entry["status"]
        if status == "verified":
            organisation_verify(organisation=organisation, by=self.staff)
        elif status == "rejected":
            organisation_reject(organisation=organisation, by=self.staff, reason=entry["reason"])
        elif status == "suspended":
            organisation_verify(organisation=organisation, by=self.staff)
            organisation_suspend(organisation=organisation, by=self.staff, reason=entry["reason"])
        elif status != "pending":
            raise CommandError(f"{entry['name']}：未知的演示状态 {status!r}")

        # The official rating and the credit status are data published by the civil-affairs
        # authorities; no service writes them yet, so the demo sets just these fields.
        official = {}
        if entry["rating"] is not None:
            official["rating_level"], official["rating_evaluated_on"] = entry["rating"]
        if entry.get("credit_status"):
            official["credit_status"] = Organisation.CreditStatus(entry["credit_status"])
        if official:
            Organisation.objects.filter(pk=organisation.pk).update(**official)
        organisation.refresh_from_db()
        return organisation

    def load_organisation_members(self):
        existing = set(
            OrganisationMembership.objects.filter(
                user__in=[self.users[member["email"]] for member in demo.ORGANISATION_MEMBERS]
            ).values_list("organisation_id", "user_id")
        )
        created = 0
        for member in demo.ORGANISATION_MEMBERS:
            organisation = self.organisations[member["organisation"]]
            user = self.users[member["email"]]
            if (organisation.pk, user.pk) in existing:
                continue
            membership_join(
                user=user, role=Invitation.Role.ORGANISATION_MEMBER, organisation=organisation
            )
            created += 1
        self.report("社会组织成员", created, len(demo.ORGANISATION_MEMBERS) - created)

    # Expert, second factors, delegation -----------------------------------------------

    def load_expert(self):
        user = self.users[demo.EXPERT["email"]]
        created = 0
        if not Expert.objects.filter(user=user).exists():
            expert = Expert.objects.create(
                user=user, title=demo.EXPERT["title"], employer=demo.EXPERT["employer"]
            )
            expert.categories.set(self.categories[code] for code in demo.EXPERT["categories"])
            expert.regions.set(self.regions[code] for code in demo.EXPERT["regions"])
            created = 1
        created += demo_experts_load(
            users=self.users, categories=self.categories, regions=self.regions
        )
        pool = len(demo_evaluations.EXPERTS) + 1
        self.report("评审专家", created, pool - created)

    def load_authenticators(self):
        # Staff and buyer officers must have a second factor (RequireMFAMiddleware); a real
        # TOTP secret is stored, and dev settings accept the demo bypass code for it.
        users = [self.staff] + [self.users[officer["email"]] for officer in demo_officers()]
        existing = set(
            Authenticator.objects.filter(user__in=users, type=Authenticator.Type.TOTP).values_list(
                "user_id", flat=True
            )
        )
        missing = [user for user in users if user.pk not in existing]
        for user in missing:
            TOTP.activate(user, generate_totp_secret())
        self.report("两步验证（TOTP）", len(missing), len(users) - len(missing))

    def load_delegation(self):
        self.stdout.write("委托…")
        buyer = self.buyers[demo.DELEGATION["buyer"]]
        operator = self.organisations[demo.DELEGATION["operator"]]
        scope = Delegation.Scope(demo.DELEGATION["scope"])
        created = 0
        if not Delegation.objects.filter(buyer=buyer, operator=operator, scope=scope).exists():
            # This year's 公益创投大赛, so the delegation is active whenever the demo is loaded.
            today = timezone.localdate()
            delegation_grant(
                by=self.users[demo.DELEGATION["granted_by"]],
                buyer=buyer,
                operator=operator,
                scope=scope,
                starts_on=datetime.date(today.year, 1, 1),
                expires_on=datetime.date(today.year, 12, 31),
            )
            created = 1
        self.report("委托", created, 1 - created)

    def load_community_lists(self):
        self.stdout.write("两张清单…")
        total = created = 0
        for code, items in community_lists.ITEMS.items():
            items = [item | {"category": self.categories.get(item["category"])} for item in items]
            total += len(items)
            created += community_list_import(region=self.regions[code], items=items, by=self.staff)
        self.report("清单事项", created, total - created)

    def load_tenders(self):
        self.stdout.write("服务项目…")
        loaded = demo_tenders_load(
            buyers=self.buyers, organisations=self.organisations, users=self.users
        )
        self.report("服务项目", loaded.tenders, loaded.existing)
        if loaded.tenders:
            self.report("投标", loaded.bids, 0)
            self.report("答疑提问", loaded.questions, 0)
            self.report("关注", loaded.follows, 0)

    def load_evaluations(self):
        self.stdout.write("评审、中标与质疑…")
        done = demo_evaluations_load(users=self.users, demo_expert_email=demo.EXPERT["email"])
        self.report(
            "完成评审的项目", done.tenders, len(demo_evaluations.EVALUATIONS) - done.tenders
        )
        if done.tenders:
            self.report("专家评分", done.scores, 0)
            self.report("中标（成交、资助）结果", done.awards, 0)
            self.report("质疑", done.objections, 0)

    def load_contracts(self):
        self.stdout.write("服务合同、履约与支付…")
        created, existing = demo_contracts_load()
        self.report("服务合同", created, existing)

    def load_ratings(self):
        self.stdout.write("结项合同与双向评估…")
        loaded = demo_ratings_load(staff=self.staff)
        done = loaded.contracts or loaded.ratings
        self.report("结项合同", loaded.contracts, 0 if done else len(demo_ratings.CONTRACTS))
        self.report("双向评估", loaded.ratings, 0)
        if done:
            self.report("评价申诉", loaded.appeals, 0)
            self.report("评估期满揭晓", loaded.revealed, 0)

    def load_feedback(self):
        created, existing = demo_feedback_load(staff=self.staff)
        self.report("居民满意度评价", created, existing)

    # Output ---------------------------------------------------------------------------

    def print_logins(self):
        rows = [("角色", "邮箱", "密码", "单位", "可以做什么")]
        password = demo.DEMO_PASSWORD
        rows.append(
            (
                "平台工作人员",
                demo.STAFF["email"],
                password,
                "政社通平台",
                "审核社会组织、维护购买主体；Wagtail 后台 /admin/",
            )
        )
        for officer in demo_officers():
            rows.append(
                (
                    "购买主体经办人",
                    officer["email"],
                    password,
                    officer["buyer"],
                    "发布项目、答疑、开标、组织评审、定标、答复质疑（需两步验证）",
                )
            )
        entries = {entry["name"]: entry for entry in demo.ORGANISATIONS}
        for name in demo.FEATURED_ORGANISATION_ADMINS:
            entry = entries[name]
            organisation = self.organisations[name]
            can = demo.ADMIN_ABILITIES[organisation.status]
            if name == demo.DELEGATION["operator"]:
                can = f"受{demo.DELEGATION['buyer']}委托组织公益创投大赛"
            rows.append(
                (
                    "社会组织管理员",
                    entry["contact"][2],
                    password,
                    f"{name}（{organisation.get_status_display()}）",
                    can,
                )
            )
        for member in demo.ORGANISATION_MEMBERS:
            rows.append(
                (
                    "社会组织成员",
                    member["email"],
                    password,
                    member["organisation"],
                    "查看组织资料和成员、退出组织",
                )
            )
        rows.append(
            (
                "评审专家",
                demo.EXPERT["email"],
                password,
                demo.EXPERT["employer"],
                "声明利益冲突、评分、确认评审报告（沙溪镇孵化培育项目待您声明）",
            )
        )

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("演示账号"))
        for line in text_table(rows):
            self.stdout.write(line)
        others = len(demo.ORGANISATIONS) - len(demo.FEATURED_ORGANISATION_ADMINS)
        self.stdout.write("")
        self.stdout.write(
            f"其余 {others} 家社会组织的管理员用各自的联系邮箱登录（见组织资料），密码同上；"
            f"专家库的其余 {len(demo_evaluations.EXPERTS)} 名专家用 …@{EXPERT_DOMAIN} 登录。"
        )
        self.stdout.write(f"登录地址：{reverse('account_login')}（邮箱 + 密码）")
        self.stdout.write(
            f"两步验证码（演示环境）：{demo.DEMO_MFA_CODE}"
            "（平台工作人员和购买主体经办人登录时输入；仅在 DEBUG 开发环境有效）"
        )
