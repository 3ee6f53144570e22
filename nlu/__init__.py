"""Custom Rasa graph components for Chinese text from riders and drivers.

Each module holds one component; importing this package loads nothing heavy.
"""
