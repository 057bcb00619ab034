"""Signed checkpoints of the audit chain, as C2SP signed notes (c2sp.org/signed-note).

A checkpoint's text follows the layout of c2sp.org/tlog-checkpoint: the origin, the number of
rows, then the chain head's hash (base64 of its 32 bytes; it is the last row's chained hash,
not a Merkle root), then two extension lines with the last row's id and the UTC time:

    example.com/cdpadmin-audit
    1000000
    q0WPt1b7rR2zM0Yc0v3Yh4s6wJ8r0Xw0b2N6c8f3bDg=
    last-id 1000000
    time 2026-12-01T08:30:00.123456Z

    — example.com/cdpadmin-audit AbCdEf…

The signature line is "— <key name> base64(4-byte key id || Ed25519 signature)", and the key
id is SHA-256(key name || 0x0A || 0x01 || public key)[:4]. Verifiers pin the key as a
verifier key, "<name>+<hex key id>+base64(0x01 || public key)". Nothing here touches the
database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519 = b"\x01"
SIGNATURE_PREFIX = "— "
FILE_SUFFIX = ".checkpoint"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# A key name is non-empty and holds no Unicode space and no "+" (signed-note, "Format").
_KEY_NAME = re.compile(r"^[^\s+]+$")


class CheckpointError(Exception):
    """A key or a checkpoint that cannot be used; `message` says which and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_key_name(name: str) -> str:
    if not _KEY_NAME.match(name):
        raise CheckpointError(
            f"“{name}” cannot name a key: it must be non-empty, with no spaces or “+”."
        )
    return name


def generate_key(path: Path) -> Ed25519PrivateKey:
    """Write a new Ed25519 private key to `path` (PEM, mode 600); never replaces a file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CheckpointError(f"{path} already exists; it was left as it is.") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"The signing key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"The signing key {path} is not an Ed25519 key.")
    return key


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _raw(public_key)).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A pinned public key: the only key whose signatures a verifier accepts."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def for_key(cls, name: str, public_key: Ed25519PublicKey) -> Verifier:
        return cls(check_key_name(name), key_id(name, public_key), public_key)

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """Read "<name>+<hex key id>+<base64(0x01 || key)>", refusing any inconsistency."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise CheckpointError("A verifier key reads “<name>+<key id>+<key>”.")
        name, hex_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            expected_id = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointError(f"The verifier key for “{name}” is not well-formed.") from exc
        if len(raw) != 33 or raw[:1] != ED25519:
            raise CheckpointError(f"The verifier key for “{name}” is not an Ed25519 key.")
        verifier = cls.for_key(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if verifier.key_id != expected_id:
            raise CheckpointError(f"The verifier key for “{name}” has the wrong key id.")
        return verifier

    def __str__(self) -> str:
        encoded = base64.b64encode(ED25519 + _raw(self.public_key)).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def read_verifier(value: str) -> Verifier:
    """A verifier key as printed, or the name of a file that holds one."""
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            value = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CheckpointError(
                f"{value} is neither a verifier key nor a readable file."
            ) from exc
    return Verifier.parse(value)


@dataclass(frozen=True)
class Checkpoint:
    """The chain as it stood: `row_count` rows, the last one `last_id` with `head_hash`."""

    origin: str
    row_count: int
    last_id: int
    head_hash: str
    time: datetime

    def text(self) -> str:
        root = base64.b64encode(bytes.fromhex(self.head_hash)).decode()
        return (
            f"{self.origin}\n{self.row_count}\n{root}\n"
            f"last-id {self.last_id}\ntime {self.time.astimezone(UTC).strftime(TIME_FORMAT)}\n"
        )

    @property
    def file_name(self) -> str:
        return f"{self.time.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{self.row_count}{FILE_SUFFIX}"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) != 6 or lines[5] != "":
            raise ValueError("it does not have the five lines of a checkpoint")
        origin, count, root, last_id, time = lines[:5]
        if (
            not count.isdigit()
            or not last_id.startswith("last-id ")
            or not time.startswith("time ")
        ):
            raise ValueError("its lines are not origin, row count, hash, last-id and time")
        head = base64.b64decode(root, validate=True)
        if len(head) != 32:
            raise ValueError("its hash is not 32 bytes")
        return cls(
            origin=origin,
            row_count=int(count),
            last_id=int(last_id.removeprefix("last-id ")),
            head_hash=head.hex(),
            time=datetime.strptime(time.removeprefix("time "), TIME_FORMAT).replace(tzinfo=UTC),
        )

    def sign(self, name: str, key: Ed25519PrivateKey) -> str:
        return sign_note(self.text(), name, key)


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """The signed note: `text` (ending in a newline), a blank line and one signature line."""
    signature = key_id(name, key.public_key()) + key.sign(text.encode())
    return f"{text}\n{SIGNATURE_PREFIX}{name} {base64.b64encode(signature).decode()}\n"


def verify_note(note: str, verifier: Verifier) -> str:
    """The text of `note` if `verifier`'s key signed it; `CheckpointError` otherwise.

    Signatures from other keys are ignored, as the signed-note spec asks; a note with none
    from the pinned key is refused.
    """
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise CheckpointError("it is not a signed note (no blank line before its signatures)")
    text += "\n"
    verified = False
    for line in signatures[:-1].split("\n"):
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        if not line.startswith(SIGNATURE_PREFIX) or not encoded:
            raise CheckpointError(f"its signature line “{line[:40]}” is malformed")
        try:
            signature = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise CheckpointError(f"the signature of “{name}” is not base64") from exc
        if name != verifier.name or signature[:4] != verifier.key_id:
            continue
        try:
            verifier.public_key.verify(signature[4:], text.encode())
        except InvalidSignature as exc:
            raise CheckpointError(
                f"its signature by {verifier.name} does not match its text"
            ) from exc
        verified = True
    if not verified:
        raise CheckpointError(
            f"it carries no signature by the key {verifier.name}+{verifier.key_id.hex()}"
        )
    return text


def open_note(note: str, verifier: Verifier) -> Checkpoint:
    """The checkpoint in `note`, if `verifier`'s key signed it (`CheckpointError` otherwise)."""
    text = verify_note(note, verifier)
    try:
        checkpoint = Checkpoint.from_text(text)
    except ValueError as exc:
        raise CheckpointError(f"its text cannot be read: {exc}") from exc
    if checkpoint.origin != verifier.name:
        raise CheckpointError(f"its origin “{checkpoint.origin}” is not {verifier.name}")
    return checkpoint


def write_note(directory: Path, name: str, note: str) -> Path:
    """Create `directory/name` holding `note`; an existing file is never replaced."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(note)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def checkpoint_files(directory: Path) -> list[Path]:
    """The checkpoint files in `directory`, oldest first (their names start with the time)."""
    return sorted(path for path in directory.iterdir() if path.name.endswith(FILE_SUFFIX))
