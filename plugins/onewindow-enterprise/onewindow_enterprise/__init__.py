"""Enterprise registration (企业登记), a OneWindow plugin with the key ``enterprise``."""
