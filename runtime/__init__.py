"""Shared infrastructure: client connection, data converter, search attributes."""
