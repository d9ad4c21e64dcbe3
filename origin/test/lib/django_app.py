#!/usr/bin/env python3
"""A Django app in one file, for the origin worker's tests: Debian's python3-django (Django 3.2), served by Django's
own threaded development server on a port the kernel picks. Prints {"msg": "listening", "port": N} once it accepts
connections, then a JSON line per event a test waits for.

  GET  /items/<id>/?q=..   the item as JSON, with the query, the Host and X-Forwarded-For Django saw
  POST /upload/            streams the body back (StreamingHttpResponse): no Content-Length, the end is the close
  GET  /poll/              a GRIP hold instruction in headers, as a Django view behind Pushpin answers
  GET  /redirect/          302 to /items/1/
"""
import json
import signal
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="test only",
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
)
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


def log(msg, **fields):
    print(json.dumps({"msg": msg, **fields}), flush=True)


def item(request, item_id):
    return JsonResponse({
        "id": item_id,
        "q": request.GET.get("q"),
        "host": request.get_host(),
        "forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR"),
        "grip_sig": request.META.get("HTTP_GRIP_SIG"),
    })


@csrf_exempt
def upload(request):
    def echo():
        total = 0
        while True:
            data = request.read(65536)
            if not data:
                break
            total += len(data)
            yield data
        log("uploaded", bytes=total)

    return StreamingHttpResponse(echo(), content_type="application/octet-stream")


def poll(request):
    response = HttpResponse("{}\n", content_type="application/json")
    response["Grip-Hold"] = "response"
    response["Grip-Channel"] = "counter"
    response["Grip-Timeout"] = "20"
    return response


def redirect(request):
    return HttpResponseRedirect("/items/1/")


urlpatterns = [
    path("items/<int:item_id>/", item),
    path("upload/", upload),
    path("poll/", poll),
    path("redirect/", redirect),
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.daemon_threads = True
    server.set_app(WSGIHandler())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("listening", port=server.server_address[1], django=django.get_version())
    server.serve_forever()


if __name__ == "__main__":
    main()
