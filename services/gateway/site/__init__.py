"""The gateway's web frontend: server-rendered HTML pages (Jinja2), Bahasa Indonesia first.

Modules:
- ``routes.py``  ``SitePages``, the mixin of ``GatewayService`` holding every HTML route
                 (one line each, delegating to a view function);
- ``render.py``  the ``Web`` request context, ``@page`` (CSRF check on every POST, error
                 pages, security headers), ``@require_role(...)``, ``static_url``; read its
                 docstring first: it shows how to add a page and a form;
- ``session.py`` the session cookie, CSRF tokens, ``current_user(gw, request)``;
- ``i18n.py``    the visitor's language and the gettext catalogs (Indonesian source texts,
                 English in ``services/gateway/locale/``): ``_("...")`` in templates,
                 ``web.gettext("...")`` in views;
- ``present.py`` page helpers the view modules share (page numbers, optional sections,
                 merchants and categories as templates show them);
- ``static.py``  ``/static/`` files with cache headers;
- ``buyer.py``   home, search, product, contact, merchant and region pages;
- ``auth.py``    /masuk, /daftar, /keluar, /bahasa;
- ``owner.py``, ``promoter.py``, ``admin_pages.py``  the pages of each role (their routes in
                 ``*_routes.py``); ``charts.py`` their SVG charts.

Templates are in ``services/gateway/templates/`` (``base.html`` + one per page; shared
pieces in ``_macros.html``, names of statuses and kinds in ``_labels.html``), static files
in ``services/gateway/static/``.
"""
