from django.urls import path

from messaging.views import opt_in

urlpatterns: list = [
    path("<str:public_id>/", opt_in.opt_in_page, name="opt_in_page"),
    path("<str:public_id>/embed/", opt_in.opt_in_page_embed, name="opt_in_page_embed"),
]
