"""Public security (公安), a OneWindow plugin with the key ``public_security``."""
