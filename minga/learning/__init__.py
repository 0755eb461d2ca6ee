"""Learning and sharing what works: practices and adoptions, learning communities, the library,
search and Ask."""
