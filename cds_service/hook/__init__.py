"""What a CDS Hooks call is: the request model, the services and their prefetch, CRD versions, errors."""
