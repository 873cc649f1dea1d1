"""The provider's client core: one request pipeline under every hook (360Learning API v2, edX, SCIM).

``settings`` (connection extras, validated), ``origin`` (credential pinning), ``transport`` (aiohttp with a
total deadline and a size cap; the sync bridge), ``retry`` (tenacity), ``tokens`` (cache and refresh),
``rate_limit`` (the tenant-wide budget), ``redaction`` (secrets out of messages), ``pagination`` (the one page
walker), ``client`` (:class:`~airflow_provider_360learning.client.client.ApiClient`, which ties them together)
and ``services`` (what differs between the three APIs).
"""
