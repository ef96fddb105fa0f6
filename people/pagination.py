"""Pagination shared by every public list (people is the app all others import)."""


class ForgivingPaginationMixin:
    """For a ListView: a ?page= that is not a number shows page 1, one past the end
    shows the last page, so a pasted or mistyped link never makes an error page."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return (paginator, page, page.object_list, page.has_other_pages())
