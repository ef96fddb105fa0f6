from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import DetailView, ListView

from people.models import Attendee


class AttendeeListView(ListView):
    template_name = "people/attendee_list.html"
    paginate_by = 100

    def get_queryset(self):
        return Attendee.objects.with_handle()


class AttendeeDetailView(DetailView):
    template_name = "people/attendee_detail.html"
    context_object_name = "person"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.github_handle != kwargs["handle"]:
            # Handles are case-insensitive; the stored spelling is the permalink.
            return redirect(self.object, permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_object(self, queryset=None):
        person = (
            Attendee.objects.handle_is(self.kwargs["handle"])
            .prefetch_related(
                Prefetch(
                    "meetings",
                    # people sits below meetings, so reach the model by relation.
                    queryset=Attendee._meta.get_field("meetings")
                    .related_model.objects.select_related("series")
                    .order_by("-start"),
                    to_attr="meetings_attended",
                ),
            )
            .first()
        )
        if person is None:
            raise Http404("No person with this GitHub handle.")
        return person
