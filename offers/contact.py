"""Protection of the public contact form without third parties: a self-hosted proof-of-work
challenge in the manner of ALTCHA (https://altcha.org: SHA-256, a salt with an expiry, the
challenge signed with an HMAC of the server's key, each solution accepted once) and a rate
limit per client address (only a keyed hash of the address is kept, in the cache, for an hour).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time

from django.core.cache import cache
from django.utils.crypto import salted_hmac

MAX_NUMBER = 50_000           # a phone solves this in well under a second
CHALLENGE_SECONDS = 20 * 60
RATE_LIMIT = 5                # contact requests per client address and hour
RATE_WINDOW = 60 * 60


def _sign(challenge: str) -> str:
    return salted_hmac("offers.contact.pow", challenge, algorithm="sha256").hexdigest()


def new_challenge(*, max_number: int | None = None) -> dict:
    max_number = max_number or MAX_NUMBER
    salt = f"{secrets.token_hex(12)}?expires={int(time.time()) + CHALLENGE_SECONDS}"
    number = secrets.randbelow(max_number + 1)
    challenge = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
    return {"algorithm": "SHA-256", "challenge": challenge, "maxnumber": max_number, "salt": salt, "signature": _sign(challenge)}


def solve(challenge: dict) -> str:
    """What the browser does (used by tests and the benchmark): find the number, encode the payload."""
    for number in range(challenge["maxnumber"] + 1):
        if hashlib.sha256(f"{challenge['salt']}{number}".encode()).hexdigest() == challenge["challenge"]:
            payload = {k: challenge[k] for k in ("algorithm", "challenge", "salt", "signature")} | {"number": number}
            return base64.b64encode(json.dumps(payload).encode()).decode()
    raise ValueError("unsolvable")


def verify(payload: str) -> bool:
    """True once for a correct, unexpired, correctly signed solution; False otherwise."""
    try:
        data = json.loads(base64.b64decode(payload or "", validate=True))
        salt, challenge, signature, number = str(data["salt"]), str(data["challenge"]), str(data["signature"]), int(data["number"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return False
    if data.get("algorithm") != "SHA-256" or not hmac.compare_digest(_sign(challenge), signature):
        return False
    if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() != challenge:
        return False
    try:
        expires = int(salt.rsplit("?expires=", 1)[1])
    except (IndexError, ValueError):
        return False
    if expires < time.time():
        return False
    return cache.add(f"offers:pow:{challenge}", 1, CHALLENGE_SECONDS + 60)  # each solution once


def client_key(request) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return salted_hmac("offers.contact.rate", address, algorithm="sha256").hexdigest()[:32]


def rate_limited(request) -> bool:
    """Count this attempt; True when the address has used up its attempts for the hour."""
    key = f"offers:contact-rate:{client_key(request)}"
    if cache.add(key, 1, RATE_WINDOW):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, RATE_WINDOW)
        return False
    return count > RATE_LIMIT
