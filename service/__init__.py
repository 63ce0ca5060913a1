"""pagesieve: a content-quality and spam filter for scraped web pages.

Importing the package opens no file and loads no model; build the web app
with :func:`service.app.create_app` or classify in-process with
:class:`service.model.registry.ModelRegistry`.
"""

__version__ = "0.1.0"
