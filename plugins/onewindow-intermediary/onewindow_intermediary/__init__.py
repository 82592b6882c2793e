"""OneWindow intermediary supermarket (网上中介服务超市), plugin key ``intermediary``."""
