"""Writes that span several models of the agenda and the meeting around it."""
