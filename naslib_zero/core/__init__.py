"""The bottom layer: errors, paths, progress bars, devices and plug-in loading. Imports nothing of
the project."""
