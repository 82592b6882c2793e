"""Real-estate registration (不动产登记), a OneWindow plugin with the key ``realestate``."""
