"""The web side: the ASGI application (`app.py`), its factory, `/metrics`, and the `serve`
and `worker` commands. Import the modules themselves: importing the package loads no web
library, so `trolyso match` and other quick commands stay quick."""
