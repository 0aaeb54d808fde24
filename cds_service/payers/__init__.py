"""Which payer answers an order: the payer directory and coverage routing."""
