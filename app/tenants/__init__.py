"""Tenant context, row-level scoping, the security manager and the roles."""
