from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def noop(request):
    """The baseline: Django and gunicorn with no work at all."""
    return HttpResponse(status=204)


urlpatterns = [path("bench/noop", noop), path("", include("smsapp.urls"))]
