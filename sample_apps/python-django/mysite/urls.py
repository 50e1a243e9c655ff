from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse("Hello from python-django!\n")


urlpatterns = [path("", index)]
