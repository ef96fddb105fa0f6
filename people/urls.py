from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("", views.AttendeeListView.as_view(), name="list"),
    path("<str:handle>/", views.AttendeeDetailView.as_view(), name="detail"),
]
