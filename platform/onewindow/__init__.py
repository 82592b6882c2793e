"""OneWindow (一窗通): one-window acceptance, integrated service (一窗受理、集成服务)."""

__version__ = "0.1.0"

__all__ = ["create_app", "__version__"]


def __getattr__(name):
    # Lazy so that `import onewindow.validators` does not build the whole app stack.
    if name == "create_app":
        from onewindow.app import create_app

        return create_app
    raise AttributeError(name)
