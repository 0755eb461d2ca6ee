"""Learning and sharing what works: the models."""
