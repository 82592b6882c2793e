"""OneWindow construction project approval (建设工程审批), plugin key ``construction``."""
