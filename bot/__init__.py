"""Everything that faces a person other than through Rasa: channels, delivery, web pages."""
