"""Response headers that every page gets: the Content-Security-Policy, and in bench
mode the number of SQL queries the request made."""

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY unless the view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        if not self.policy:
            raise MiddlewareNotUsed

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class QueryCountHeaderMiddleware:
    """X-Queries: how many SQL statements the request ran (BENCH_QUERY_HEADER only).

    Counts on the real server path, sessions and page cache included, so the bench
    reports what production does rather than what the test client sees.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        if not settings.BENCH_QUERY_HEADER:
            raise MiddlewareNotUsed

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response.headers["X-Queries"] = str(count)
        return response
