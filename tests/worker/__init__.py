"""Tests of the background worker (bot/worker.py) and of what fails around it."""
