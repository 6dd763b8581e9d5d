"""Turning what a directory says into stored objects, edges and history."""
