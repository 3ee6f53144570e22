"""Rasa input and output channels, and the one way to send a message to any worker."""
