"""A client for OCI distribution registries (the distribution spec), on the stdlib only:

    names.py        HOST/REPO[:TAG|@DIGEST] and which hosts are registries
    credentials.py  where a user's credentials are: --creds, env, auth files, credential helpers
    auth.py         answering a 401: anonymous, basic, or the bearer-token flow
    transport.py    HTTPS (verified) or explicit plain HTTP, retries with backoff
    client.py       pull (manifests, indexes, verified blobs into the cache) and push

The stdlib is enough here: a registry needs a dozen requests of five kinds, and what matters
(verifying digests, resuming uploads, never echoing a credential) is ours to get right
whichever HTTP library carries the bytes; `requests` (pulled in by the docker SDK) would add
connection pooling we do not need and hide the retry logic we do.
"""
