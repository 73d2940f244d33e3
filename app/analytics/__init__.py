"""Event capture, GeoIP, queries and figures."""
