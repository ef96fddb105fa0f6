from django.urls import path

from notices import views

app_name = "notices"
urlpatterns = [
    path("preferences/", views.preferences_view, name="preferences"),
    path("manage/<str:token>/", views.manage_view, name="manage"),
    path("confirm/<str:token>/", views.confirm_view, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
