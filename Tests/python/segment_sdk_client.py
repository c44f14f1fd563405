"""Sends identify, track, page, alias and group calls to Rapport with Segment's own Python
library (segment-analytics-python), unchanged but for the host. Exits 1 if the library
reports an error.  Usage: segment_sdk_client.py URL WRITE_KEY"""
import sys

import segment.analytics as analytics

host, write_key = sys.argv[1], sys.argv[2]
errors = []
analytics.write_key = write_key
analytics.host = host
analytics.gzip = True
analytics.max_retries = 2
analytics.on_error = lambda error, batch: errors.append(repr(error))

# Pat browses anonymously on two devices, signs up on one, and the other is aliased.
analytics.track(anonymous_id="device-2", event="Product Viewed", properties={"sku": "A1", "price": 19.5})
analytics.identify("user-1", {"email": "Pat@Example.com", "name": "Pat", "plan": "pro"}, anonymous_id="device-1")
analytics.alias("device-2", "user-1")
analytics.group("user-1", "acme", {"name": "Acme Inc", "employees": 40})
analytics.page("user-1", "Docs", "Getting started", {"path": "/docs"})
analytics.track("user-1", "Order Completed", {"revenue": 42.0, "currency": "EUR"})
# Someone else.
analytics.identify("user-2", {"email": "sam@example.com"})
analytics.track("user-2", "Order Completed", {"revenue": 10})

analytics.flush()
analytics.shutdown()
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("sent 8 calls")
