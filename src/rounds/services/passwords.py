"""Password hashing (argon2id) and the password rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rounds.domain.errors import ValidationFailed

_HASHER = PasswordHasher()
# A valid hash of a random string: verified against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _HASHER.hash("rounds-dummy-password-for-constant-time")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def check_password_rule(password: str, *, min_length: int, username: str = "") -> None:
    problems: list[str] = []
    if len(password) < min_length:
        problems.append(f"at least {min_length} characters")
    if password.strip() != password or not password.strip():
        problems.append("no leading or trailing spaces")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    if len(password) > 1024:
        problems.append("at most 1024 characters")
    if problems:
        raise ValidationFailed(
            "The password does not meet the rule: " + "; ".join(problems) + ".",
            hint="Use a long passphrase.",
            details=[{"field": "password", "message": problem} for problem in problems],
        )
