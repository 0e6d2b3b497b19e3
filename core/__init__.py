"""The shared kernel: settings, the error tree, the config-file loader and the one time zone.

Every layer may import it; it imports nothing of ours."""
