"""The content studio: operators list, edit, preview and publish intents from the console."""
