from django.urls import path

from sunshine_mailbox import views

urlpatterns = [
    path("", views.write, name="mailbox_write"),
    path("read/", views.read, name="mailbox_read"),
    path("read/reply/", views.follow_up, name="mailbox_follow_up"),
    path("privacy/", views.privacy, name="mailbox_privacy"),
]
