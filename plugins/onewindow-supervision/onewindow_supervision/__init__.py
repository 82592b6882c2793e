"""OneWindow e-supervision plugin (电子监察): cards, evaluations, complaints, dashboards."""

__version__ = "0.1.0"
