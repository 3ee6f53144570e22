"""The Rasa server's tracker store and lock store, configured from the environment."""
