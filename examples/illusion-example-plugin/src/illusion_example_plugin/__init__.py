"""An example third-party plugin for illusion: one dataset, one model layer and one direction sampler.

Each module is a plugin of its own, registered through the ``illusion`` entry-point group.
"""
