"""Page analysis: bytes or text in, an ordered list of located blocks out."""

from service.analysis.page import Block, Page, build_page

__all__ = ["Block", "Page", "build_page"]
