"""The control plane: accounts, datasets and runs. Surfaces use ``service.ControlPlane`` only."""
