"""Protection of the public contact form without third parties and without a CAPTCHA.

Every request passes the same three checks, with or without JavaScript:
- a honeypot: a field hidden from people (and from screen readers) that programs fill in;
- a signed form token with the time the form was served: a request sent sooner than
  ``MIN_FILL_SECONDS`` after it (no person types that fast) or later than ``FORM_MAX_AGE`` is sent
  back to be checked and sent again; each token is used once;
- a rate limit per client address (only a keyed hash of the address is kept, in the cache, for an
  hour).
With JavaScript the browser also solves a self-hosted proof-of-work challenge in the manner of
ALTCHA (https://altcha.org: SHA-256, a salt with an expiry, the challenge signed with an HMAC of
the server's key, each solution accepted once). Without it, the stricter ``NO_POW_RATE_LIMIT``
applies instead, so the form still works on a phone with JavaScript switched off.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time

from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac

MAX_NUMBER = 50_000           # a phone solves this in well under a second
CHALLENGE_SECONDS = 20 * 60
RATE_LIMIT = 5                # contact requests per client address and hour
RATE_WINDOW = 60 * 60
NO_POW_RATE_LIMIT = 2         # of those, sent without the proof of work (no JavaScript)
MIN_FILL_SECONDS = 3
FORM_MAX_AGE = 2 * 60 * 60
FORM_SALT = "offers.contact.form"


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


def _over_hourly_limit(key: str, limit: int) -> bool:
    """Count one attempt under ``key``; True once more than ``limit`` were counted this hour."""
    if cache.add(key, 1, RATE_WINDOW):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # the entry expired between add() and incr()
        cache.set(key, 1, RATE_WINDOW)
        return False
    return count > limit


def rate_limited(request) -> bool:
    """Count this attempt; True when the address has used up its attempts for the hour."""
    return _over_hourly_limit(f"offers:contact-rate:{client_key(request)}", RATE_LIMIT)


def new_form_token(*, now: float | None = None) -> str:
    """A signed, single-use token holding the time the form was served."""
    return signing.dumps({"t": int(now if now is not None else time.time()), "n": secrets.token_hex(8)}, salt=FORM_SALT)


class FormCheck:
    OK = "ok"
    INVALID = "invalid"       # missing, forged or reused: treat like a bot
    TOO_FAST = "too_fast"     # a person is sent back to check and send again
    EXPIRED = "expired"


def check_form_token(token: str, *, now: float | None = None) -> str:
    now = now if now is not None else time.time()
    try:
        data = signing.loads(token or "", salt=FORM_SALT)
        served, nonce = int(data["t"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return FormCheck.INVALID
    if now - served < MIN_FILL_SECONDS:
        return FormCheck.TOO_FAST
    if now - served > FORM_MAX_AGE:
        return FormCheck.EXPIRED
    if not cache.add(f"offers:contact-form:{nonce}", 1, FORM_MAX_AGE + 60):
        return FormCheck.INVALID
    return FormCheck.OK


def rate_limited_without_pow(request) -> bool:
    """Count a request sent without the proof of work; True beyond ``NO_POW_RATE_LIMIT`` an hour."""
    return _over_hourly_limit(f"offers:contact-rate-nopow:{client_key(request)}", NO_POW_RATE_LIMIT)
