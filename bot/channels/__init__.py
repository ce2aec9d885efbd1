"""Channel adapters: each translates one platform's updates into IncomingMessage and back."""
