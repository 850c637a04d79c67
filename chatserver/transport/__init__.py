"""The Starlette edge: parse, call a use case, map typed errors to protocol errors."""
