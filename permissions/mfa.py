"""Second-factor secrets encrypted at rest.

allauth stores the TOTP secret and the recovery-code seed through ``MFAAdapter.encrypt()`` /
``decrypt()``, which by default store them in the clear: whoever can read the database (a
backup, a technical admin) could then mint valid codes for every account. Here they are
Fernet tokens under ``settings.MFA_ENCRYPTION_KEYS`` (environment, newest key first; every key
decrypts, only the first encrypts). ``manage.py rotate_mfa_keys`` re-encrypts all secrets under
the first key, after which older keys can be dropped.
"""
from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"
# The fields of Authenticator.data that hold a secret, per authenticator type.
SECRET_FIELDS = {"totp": ("secret",), "recovery_codes": ("seed",)}


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in settings.MFA_ENCRYPTION_KEYS])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("MFA_ENCRYPTION_KEYS must hold Fernet keys (Fernet.generate_key()).") from exc


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt(text: str) -> str:
    return PREFIX + _fernet().encrypt(text.encode()).decode()


def decrypt(value: str) -> str:
    if not is_encrypted(value):
        # Written before encryption was switched on and not yet migrated: never expected after
        # permissions' data migration 0011, kept so that a half-migrated restore still signs in.
        return value
    try:
        return _fernet().decrypt(value[len(PREFIX):].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("A second-factor secret cannot be decrypted with MFA_ENCRYPTION_KEYS.") from exc


def rotate(value: str) -> str:
    """The value encrypted under the first key (plain values get encrypted)."""
    if not is_encrypted(value):
        return encrypt(value)
    return PREFIX + _fernet().rotate(value[len(PREFIX):].encode()).decode()


def encrypt_authenticator_data(kind: str, data: dict, *, transform=rotate) -> dict:
    """A copy of ``data`` whose secret fields went through ``transform``."""
    out = dict(data or {})
    for field in SECRET_FIELDS.get(kind, ()):
        if isinstance(out.get(field), str):
            out[field] = transform(out[field])
    if kind == "recovery_codes" and isinstance(out.get("migrated_codes"), list):
        out["migrated_codes"] = [transform(code) for code in out["migrated_codes"]]
    return out


class EncryptingMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt(encrypted_text)
