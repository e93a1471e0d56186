"""What every feature's HTTP surface shares: who is asking, errors as problem details,
web forms, request checks, the OpenAPI document's problems and shared view helpers."""
