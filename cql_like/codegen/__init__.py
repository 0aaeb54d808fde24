"""Generated Python: fused expression text, query loops and define/function calls, compiled once at load time."""
