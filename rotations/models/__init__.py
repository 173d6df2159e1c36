from .people import Department, Level, Person

__all__ = ["Department", "Level", "Person"]
