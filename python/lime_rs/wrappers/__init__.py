"""Wrappers around other libraries (``lime.wrappers``)."""
