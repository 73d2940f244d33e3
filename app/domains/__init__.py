"""A label's own domains: which hostname serves whose fan pages (directory), what a hostname
may be (hostnames), the links made with them (urls) and the checks that prove them (verify)."""
