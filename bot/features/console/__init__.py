"""The operator's web console under /admin (issue 14): sign-in, sessions, roles, pages.

`links` is light (the chat's /dangnhap uses it); `web` holds the Starlette application and
is imported only by `trolyso serve`. Other features add pages through `registry`.
"""
