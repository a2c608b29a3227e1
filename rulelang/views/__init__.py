"""Presentation: decisions and traces rendered for people (terminal, pages)."""
