"""The engine's faster layers are twins of textbook ones."""


class Twin:
    """Mixin for a faster way to compute a textbook layer: ``like(layer)`` makes one
    that starts from a shallow copy of the layer's ``__dict__``: the same parameter,
    gradient and statistics arrays (so that training the twin trains the layer), its
    own attributes for whatever it rebinds (caches, ``chunk``)."""

    @classmethod
    def like(cls, layer):
        twin = cls.__new__(cls)
        twin.__dict__.update(layer.__dict__)
        return twin
