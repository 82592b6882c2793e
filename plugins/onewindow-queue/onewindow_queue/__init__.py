"""Hall operations (大厅管理): queue tickets and calling, a OneWindow plugin with the key ``queue``."""
