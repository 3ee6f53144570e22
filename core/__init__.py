"""The domain of 暖新助手 and its storage. Imports no chat or web framework."""
