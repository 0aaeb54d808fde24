"""Da Vinci DTR 2.2.0 after a CRD needs-info answer: the questionnaire package, prefill ($populate) and the adaptive
form ($next-question) that ends in the payer's decision, decided by the same policies and determinations as CRD."""
