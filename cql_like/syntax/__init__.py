"""Source text -> syntax tree: the lark grammar, the parser (the only lark user) and the node classes."""
