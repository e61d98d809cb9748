"""Model flavours: how each kind of model is saved to safe bytes and loaded back."""
