"""allauth's hooks: the GitHub account is the person, and rights follow roles."""

from urllib.parse import urlparse

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.github import is_member
from accounts.services import link_github_account, remember_github_emails
from meetings.roles import maintainer_restriction, sync_user_roles

# What pre_social_login learnt about the account, for login() a moment later.
ORG_MEMBER = "_callbook_github_org_member"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # No local sign-up form: accounts come from GitHub (the social adapter).
        return False

    def get_login_redirect_url(self, request):
        # LOGIN_REDIRECT_URL is the admin's (break-glass logins); people go home.
        return reverse("meetings:home")

    def get_signup_redirect_url(self, request):
        return reverse("meetings:home")  # a first sign-in is a sign-up to allauth

    def is_safe_url(self, url):
        """`next=` may only point into this site (this host, this scheme)."""
        request = self.request
        if not url or urlparse(url).scheme not in ("", "http", "https"):
            return False
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def login(self, request, user):
        super().login(request, user)
        # Rights come from the person's roles at every sign-in, and, when the
        # Maintainer role needs an organization, from the membership just checked.
        sync_user_roles(user, org_member=getattr(request, ORG_MEMBER, None))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def pre_social_login(self, request, sociallogin):
        data = sociallogin.account.extra_data
        github_id = int(sociallogin.account.uid)
        login = data.get("login", "")
        restriction = maintainer_restriction()
        if restriction:
            token = sociallogin.token.token if sociallogin.token else ""
            setattr(
                request,
                ORG_MEMBER,
                bool(token)
                and is_member(token=token, login=login, restriction=restriction),
            )
        if sociallogin.is_existing:
            link_github_account(
                github_id=github_id,
                login=login,
                name=data.get("name") or "",
                user=sociallogin.user,
            )
            self.remember_emails(sociallogin.user, sociallogin)
            return
        person = link_github_account(
            github_id=github_id, login=login, name=data.get("name") or ""
        )
        if person.user_id is not None:
            # The person had an account already (made by hand, or a development
            # sign-in): this GitHub account signs in to it from now on.
            sociallogin.connect(request, person.user)
            self.remember_emails(person.user, sociallogin)

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        data = sociallogin.account.extra_data
        link_github_account(
            github_id=int(sociallogin.account.uid),
            login=data.get("login", ""),
            name=data.get("name") or "",
            user=user,
        )
        self.remember_emails(user, sociallogin)
        return user

    def remember_emails(self, user, sociallogin):
        # GitHub's /user/emails as read at this sign-in: the notices page offers
        # the verified ones as the person's notice address.
        remember_github_emails(
            user=user,
            addresses=[
                (address.email, address.verified, address.primary)
                for address in sociallogin.email_addresses
            ],
        )
