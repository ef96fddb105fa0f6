"""A small fake GitHub: a real HTTP server on 127.0.0.1 for the sign-in tests.

It speaks the parts of GitHub's OAuth app flow and REST API that Callbook uses,
the way GitHub Enterprise Server lays them out (the web at the root, the API under
/api/v3), so Callbook is configured with GITHUB_URL only:

- GET  /login/oauth/authorize: the person "signed in at GitHub" (`sign_in_as`)
  approves at once; redirects to redirect_uri with a one-time code and the state;
- POST /login/oauth/access_token: code (once), client secret, redirect_uri and
  the PKCE verifier checked; answers a token as JSON, or GitHub's error JSON;
- GET  /api/v3/user, /api/v3/user/emails: by bearer token;
- GET  /api/v3/user/memberships/orgs/ORG and
  /api/v3/orgs/ORG/teams/TEAM/memberships/LOGIN: 200 "active", or 404.

Every request is recorded in `requests` for the tests to look at.
"""

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"


@dataclass
class FakeAccount:
    id: int
    login: str
    name: str = ""
    email: str = ""
    orgs: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)  # "org/team"
    # More addresses on the account, as (address, verified), after `email`.
    other_emails: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class Grant:
    account_id: int
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    used: bool = False


class FakeGitHub:
    def __init__(self):
        self.accounts: dict[int, FakeAccount] = {}
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, int] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.signed_in: int | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # Set-up ------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeGitHub":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_account(self, login: str, *, id: int, **fields) -> FakeAccount:
        account = FakeAccount(id=id, login=login, **fields)
        self.accounts[id] = account
        return account

    def sign_in_as(self, account: FakeAccount) -> None:
        """Who is signed in at "GitHub" in the browser that will be sent here."""
        self.signed_in = account.id

    def rename(self, account: FakeAccount, new_login: str) -> None:
        account.login = new_login

    def paths(self, method: str = "") -> list[str]:
        return [path for verb, path, _ in self.requests if not method or verb == method]

    # HTTP --------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # keep test output quiet
                pass

            def _send(self, status, body=None, headers=None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _account(self):
                header = self.headers.get("Authorization", "")
                token = header.split(" ", 1)[1] if " " in header else ""
                account_id = fake.tokens.get(token)
                return fake.accounts.get(account_id) if account_id else None

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(("GET", url.path, query))
                if url.path == "/login/oauth/authorize":
                    return self.authorize(query)
                if not url.path.startswith("/api/v3/"):
                    return self._send(404, {"message": "Not Found"})
                account = self._account()
                if account is None:
                    return self._send(401, {"message": "Bad credentials"})
                api = url.path.removeprefix("/api/v3")
                if api == "/user":
                    return self._send(
                        200,
                        {
                            "login": account.login,
                            "id": account.id,
                            "name": account.name or None,
                            "email": account.email or None,
                            "avatar_url": f"{fake.url}/avatars/{account.id}",
                            "html_url": f"{fake.url}/{account.login}",
                        },
                    )
                if api == "/user/emails":
                    emails = []
                    if account.email:
                        emails.append(
                            {
                                "email": account.email,
                                "primary": True,
                                "verified": True,
                                "visibility": "private",
                            }
                        )
                    for address, verified in account.other_emails:
                        emails.append(
                            {
                                "email": address,
                                "primary": False,
                                "verified": verified,
                                "visibility": None,
                            }
                        )
                    return self._send(200, emails)
                parts = api.strip("/").split("/")
                if parts[:3] == ["user", "memberships", "orgs"] and len(parts) == 4:
                    if parts[3] in account.orgs:
                        return self._send(200, {"state": "active", "role": "member"})
                    return self._send(404, {"message": "Not Found"})
                if (
                    len(parts) == 6
                    and parts[0] == "orgs"
                    and parts[2] == "teams"
                    and parts[4] == "memberships"
                ):
                    team = f"{parts[1]}/{parts[3]}"
                    if parts[5] == account.login and team in account.teams:
                        return self._send(200, {"state": "active", "role": "member"})
                    return self._send(404, {"message": "Not Found"})
                return self._send(404, {"message": "Not Found"})

            def authorize(self, query):
                if query.get("client_id") != CLIENT_ID:
                    return self._send(404, {"message": "Unknown client"})
                if fake.signed_in is None:
                    return self._send(401, {"message": "Nobody signed in at GitHub"})
                code = secrets.token_hex(10)
                fake.codes[code] = Grant(
                    account_id=fake.signed_in,
                    redirect_uri=query.get("redirect_uri", ""),
                    code_challenge=query.get("code_challenge", ""),
                    code_challenge_method=query.get("code_challenge_method", ""),
                )
                target = query.get("redirect_uri", "")
                params = urlencode({"code": code, "state": query.get("state", "")})
                self._send(302, headers={"Location": f"{target}?{params}"})

            def do_POST(self):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                fake.requests.append(("POST", url.path, form))
                if url.path != "/login/oauth/access_token":
                    return self._send(404, {"message": "Not Found"})
                error = self.check_exchange(form)
                if error:
                    # GitHub answers a failed exchange with 200 and an error body.
                    return self._send(200, {"error": error})
                token = "gho_" + secrets.token_hex(16)
                with fake.lock:
                    grant = fake.codes[form["code"]]
                    fake.tokens[token] = grant.account_id
                self._send(
                    200,
                    {"access_token": token, "token_type": "bearer", "scope": "user"},
                )

            def check_exchange(self, form) -> str:
                if (
                    form.get("client_id") != CLIENT_ID
                    or form.get("client_secret") != CLIENT_SECRET
                ):
                    return "incorrect_client_credentials"
                with fake.lock:
                    grant = fake.codes.get(form.get("code", ""))
                    if grant is None or grant.used:
                        return "bad_verification_code"
                    grant.used = True
                if form.get("redirect_uri") != grant.redirect_uri:
                    return "redirect_uri_mismatch"
                if grant.code_challenge:
                    verifier = form.get("code_verifier", "").encode()
                    digest = hashlib.sha256(verifier).digest()
                    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    if (
                        grant.code_challenge_method != "S256"
                        or expected != grant.code_challenge
                    ):
                        return "invalid_grant"
                return ""

        return Handler
